import Checkpoint
#if canImport(Glibc)
import Glibc
#endif

/// Tensors that some conventions do not store and others need, recomputed exactly as the reference does.
public enum TensorGenerators {
    /// The official DiT 2-D sin-cos position table (`get_2d_sincos_pos_embed`): float64 math, one cast to
    /// float32. Shape [1, T, D]. Columns [0, D/2) encode the grid column (the official code passes the
    /// meshgrid's w first), [D/2, D) the row; each half is sin then cos over D/4 frequencies.
    public static func ditPositionEmbedding(hiddenSize d: Int, gridSize g: Int) throws -> Tensor {
        guard d % 4 == 0, g > 0 else { throw NameTableError("pos_embed needs a hidden size divisible by 4 (got \(d))") }
        let quarter = d / 4
        var omega = [Double](repeating: 0, count: quarter)  // [D/4] f64
        for k in 0..<quarter { omega[k] = 1.0 / pow(10000.0, Double(k) / Double(quarter)) }
        var table = [Float](repeating: 0, count: g * g * d)  // [T, D] f32
        for h in 0..<g {
            for w in 0..<g {
                let row = (h * g + w) * d
                for k in 0..<quarter {
                    let across = Double(Float(w)) * omega[k], down = Double(Float(h)) * omega[k]
                    table[row + k] = Float(sin(across))
                    table[row + quarter + k] = Float(cos(across))
                    table[row + 2 * quarter + k] = Float(sin(down))
                    table[row + 3 * quarter + k] = Float(cos(down))
                }
            }
        }
        let bytes = table.withUnsafeBytes { Array($0) }
        return try Tensor(dtype: .f32, shape: [1, g * g, d], storage: OwnedStorage(bytes))
    }

    /// Runs generator `name` for the given DiT config.
    static func generate(_ name: String, dit: DiTConfig?) throws -> Tensor {
        switch name {
        case "dit_pos_embed":
            guard let dit else { throw NameTableError("generator \(name) needs a DiT config") }
            return try ditPositionEmbedding(hiddenSize: dit.hiddenSize, gridSize: dit.inputSize / dit.patchSize)
        default:
            throw NameTableError("unknown generator '\(name)' (known: dit_pos_embed)")
        }
    }
}
