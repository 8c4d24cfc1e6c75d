import Checkpoint
import Diffusion

/// Noise read from a safetensors file instead of drawn: `z` (`[n, C, L, L]`) and `noise.{step}` for each
/// step (`[B, C, L, L]`, step 0 = the first step taken). Used for parity runs against other samplers.
public struct InjectedNoise: NoiseSource {
    private let checkpoint: Checkpoint
    private let byName: [String: Tensor]

    public init(path: String) throws {
        checkpoint = try Checkpoint(path: path)
        byName = Dictionary(try checkpoint.tensors().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    }

    private func floats(_ name: String, count: Int) throws -> [Float] {
        guard let tensor = byName[name] else { throw CheckpointError("no tensor '\(name)' in the noise file", file: checkpoint.path) }
        guard tensor.dtype == .f32, tensor.elementCount == count else {
            throw CheckpointError("'\(name)' is \(tensor.dtype) \(tensor.shape); expected \(count) f32 values", file: checkpoint.path)
        }
        return try tensor.withContiguousBytes { raw in (0..<count).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) } }
    }

    public mutating func initial(count: Int) throws -> [Float] { try floats("z", count: count) }
    public mutating func step(_ step: Int, count: Int) throws -> [Float] { try floats("noise.\(step)", count: count) }
}

/// Saving latents (and trajectories) as safetensors for parity checks.
public enum LatentDump {
    /// Writes `[name: (shape, values)]` as an f32 safetensors file, atomically.
    public static func write(_ entries: [(name: String, shape: [Int], values: [Float])], to path: String) throws {
        let tensors = try entries.map { entry in
            NamedTensor(name: entry.name, tensor: try Tensor(dtype: .f32, shape: entry.shape, storage: OwnedStorage(entry.values.withUnsafeBytes { Array($0) })))
        }
        try writeCheckpoint(tensors, to: path, format: .safetensors)
    }
}
