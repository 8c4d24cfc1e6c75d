import Kernels
import NameMaps

/// Gradient workspace of one block at a time (reused by every block; about 17·T·D floats per sample).
final class BackwardScratch {
    let outputGradient: OwnedFloats  // [N·T, p²·C_out] dL/d(final linear output)
    let residual: OwnedFloats  // [N·T, D] dL/d(residual stream) at the current point
    let middle: OwnedFloats  // [N·T, D] recomputed x_mid = x_in + gate₁·o₁
    let normed: OwnedFloats  // [N·T, D] recomputed modulate(LN(·)) (the next Linear's input)
    let branch: OwnedFloats  // [N·T, D] dL/d(branch output)
    let normedGradient: OwnedFloats  // [N·T, D] dL/d(modulate output)
    let attentionGradient: OwnedFloats  // [N·T, D] dL/d(attention output O)
    let hidden: OwnedFloats  // [N·T, 4D] recomputed GELU(h)
    let hiddenGradient: OwnedFloats  // [N·T, 4D] dL/d GELU(h), then dL/dh
    let qkvGradient: OwnedFloats  // [N·T, 3D]
    let modulationGradient: OwnedFloats  // [N, 6D]
    let siluCondGradient: OwnedFloats  // [N, D] Σ over every adaLN of dL/d SiLU(c)

    init(config: DiTConfig, batch: Int) {
        let d = config.hiddenSize, rows = batch * config.tokens, p = config.patchSize
        outputGradient = OwnedFloats(count: rows * p * p * config.outChannels)
        residual = OwnedFloats(count: rows * d)
        middle = OwnedFloats(count: rows * d)
        normed = OwnedFloats(count: rows * d)
        branch = OwnedFloats(count: rows * d)
        normedGradient = OwnedFloats(count: rows * d)
        attentionGradient = OwnedFloats(count: rows * d)
        hidden = OwnedFloats(count: rows * 4 * d)
        hiddenGradient = OwnedFloats(count: rows * 4 * d)
        qkvGradient = OwnedFloats(count: rows * 3 * d)
        modulationGradient = OwnedFloats(count: batch * 6 * d)
        siluCondGradient = OwnedFloats(count: batch * d)
    }

    var bytes: Int {
        4 * [outputGradient, residual, middle, normed, branch, normedGradient, attentionGradient, hidden, hiddenGradient, qkvGradient,
             modulationGradient, siluCondGradient].reduce(0) { $0 + $1.count }
    }
}
