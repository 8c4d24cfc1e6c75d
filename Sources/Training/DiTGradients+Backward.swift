import Kernels
import Models

/// The hand-written DiT backward (docs/training.md, engine section): final layer, blocks in reverse
/// (MLP branch, then attention branch, then the block's adaLN), embedders. Every weight gradient is one
/// GEMM over all N·T rows written with β = 0, so `gradients` is overwritten without a zeroing pass (only
/// the label table, a scatter-add, and a frozen `pos_embed` are cleared). `ready` hears, after the
/// final layer and after each block, the offset from which the gradient buffer is final (the layout
/// keeps the official order: embedders, blocks 0…depth−1, final layer).
extension DiTGradients {
    func backward(outputGradient gOut: UnsafePointer<Float>, saves a: DiTActivations, labels: [Int], parameters: UnsafePointer<Float>,
                  gradients: UnsafeMutablePointer<Float>, scratch s: BackwardScratch, ready: ((Int) -> Void)? = nil) {
        let config = layout.config
        let n = a.batch, tokens = a.tokens, d = a.dim, rows = n * tokens, p = config.patchSize
        let cOut = config.outChannels, outputs = p * p * cOut, grid = config.inputSize / p, size = config.inputSize
        let eps: Float = 1e-6
        func view(_ name: String) -> ParameterView { layout.view(named: name)! }
        func w(_ name: String) -> UnsafePointer<Float> { parameters + view(name).offset }
        func g(_ name: String) -> UnsafeMutablePointer<Float> { gradients + view(name).offset }

        // dL/d(final linear output) in token space: the inverse of unpatchify.
        let gTok = s.outputGradient.pointer  // [N·T, p²·C_out]
        for item in 0..<n {
            for i in 0..<grid {
                for j in 0..<grid {
                    let token = ((item * grid + i) * grid + j) * outputs
                    for u in 0..<p {
                        for v in 0..<p {
                            for ch in 0..<cOut {
                                gTok[token + (u * p + v) * cOut + ch] = gOut[((item * cOut + ch) * size + i * p + u) * size + j * p + v]
                            }
                        }
                    }
                }
            }
        }

        // Final layer: linear(modulate(LN(x), shift, scale)), (shift, scale) = adaLN(c).
        let modF = UnsafePointer(a.finalModulation.pointer)  // [N, 2D]
        Normalization.layerNormModulate(a.finalInput.pointer, s.normed.pointer, rows: rows, dim: d, eps: eps,
                                        shift: { modF + ($0 / tokens) * 2 * d }, scale: { modF + ($0 / tokens) * 2 * d + d })
        LinearGradient.weights(gTok, rows: rows, outFeatures: outputs, input: s.normed.pointer, inFeatures: d,
                               weightGradient: g("final_layer.linear.weight"), biasGradient: g("final_layer.linear.bias"))
        LinearGradient.input(gTok, rows: rows, outFeatures: outputs, weight: w("final_layer.linear.weight"), inFeatures: d,
                             inputGradient: s.normedGradient.pointer)
        let dModF = NormalizationGradient.layerNormModulate(a.finalInput.pointer, s.normedGradient.pointer, rows: rows, dim: d, eps: eps,
                                                            rowsPerItem: tokens, scale: { modF + $0 * 2 * d + d },
                                                            dx: s.residual.pointer, accumulate: false)  // [N, 2D] (shift, scale)
        dModF.withUnsafeBufferPointer { dm in
            adaLNBackward(dm.baseAddress!, rows: n, width: 2 * d, prefix: "final_layer.", saves: a, scratch: s, first: true, w: w, g: g)
        }

        ready?(firstOffset(prefix: "final_layer."))
        for index in stride(from: config.depth - 1, through: 0, by: -1) {
            blockBackward(index, saves: a, scratch: s, w: w, g: g)
            ready?(firstOffset(prefix: "blocks.\(index)."))
        }

        // Tokens = patch embedding + pos_embed.
        let dR = UnsafePointer(s.residual.pointer)  // [N·T, D]
        let pos = view("pos_embed")
        let dPos = gradients + pos.offset  // [T, D]
        dPos.update(repeating: 0, count: pos.count)
        if pos.trainable {
            for item in 0..<n {
                for k in 0..<(tokens * d) { dPos[k] += dR[item * tokens * d + k] }
            }
        }
        LinearGradient.weights(dR, rows: rows, outFeatures: d, input: a.patches.pointer, inFeatures: config.inChannels * p * p,
                               weightGradient: g("x_embedder.proj.weight"), biasGradient: g("x_embedder.proj.bias"))

        // Conditioning c = t_emb + y_emb: dc = Σ dL/dSiLU(c) ⊙ SiLU′(c).
        var dc = Array(UnsafeBufferPointer(start: s.siluCondGradient.pointer, count: n * d))  // [N, D]
        var siluHidden = Array(UnsafeBufferPointer(start: a.timeHidden.pointer, count: n * d))  // [N, D] SiLU(z₁)
        var dHidden = [Float](repeating: 0, count: n * d)  // [N, D] dL/dz₁
        dc.withUnsafeMutableBufferPointer { dcp in siluHidden.withUnsafeMutableBufferPointer { sh in dHidden.withUnsafeMutableBufferPointer { dh in
            let dcb = dcp.baseAddress!, shb = sh.baseAddress!, dhb = dh.baseAddress!
            ElementwiseGradient.silu(dcb, preActivation: a.cond.pointer, count: n * d)
            Elementwise.silu(shb, count: n * d)
            LinearGradient.weights(dcb, rows: n, outFeatures: d, input: shb, inFeatures: d,
                                   weightGradient: g("t_embedder.mlp.2.weight"), biasGradient: g("t_embedder.mlp.2.bias"))
            LinearGradient.input(dcb, rows: n, outFeatures: d, weight: w("t_embedder.mlp.2.weight"), inFeatures: d, inputGradient: dhb)
            ElementwiseGradient.silu(dhb, preActivation: a.timeHidden.pointer, count: n * d)
            LinearGradient.weights(dhb, rows: n, outFeatures: d, input: a.frequencies.pointer, inFeatures: 256,
                                   weightGradient: g("t_embedder.mlp.0.weight"), biasGradient: g("t_embedder.mlp.0.bias"))
            // Label table: scatter-add (repeated labels accumulate; dropped labels reach the null row).
            let table = view("y_embedder.embedding_table.weight")
            let dTable = gradients + table.offset
            dTable.update(repeating: 0, count: table.count)
            for (item, label) in labels.enumerated() {
                for j in 0..<d { dTable[label * d + j] += dcb[item * d + j] }
            }
        } } }
    }

    /// The lowest offset of the views named `prefix…` (a module's parameters are contiguous).
    func firstOffset(prefix: String) -> Int { layout.views.filter { $0.name.hasPrefix(prefix) }.map(\.offset).min() ?? layout.count }

    /// adaLN Linear backward: `dW = dmodᵀ·SiLU(c)`, `db = Σ dmod`, `dSiLU(c) (+)= dmod·W`.
    func adaLNBackward(_ dMod: UnsafePointer<Float>, rows n: Int, width: Int, prefix: String, saves a: DiTActivations,
                       scratch s: BackwardScratch, first: Bool,
                       w: (String) -> UnsafePointer<Float>, g: (String) -> UnsafeMutablePointer<Float>) {
        let d = a.dim
        LinearGradient.weights(dMod, rows: n, outFeatures: width, input: a.siluCond.pointer, inFeatures: d,
                               weightGradient: g(prefix + "adaLN_modulation.1.weight"), biasGradient: g(prefix + "adaLN_modulation.1.bias"))
        LinearGradient.input(dMod, rows: n, outFeatures: width, weight: w(prefix + "adaLN_modulation.1.weight"), inFeatures: d,
                             inputGradient: s.siluCondGradient.pointer, accumulate: !first)
    }

    /// One block, `s.residual` holding dL/d(block output) on entry and dL/d(block input) on return.
    func blockBackward(_ index: Int, saves a: DiTActivations, scratch s: BackwardScratch,
                       w: (String) -> UnsafePointer<Float>, g: (String) -> UnsafeMutablePointer<Float>) {
        let b = a.blocks[index], pre = "blocks.\(index)."
        let n = a.batch, tokens = a.tokens, d = a.dim, f = a.mlp, rows = n * tokens
        let eps: Float = 1e-6
        let mod = UnsafePointer(b.modulation.pointer)  // [N, 6D]
        func chunk(_ k: Int) -> (Int) -> UnsafePointer<Float> { { item in mod + item * 6 * d + k * d } }
        func rowChunk(_ k: Int) -> (Int) -> UnsafePointer<Float> { { row in mod + (row / tokens) * 6 * d + k * d } }
        let dR = s.residual.pointer

        // x_mid = x_in + gate_msa ⊙ o₁ (recomputed).
        s.middle.pointer.update(from: b.input.pointer, count: rows * d)
        Elementwise.gatedResidual(s.middle.pointer, b.attentionOutput.pointer, rows: rows, dim: d, gate: rowChunk(2))

        // MLP branch: x_out = x_mid + gate_mlp ⊙ fc2(GELU(fc1(modulate(LN(x_mid))))).
        let dGate2 = ElementwiseGradient.gatedResidual(dR, branch: b.mlpOutput.pointer, rows: rows, dim: d, rowsPerItem: tokens,
                                                       gate: chunk(5), dBranch: s.branch.pointer)
        s.hidden.pointer.update(from: b.hidden.pointer, count: rows * f)
        Elementwise.geluTanh(s.hidden.pointer, count: rows * f)
        LinearGradient.weights(s.branch.pointer, rows: rows, outFeatures: d, input: s.hidden.pointer, inFeatures: f,
                               weightGradient: g(pre + "mlp.fc2.weight"), biasGradient: g(pre + "mlp.fc2.bias"),
                               precision: precision)
        LinearGradient.input(s.branch.pointer, rows: rows, outFeatures: d, weight: w(pre + "mlp.fc2.weight"), inFeatures: f,
                             inputGradient: s.hiddenGradient.pointer, precision: precision)
        ElementwiseGradient.geluTanh(s.hiddenGradient.pointer, preActivation: b.hidden.pointer, count: rows * f)
        Normalization.layerNormModulate(s.middle.pointer, s.normed.pointer, rows: rows, dim: d, eps: eps, shift: rowChunk(3), scale: rowChunk(4))
        LinearGradient.weights(s.hiddenGradient.pointer, rows: rows, outFeatures: f, input: s.normed.pointer, inFeatures: d,
                               weightGradient: g(pre + "mlp.fc1.weight"), biasGradient: g(pre + "mlp.fc1.bias"),
                               precision: precision)
        LinearGradient.input(s.hiddenGradient.pointer, rows: rows, outFeatures: f, weight: w(pre + "mlp.fc1.weight"), inFeatures: d,
                             inputGradient: s.normedGradient.pointer, precision: precision)
        let dMod2 = NormalizationGradient.layerNormModulate(s.middle.pointer, s.normedGradient.pointer, rows: rows, dim: d, eps: eps,
                                                            rowsPerItem: tokens, scale: chunk(4), dx: dR, accumulate: true)

        // Attention branch: x_mid = x_in + gate_msa ⊙ proj(attn(qkv(modulate(LN(x_in))))).
        let dGate1 = ElementwiseGradient.gatedResidual(dR, branch: b.attentionOutput.pointer, rows: rows, dim: d, rowsPerItem: tokens,
                                                       gate: chunk(2), dBranch: s.branch.pointer)
        LinearGradient.weights(s.branch.pointer, rows: rows, outFeatures: d, input: b.attention.pointer, inFeatures: d,
                               weightGradient: g(pre + "attn.proj.weight"), biasGradient: g(pre + "attn.proj.bias"),
                               precision: precision)
        LinearGradient.input(s.branch.pointer, rows: rows, outFeatures: d, weight: w(pre + "attn.proj.weight"), inFeatures: d,
                             inputGradient: s.attentionGradient.pointer, precision: precision)
        AttentionGradient.fusedQKV(b.qkv.pointer, output: b.attention.pointer, dOutput: s.attentionGradient.pointer, batch: n,
                                   tokens: tokens, heads: heads, headDim: d / heads, dqkv: s.qkvGradient.pointer, precision: precision)
        Normalization.layerNormModulate(b.input.pointer, s.normed.pointer, rows: rows, dim: d, eps: eps, shift: rowChunk(0), scale: rowChunk(1))
        LinearGradient.weights(s.qkvGradient.pointer, rows: rows, outFeatures: 3 * d, input: s.normed.pointer, inFeatures: d,
                               weightGradient: g(pre + "attn.qkv.weight"), biasGradient: g(pre + "attn.qkv.bias"),
                               precision: precision)
        LinearGradient.input(s.qkvGradient.pointer, rows: rows, outFeatures: 3 * d, weight: w(pre + "attn.qkv.weight"), inFeatures: d,
                             inputGradient: s.normedGradient.pointer, precision: precision)
        let dMod1 = NormalizationGradient.layerNormModulate(b.input.pointer, s.normedGradient.pointer, rows: rows, dim: d, eps: eps,
                                                            rowsPerItem: tokens, scale: chunk(1), dx: dR, accumulate: true)

        // d modulation [N, 6D] = (shift, scale)_msa | gate_msa | (shift, scale)_mlp | gate_mlp.
        let dMod = s.modulationGradient.pointer
        for item in 0..<n {
            let row = dMod + item * 6 * d
            for j in 0..<(2 * d) {
                row[j] = dMod1[item * 2 * d + j]
                row[3 * d + j] = dMod2[item * 2 * d + j]
            }
            for j in 0..<d {
                row[2 * d + j] = dGate1[item * d + j]
                row[5 * d + j] = dGate2[item * d + j]
            }
        }
        adaLNBackward(dMod, rows: n, width: 6 * d, prefix: pre, saves: a, scratch: s, first: false, w: w, g: g)
    }
}
