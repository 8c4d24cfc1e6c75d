import Checkpoint
import Kernels
import NameMaps

/// Random parameters for benchmarks and tests (no file needed): every parameter of a configuration,
/// uniform with standard deviation `1/√fan_in` for matrices and 0.02 for vectors, GroupNorm scales near
/// 1; the DiT `pos_embed` is the official analytic table. Deterministic for a seed.
public enum RandomWeights {
    public static func dit(_ config: DiTConfig, seed: UInt64 = 0) throws -> ModelWeights {
        var weights = fill(config.expectedParameters().filter { $0.name != "pos_embed" }, seed: seed)
        let table = try TensorGenerators.ditPositionEmbedding(hiddenSize: config.hiddenSize, gridSize: config.inputSize / config.patchSize)
        weights["pos_embed"] = try ModelWeights.weight(table, keepHalfPrecision: false)
        return ModelWeights(tensors: weights, names: config.expectedParameters().map(\.name))
    }

    public static func vae(_ config: VAEConfig, seed: UInt64 = 0) -> ModelWeights {
        let parameters = config.expectedParameters()
        return ModelWeights(tensors: fill(parameters, seed: seed), names: parameters.map(\.name))
    }

    static func fill(_ parameters: [(name: String, shape: [Int])], seed: UInt64) -> [String: Weight] {
        let buffers = parameters.map { OwnedFloats(count: $0.shape.reduce(1, *)) }
        Parallel.forEach(parameters.count) { index in
            let (name, shape) = parameters[index]
            let count = shape.reduce(1, *)
            let isNormScale = name.hasSuffix("norm1.weight") || name.hasSuffix("norm2.weight") || name.hasSuffix("norm_out.weight")
                || name.hasSuffix("group_norm.weight")
            let std: Float = shape.count >= 2 ? 1 / Float(shape.dropFirst().reduce(1, *)).squareRoot() : 0.02
            let center: Float = isNormScale ? 1 : 0
            var state = seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15 | 1
            let p = buffers[index].pointer
            for i in 0..<count {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                let unit = Float(state >> 40) / Float(1 << 24) * 2 - 1  // uniform [-1, 1): std 1/√3
                p[i] = center + unit * std * 1.732_050_8
            }
        }
        var out: [String: Weight] = [:]
        for (index, parameter) in parameters.enumerated() {
            let buffer = buffers[index]
            out[parameter.name] = Weight(shape: parameter.shape, elements: .f32(UnsafePointer(buffer.pointer)), owner: buffer)
        }
        return out
    }
}
