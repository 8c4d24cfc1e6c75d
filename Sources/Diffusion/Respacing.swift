/// `space_timesteps` from the official `diffusion/respace.py`: which of the original diffusion steps a
/// shortened schedule keeps. `"250"` (any comma-separated section counts) or `"ddimN"` (integer stride).
public enum Respacing {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The kept steps, sorted ascending. Python's `round` (half to even) and float64 accumulation of the
    /// fractional stride are reproduced, which matters for counts such as 25 (exact .5 ties).
    public static func timesteps(total: Int, spec: String) throws -> [Int] {
        if spec.hasPrefix("ddim") {
            guard let desired = Int(spec.dropFirst(4)), desired > 0 else { throw Failure(description: "bad respacing '\(spec)'") }
            for stride in 1..<max(total, 2) where Swift.stride(from: 0, to: total, by: stride).underestimatedCount == desired {
                return Array(Swift.stride(from: 0, to: total, by: stride))
            }
            throw Failure(description: "cannot create exactly \(desired) steps with an integer stride")
        }
        let sections = spec.isEmpty ? [total] : try spec.split(separator: ",").map { part -> Int in
            guard let n = Int(part.trimmingCharacters(in: " ")), n > 0 else { throw Failure(description: "bad respacing '\(spec)'") }
            return n
        }
        let sizePer = total / sections.count, extra = total % sections.count
        var start = 0
        var steps = Set<Int>()
        for (i, count) in sections.enumerated() {
            let size = sizePer + (i < extra ? 1 : 0)
            guard size >= count else { throw Failure(description: "cannot divide section of \(size) steps into \(count)") }
            let fracStride = count <= 1 ? 1.0 : Double(size - 1) / Double(count - 1)
            var current = 0.0
            for _ in 0..<count {
                steps.insert(start + Int(current.rounded(.toNearestOrEven)))
                current += fracStride
            }
            start += size
        }
        return steps.sorted()
    }
}

extension StringProtocol {
    func trimmingCharacters(in character: Character) -> String {
        String(drop(while: { $0 == character }).reversed().drop(while: { $0 == character }).reversed())
    }
}
