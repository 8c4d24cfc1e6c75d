import Kernels

/// Per-forward scratch buffers shared by all blocks (allocated once per call, not per block).
final class DiTScratch {
    let modulation: OwnedFloats  // [N, 6D] f32
    let normed: OwnedFloats  // [N·T, D] f32
    let qkv: OwnedFloats  // [N·T, 3D] f32
    let attention: OwnedFloats  // [N·T, D] f32
    let branch: OwnedFloats  // [N·T, D] f32
    let hidden: OwnedFloats  // [N·T, mlp] f32

    init(batch: Int, rows: Int, dim: Int, mlp: Int) {
        modulation = OwnedFloats(count: batch * 6 * dim)
        normed = OwnedFloats(count: rows * dim)
        qkv = OwnedFloats(count: rows * 3 * dim)
        attention = OwnedFloats(count: rows * dim)
        branch = OwnedFloats(count: rows * dim)
        hidden = OwnedFloats(count: rows * mlp)
    }
}

/// One adaLN-Zero DiT block (official `DiTBlock`):
/// `x += gate_msa · attn(modulate(norm1(x), shift_msa, scale_msa))`,
/// `x += gate_mlp · mlp(modulate(norm2(x), shift_mlp, scale_mlp))`, the six vectors being the chunks
/// of `adaLN_modulation(c) = Linear(SiLU(c))` in that order.
struct DiTBlock {
    let modulation: Weight  // [6D, D]
    let modulationBias: [Float]  // [6D]
    let qkv: Weight  // [3D, D]
    let qkvBias: [Float]  // [3D]
    let proj: Weight  // [D, D]
    let projBias: [Float]  // [D]
    let fc1: Weight  // [mlp, D]
    let fc1Bias: [Float]  // [mlp]
    let fc2: Weight  // [D, mlp]
    let fc2Bias: [Float]  // [D]
    /// What the four matrices and attention's two products compute in (packed weights carry it too).
    let precision: ComputePrecision

    /// `pack`: the four big matrices in the packed GEMM layout of `precision` (inference: packed once at load);
    /// false reads them in place (training: the parameters change every step and live in the flat buffer), each
    /// GEMM then rounding its operands to bf16 as it packs them when `precision` is `.bf16`.
    init(_ weights: ModelWeights, prefix: String, dim d: Int, pack: Bool = true, precision: ComputePrecision = .f32) throws {
        func matrix(_ name: String, shape: [Int]? = nil) throws -> Weight {
            pack ? try weights.packedWeight(name, shape: shape, precision: precision) : try weights.weight(name, shape: shape)
        }
        modulation = try weights.weight(prefix + "adaLN_modulation.1.weight", shape: [6 * d, d])
        modulationBias = try weights.floats(prefix + "adaLN_modulation.1.bias", count: 6 * d)
        qkv = try matrix(prefix + "attn.qkv.weight", shape: [3 * d, d])
        qkvBias = try weights.floats(prefix + "attn.qkv.bias", count: 3 * d)
        proj = try matrix(prefix + "attn.proj.weight", shape: [d, d])
        projBias = try weights.floats(prefix + "attn.proj.bias", count: d)
        fc1 = try matrix(prefix + "mlp.fc1.weight")
        fc1Bias = try weights.floats(prefix + "mlp.fc1.bias", count: fc1.shape[0])
        fc2 = try matrix(prefix + "mlp.fc2.weight", shape: [d, fc1.shape[0]])
        fc2Bias = try weights.floats(prefix + "mlp.fc2.bias", count: d)
        self.precision = precision
    }

    var mlpWidth: Int { fc1.shape[0] }

    /// Updates `x` (`[N·T, D]` f32) in place; `siluC` is `SiLU(c)`, `[N, D]` f32. With `saves` (training) the
    /// block's input, modulation, qkv, attention output, both branch outputs and the fc1 pre-activation are
    /// written there (the same computation; GELU then runs as its own pass on a copy).
    func forward(_ x: UnsafeMutablePointer<Float>, siluC: UnsafePointer<Float>, batch: Int, tokens: Int, heads: Int, scratch: DiTScratch,
                 saves: BlockActivations? = nil) {
        let d = proj.shape[0], rows = batch * tokens
        let mod = saves?.modulation.pointer ?? scratch.modulation.pointer  // [N, 6D]
        let qkvOut = saves?.qkv.pointer ?? scratch.qkv.pointer  // [N·T, 3D]
        let attended = saves?.attention.pointer ?? scratch.attention.pointer  // [N·T, D]
        let branch1 = saves?.attentionOutput.pointer ?? scratch.branch.pointer  // [N·T, D]
        let branch2 = saves?.mlpOutput.pointer ?? scratch.branch.pointer  // [N·T, D]
        if let saves { saves.input.pointer.update(from: x, count: rows * d) }
        Linear.forward(siluC, rows: batch, weight: modulation, bias: modulationBias, output: mod)
        // Chunk k of batch item n starts at mod + n·6D + k·D.
        func chunk(_ k: Int) -> (Int) -> UnsafePointer<Float> { { row in UnsafePointer(mod + (row / tokens) * 6 * d + k * d) } }

        Normalization.layerNormModulate(x, scratch.normed.pointer, rows: rows, dim: d, eps: 1e-6, shift: chunk(0), scale: chunk(1))
        Linear.forward(scratch.normed.pointer, rows: rows, weight: qkv, bias: qkvBias, output: qkvOut, precision: precision)
        Attention.fusedQKV(qkvOut, batch: batch, tokens: tokens, heads: heads, headDim: d / heads, output: attended, precision: precision)
        Linear.forward(attended, rows: rows, weight: proj, bias: projBias, output: branch1, precision: precision)
        Elementwise.gatedResidual(x, branch1, rows: rows, dim: d, gate: chunk(2))

        Normalization.layerNormModulate(x, scratch.normed.pointer, rows: rows, dim: d, eps: 1e-6, shift: chunk(3), scale: chunk(4))
        if let saves {
            Linear.forward(scratch.normed.pointer, rows: rows, weight: fc1, bias: fc1Bias, output: saves.hidden.pointer, precision: precision)
            scratch.hidden.pointer.update(from: saves.hidden.pointer, count: rows * mlpWidth)
            Elementwise.geluTanh(scratch.hidden.pointer, count: rows * mlpWidth)
        } else {
            Linear.forward(scratch.normed.pointer, rows: rows, weight: fc1, bias: fc1Bias, output: scratch.hidden.pointer, activation: .geluTanh,
                           precision: precision)
        }
        Linear.forward(scratch.hidden.pointer, rows: rows, weight: fc2, bias: fc2Bias, output: branch2, precision: precision)
        Elementwise.gatedResidual(x, branch2, rows: rows, dim: d, gate: chunk(5))
    }
}
