import Checkpoint
import Foundation

/// The independent judge of the bundled model: scikit-learn's LogisticRegression fitted on the real 8×8
/// digits (fixtures/train/fit_classifier.py), weights in fixtures/digits/classifier.safetensors.
struct DigitClassifier {
    let coef: [Float]       // [10, 64] f32
    let intercept: [Float]  // [10] f32

    init(path: String) throws {
        let tensors = Dictionary(uniqueKeysWithValues: try Checkpoint(path: path).tensors().map { ($0.name, $0.tensor) })
        func floats(_ name: String) throws -> [Float] {
            guard let t = tensors[name] else { throw CheckpointError("no '\(name)'", file: path) }
            return try t.doubleValues().map(Float.init)
        }
        coef = try floats("coef")
        intercept = try floats("intercept")
    }

    /// fit_classifier.py's `to_features`: grey = mean of RGB, clamp to [-1, 1], 8×8 block average,
    /// (grey + 1)·8. `images` `[N, 3, S, S]` f32 → `[N, 64]`.
    static func features(_ images: [Float], count: Int, size: Int) -> [[Float]] {
        let block = size / 8
        return (0..<count).map { n in
            var out = [Float](repeating: 0, count: 64)  // [8, 8] f32
            for by in 0..<8 {
                for bx in 0..<8 {
                    var sum: Float = 0
                    for y in (by * block)..<((by + 1) * block) {
                        for x in (bx * block)..<((bx + 1) * block) {
                            var grey: Float = 0
                            for c in 0..<3 { grey += images[((n * 3 + c) * size + y) * size + x] }
                            sum += min(max(grey / 3, -1), 1)
                        }
                    }
                    out[by * 8 + bx] = (sum / Float(block * block) + 1) * 8
                }
            }
            return out
        }
    }

    func predict(_ features: [Float]) -> Int {
        var best = 0, bestScore = -Float.infinity
        for k in 0..<10 {
            var score = intercept[k]
            for i in 0..<64 { score += coef[k * 64 + i] * features[i] }
            if score > bestScore { best = k; bestScore = score }
        }
        return best
    }
}
