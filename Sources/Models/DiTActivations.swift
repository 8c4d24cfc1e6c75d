import Kernels
import NameMaps

/// What one training forward of `DiT` keeps for the hand-written backward (the lean save set of
/// docs/training.md: 11·T·D floats per block and sample; LayerNorm outputs, GELU outputs, the
/// mid-block residual and the softmax probabilities are recomputed in the backward).
///
/// Allocated once for a (configuration, batch) and reused step after step: `DiT.forward(…, saving:)`
/// writes into it, the backward reads it.
public final class DiTActivations {
    public let batch: Int
    public let tokens: Int
    public let dim: Int
    public let mlp: Int

    public let frequencies: OwnedFloats  // [N, 256] sinusoidal t features
    public let timeHidden: OwnedFloats  // [N, D] t_embedder.mlp.0 output (before SiLU)
    public let cond: OwnedFloats  // [N, D] c = t_emb + y_emb
    public let siluCond: OwnedFloats  // [N, D] SiLU(c)
    public let patches: OwnedFloats  // [N·T, C·p·p] patchified input
    public let finalInput: OwnedFloats  // [N·T, D] residual stream after the last block
    public let finalModulation: OwnedFloats  // [N, 2D] final-layer (shift, scale)
    public let blocks: [BlockActivations]

    public init(config: DiTConfig, batch: Int) {
        let d = config.hiddenSize, p = config.patchSize
        self.batch = batch
        tokens = config.tokens
        dim = d
        mlp = 4 * d
        let rows = batch * tokens
        frequencies = OwnedFloats(count: batch * 256)
        timeHidden = OwnedFloats(count: batch * d)
        cond = OwnedFloats(count: batch * d)
        siluCond = OwnedFloats(count: batch * d)
        patches = OwnedFloats(count: rows * config.inChannels * p * p)
        finalInput = OwnedFloats(count: rows * d)
        finalModulation = OwnedFloats(count: batch * 2 * d)
        blocks = (0..<config.depth).map { _ in BlockActivations(batch: batch, rows: rows, dim: d, mlp: 4 * d) }
    }

    /// Bytes held (for memory reports).
    public var bytes: Int {
        let global = [frequencies, timeHidden, cond, siluCond, patches, finalInput, finalModulation].reduce(0) { $0 + $1.count }
        return 4 * (global + blocks.reduce(0) { $0 + $1.floats })
    }
}

/// The tensors one `DiTBlock` keeps for its backward.
public final class BlockActivations {
    public let input: OwnedFloats  // [N·T, D] x_in (block input, residual stream)
    public let modulation: OwnedFloats  // [N, 6D] shift/scale/gate msa, shift/scale/gate mlp
    public let qkv: OwnedFloats  // [N·T, 3D] fused q | k | v
    public let attention: OwnedFloats  // [N·T, D] softmax(q kᵀ/√d) v, heads concatenated (proj input)
    public let attentionOutput: OwnedFloats  // [N·T, D] proj output o₁
    public let hidden: OwnedFloats  // [N·T, 4D] fc1 output before GELU
    public let mlpOutput: OwnedFloats  // [N·T, D] fc2 output o₂

    init(batch: Int, rows: Int, dim: Int, mlp: Int) {
        input = OwnedFloats(count: rows * dim)
        modulation = OwnedFloats(count: batch * 6 * dim)
        qkv = OwnedFloats(count: rows * 3 * dim)
        attention = OwnedFloats(count: rows * dim)
        attentionOutput = OwnedFloats(count: rows * dim)
        hidden = OwnedFloats(count: rows * mlp)
        mlpOutput = OwnedFloats(count: rows * dim)
    }

    var floats: Int { [input, modulation, qkv, attention, attentionOutput, hidden, mlpOutput].reduce(0) { $0 + $1.count } }
}
