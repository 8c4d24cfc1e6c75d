import Checkpoint

/// Randomness injected from a file (`--noise FILE`) for parity runs: safetensors with, per micro-step
/// k = 0, 1, … (optimizer step s, micro-batch m: k = s·K + m): `t.{k}` i64 [B], `noise.{k}` f32
/// [B, C, S, S], `drop.{k}` u8 [B] (1 = label replaced by the null class), `vae_noise.{k}` f32
/// [B, C, S, S] (the posterior ε), optional `flip.{k}` u8 [B].
public final class InjectedNoise {
    public let path: String
    private let tensors: [String: Tensor]

    public init(path: String) throws {
        let checkpoint: Checkpoint
        do {
            checkpoint = try Checkpoint(path: path)
        } catch let error as CheckpointError {
            throw TrainingError("cannot read the noise file \(path): \(error.message)")
        }
        tensors = Dictionary(try checkpoint.tensors().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
        self.path = path
    }

    /// The draws of micro-step `k` for a micro-batch of `batch` samples with `elements` latent elements each.
    public func microStep(_ k: Int, batch: Int, elements: Int) throws -> (t: [Int], noise: [Float], drop: [Bool], vaeNoise: [Float], flip: [Bool]) {
        func tensor(_ name: String, _ dtype: DType, _ count: Int, required: Bool = true) throws -> [Double]? {
            guard let t = tensors["\(name).\(k)"] else {
                if required { throw TrainingError("noise file \(path) has no '\(name).\(k)' (micro-step \(k)): it covers fewer steps than the run") }
                return nil
            }
            guard t.dtype == dtype, t.elementCount == count else {
                throw TrainingError("noise file \(path): '\(name).\(k)' is \(t.dtype) \(t.shape), expected \(dtype) with \(count) elements")
            }
            return try t.doubleValues()
        }
        let t = try tensor("t", .i64, batch)!.map { Int($0) }
        for (b, value) in t.enumerated() where !(0..<1000).contains(value) {
            throw TrainingError("noise file \(path): t.\(k)[\(b)] = \(value) is outside 0…999")
        }
        let noise = try tensor("noise", .f32, batch * elements)!.map { Float($0) }
        let drop = try tensor("drop", .u8, batch)!.map { $0 != 0 }
        let vae = try tensor("vae_noise", .f32, batch * elements)!.map { Float($0) }
        let flip = try tensor("flip", .u8, batch, required: false)?.map { $0 != 0 } ?? [Bool](repeating: false, count: batch)
        return (t, noise, drop, vae, flip)
    }
}
