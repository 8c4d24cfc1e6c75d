import Checkpoint
import Kernels
import NameMaps

/// The class-conditional diffusion transformer of facebookresearch/DiT (`models.py`), any of the twelve
/// configurations and any latent size, computing exactly the official forward pass on the CPU.
///
/// ```swift
/// let dit = try DiT(path: "DiT-XL-2-256x256.pt")                 // any format / naming
/// let out = try dit.forward(x, t: [999, 999], y: [207, 1000])     // [N, 8, 32, 32]
/// let guided = try dit.forwardWithCFG(x, t: t, y: y, cfgScale: 4)
/// ```
public final class DiT {
    public let config: DiTConfig
    public let heads: Int
    /// What the block GEMMs compute in (`.f32` when bf16 was asked for on a CPU without AVX512_BF16).
    public let precision: ComputePrecision

    let posEmbed: [Float]  // [T, D]
    let patchWeight: Weight  // [D, C·p·p] (the patch conv's weight viewed as a Linear)
    let patchBias: [Float]  // [D]
    let timestep: TimestepEmbedder
    let labelTable: [Float]  // [classes + 1, D]; row `classes` is the CFG null label
    let blocks: [DiTBlock]
    let finalModulation: Weight  // [2D, D]
    let finalModulationBias: [Float]  // [2D]
    let finalLinear: Weight  // [p²·C_out, D]
    let finalLinearBias: [Float]  // [p²·C_out]

    /// Builds the model from canonical (official-named) weights. `config.numHeads` must be known (it is
    /// for the paper's sizes; pass `heads` for others). `packWeights`: copy the block matrices into the
    /// packed GEMM layout (inference, the default); false reads every matrix in place, e.g. straight from a
    /// training parameter buffer (`Training.ParameterLayout.modelWeights`), which must then outlive the model.
    /// `precision`: `.bf16` computes the blocks' qkv, proj, fc1 and fc2 and attention's two products with bf16
    /// operands and f32 accumulation (weights rounded and packed once here, or — `packWeights` false — rounded
    /// by each GEMM as it packs them; needs `ComputePrecision.bf16Available`, else f32), everything else in f32 —
    /// torch.autocast's bf16 split for these layers.
    public init(weights: ModelWeights, config: DiTConfig, heads: Int? = nil, packWeights: Bool = true,
                precision: ComputePrecision = .f32) throws {
        guard let heads = heads ?? config.numHeads else {
            throw ModelError("the number of attention heads of a \(config.hiddenSize)-wide DiT is not stored in the weights; pass it (--num-heads)")
        }
        let d = config.hiddenSize, p = config.patchSize, c = config.inChannels
        guard d % heads == 0 else { throw ModelError("hidden size \(d) does not split into \(heads) heads") }
        guard config.inputSize % p == 0 else { throw ModelError("latent size \(config.inputSize) is not a multiple of patch \(p)") }
        self.config = config
        self.heads = heads
        posEmbed = try weights.floats("pos_embed", count: config.tokens * d)
        let patch = try weights.weight("x_embedder.proj.weight", shape: [d, c, p, p])
        patchWeight = Weight(shape: [d, c * p * p], elements: patch.elements, owner: patch.owner)
        patchBias = try weights.floats("x_embedder.proj.bias", count: d)
        timestep = TimestepEmbedder(linear1: try weights.weight("t_embedder.mlp.0.weight", shape: [d, TimestepEmbedder.frequencySize]),
                                    bias1: try weights.floats("t_embedder.mlp.0.bias", count: d),
                                    linear2: try weights.weight("t_embedder.mlp.2.weight", shape: [d, d]),
                                    bias2: try weights.floats("t_embedder.mlp.2.bias", count: d))
        labelTable = try weights.floats("y_embedder.embedding_table.weight", count: (config.numClasses + 1) * d)
        let used: ComputePrecision = ComputePrecision.bf16Available ? precision : .f32
        self.precision = used
        blocks = try (0..<config.depth).map { try DiTBlock(weights, prefix: "blocks.\($0).", dim: d, pack: packWeights, precision: used) }
        finalModulation = try weights.weight("final_layer.adaLN_modulation.1.weight", shape: [2 * d, d])
        finalModulationBias = try weights.floats("final_layer.adaLN_modulation.1.bias", count: 2 * d)
        let outputs = p * p * config.outChannels
        finalLinear = try weights.weight("final_layer.linear.weight", shape: [outputs, d])
        finalLinearBias = try weights.floats("final_layer.linear.bias", count: outputs)
    }

    /// Loads a DiT from any supported file and naming (see `ModelLoader`).
    public convenience init(path: String, options: LoadOptions = LoadOptions(), heads: Int? = nil, precision: ComputePrecision = .f32) throws {
        let loaded = try ModelLoader.load(path, family: .dit, options: options)
        try self.init(weights: loaded.weights, config: loaded.conversion.dit!, heads: heads, precision: precision)
    }

    /// The official `forward(x, t, y)`.
    /// - Parameters:
    ///   - x: latents `[N, C, S, S]` (S = `config.inputSize`).
    ///   - t: timesteps (original, un-respaced: 0…999), N of them.
    ///   - y: class labels 0…`numClasses` (`numClasses` = the null label), N of them.
    ///   - trace: receives `t_freq`, `t_emb`, `y_emb`, `c`, `x_embed`, `block.{i}.out`, `final` (docs/parity.md).
    ///   - saving: training: receives what the backward needs (`DiTActivations`, allocated for this batch size).
    /// - Returns: `[N, C_out, S, S]`: ε in channels 0..<C, the variance interpolation in C..<2C (learn_sigma).
    public func forward(_ x: FloatTensor, t: [Int], y: [Int], trace: ModuleTrace? = nil, saving saves: DiTActivations? = nil) throws -> FloatTensor {
        let n = x.shape.first ?? 0, c = config.inChannels, s = config.inputSize, p = config.patchSize
        let d = config.hiddenSize, grid = s / p, tokens = grid * grid, rows = n * tokens
        guard x.shape == [n, c, s, s], n > 0 else { throw ModelError("DiT input has shape \(x.shape), expected [N, \(c), \(s), \(s)]") }
        guard t.count == n, y.count == n else { throw ModelError("\(n) latents but \(t.count) timesteps and \(y.count) labels") }
        if let bad = y.first(where: { $0 < 0 || $0 > config.numClasses }) {
            throw ModelError("class label \(bad) is outside 0…\(config.numClasses) (\(config.numClasses) = the null label)")
        }
        if let saves, saves.batch != n || saves.tokens != tokens || saves.dim != d || saves.blocks.count != blocks.count {
            throw ModelError("activation store for batch \(saves.batch), \(saves.tokens) tokens, width \(saves.dim), \(saves.blocks.count) blocks; this forward has \(n), \(tokens), \(d), \(blocks.count)")
        }

        // Conditioning: c = t_embedder(t) + y_embedder(y); every adaLN branch starts with SiLU(c).
        let frequencies = TimestepEmbedder.frequencies(t)  // [N, 256]
        trace?("t_freq", FloatTensor(shape: [n, TimestepEmbedder.frequencySize], values: frequencies))
        let tEmb = timestep.embed(frequencies, batch: n, savingHidden: saves?.timeHidden.pointer)  // [N, D]
        trace?("t_emb", FloatTensor(shape: [n, d], values: tEmb))
        let yEmb = y.flatMap { labelTable[($0 * d)..<(($0 + 1) * d)] }  // [N, D]
        trace?("y_emb", FloatTensor(shape: [n, d], values: yEmb))
        let cond = zip(tEmb, yEmb).map { $0 + $1 }  // [N, D]
        trace?("c", FloatTensor(shape: [n, d], values: cond))
        var siluC = cond  // [N, D]
        siluC.withUnsafeMutableBufferPointer { Elementwise.silu($0.baseAddress!, count: n * d) }
        if let saves {
            saves.frequencies.pointer.update(from: frequencies, count: frequencies.count)
            saves.cond.pointer.update(from: cond, count: n * d)
            saves.siluCond.pointer.update(from: siluC, count: n * d)
        }

        // Tokens: patch embedding (a Linear over flattened p×p patches, token = row·grid + column) + pos_embed.
        var tokensBuffer = [Float](repeating: 0, count: rows * d)  // [N·T, D]
        let patches = patchify(x, grid: grid)  // [N·T, C·p·p]
        saves?.patches.pointer.update(from: patches, count: patches.count)
        patches.withUnsafeBufferPointer { pp in tokensBuffer.withUnsafeMutableBufferPointer { tb in
            Linear.forward(pp.baseAddress!, rows: rows, weight: patchWeight, bias: patchBias, output: tb.baseAddress!)
            posEmbed.withUnsafeBufferPointer { pos in
                for item in 0..<n { Elementwise.add(tb.baseAddress! + item * tokens * d, pos.baseAddress!, tb.baseAddress! + item * tokens * d, count: tokens * d) }
            }
        } }
        trace?("x_embed", FloatTensor(shape: [n, tokens, d], values: tokensBuffer))

        let scratch = DiTScratch(batch: n, rows: rows, dim: d, mlp: blocks.first?.mlpWidth ?? 4 * d)
        let outputs = p * p * config.outChannels
        var final = [Float](repeating: 0, count: rows * outputs)  // [N·T, p²·C_out]
        tokensBuffer.withUnsafeMutableBufferPointer { tb in siluC.withUnsafeBufferPointer { sc in
            let xp = tb.baseAddress!, cp = sc.baseAddress!
            for (i, block) in blocks.enumerated() {
                block.forward(xp, siluC: cp, batch: n, tokens: tokens, heads: heads, scratch: scratch, saves: saves?.blocks[i])
                trace?("block.\(i).out", FloatTensor(shape: [n, tokens, d], values: Array(tb)))
            }
            // Final layer: shift, scale = chunk(adaLN(c), 2); linear(modulate(norm_final(x), shift, scale)).
            let mod = saves?.finalModulation.pointer ?? scratch.modulation.pointer  // [N, 2D]
            saves?.finalInput.pointer.update(from: xp, count: rows * d)
            Linear.forward(cp, rows: n, weight: finalModulation, bias: finalModulationBias, output: mod)
            Normalization.layerNormModulate(xp, scratch.normed.pointer, rows: rows, dim: d, eps: 1e-6,
                                            shift: { UnsafePointer(mod + ($0 / tokens) * 2 * d) },
                                            scale: { UnsafePointer(mod + ($0 / tokens) * 2 * d + d) })
            final.withUnsafeMutableBufferPointer { f in
                Linear.forward(scratch.normed.pointer, rows: rows, weight: finalLinear, bias: finalLinearBias, output: f.baseAddress!)
            }
        } }
        trace?("final", FloatTensor(shape: [n, tokens, outputs], values: final))
        return unpatchify(final, batch: n, grid: grid)
    }

    /// `[N, C, S, S]` → `[N·T, C·p·p]`, patch element (ch, u, v) at column `(ch·p + u)·p + v`.
    func patchify(_ x: FloatTensor, grid: Int) -> [Float] {
        let n = x.shape[0], c = config.inChannels, s = config.inputSize, p = config.patchSize
        var out = [Float](repeating: 0, count: n * grid * grid * c * p * p)  // [N·T, C·p·p]
        x.values.withUnsafeBufferPointer { src in
            for item in 0..<n {
                for i in 0..<grid {
                    for j in 0..<grid {
                        let row = ((item * grid + i) * grid + j) * c * p * p
                        for ch in 0..<c {
                            for u in 0..<p {
                                for v in 0..<p {
                                    out[row + (ch * p + u) * p + v] = src[((item * c + ch) * s + i * p + u) * s + j * p + v]
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// The official `unpatchify`: `[N, T, p·p·C]` (`nhwpqc`) → `[N, C, h·p, w·p]` (`nchpwq`).
    func unpatchify(_ final: [Float], batch n: Int, grid: Int) -> FloatTensor {
        let c = config.outChannels, p = config.patchSize, s = grid * p
        return FloatTensor(shape: [n, c, s, s]) { out in
            for item in 0..<n {
                for i in 0..<grid {
                    for j in 0..<grid {
                        let token = ((item * grid + i) * grid + j) * p * p * c
                        for u in 0..<p {
                            for v in 0..<p {
                                for ch in 0..<c {
                                    out[((item * c + ch) * s + i * p + u) * s + j * p + v] = final[token + (u * p + v) * c + ch]
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
