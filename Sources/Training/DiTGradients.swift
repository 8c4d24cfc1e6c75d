import Diffusion
import Kernels
import Models
import NameMaps

/// The `GradientComputer` of a DiT: the official `training_losses` (`TrainingLoss`) on the model's
/// forward (the inference `DiT.forward`, reading its parameters in place from the flat buffer and saving
/// `DiTActivations`), then the hand-written backward (`DiTGradients+Backward.swift`).
///
/// ```swift
/// let layout = ParameterLayout(config: config)                // trainPosEmbed: true for MindONE
/// let engine = try DiTGradients(layout: layout)               // heads: for non-paper widths
/// let terms = try engine.lossAndGradients(parameters: p, batch: batch, gradients: g)
/// ```
/// Not thread-safe: one call at a time per instance (each call uses every worker of `Parallel`). The
/// activation store and backward scratch are allocated on the first call and reused while the batch
/// size stays the same.
public final class DiTGradients: GradientComputer {
    public let layout: ParameterLayout
    /// Attention heads.
    public let heads: Int
    /// What the blocks' GEMMs (qkv, proj, fc1, fc2, attention) compute in, forward and backward: `.bf16` rounds
    /// their operands to bf16 and accumulates in f32 (torch.autocast's split; parameters, gradients, loss,
    /// norms, adaLN and embedders stay f32). `.f32` on a CPU without AVX512_BF16, whatever was asked.
    public let precision: ComputePrecision
    let loss: TrainingLoss
    var activations: DiTActivations?
    var scratch: BackwardScratch?

    public init(layout: ParameterLayout, heads: Int? = nil, precision: ComputePrecision = .f32) throws {
        guard let heads = heads ?? layout.config.numHeads else {
            throw ModelError("the number of attention heads of a \(layout.config.hiddenSize)-wide DiT is not known; pass it (--num-heads)")
        }
        guard layout.config.learnSigma else { throw ModelError("training needs a learn_sigma DiT (8 output channels): the official loss learns the variance") }
        self.layout = layout
        self.heads = heads
        self.precision = ComputePrecision.bf16Available ? precision : .f32
        self.loss = try TrainingLoss()
    }

    public func lossAndGradients(parameters: UnsafeBufferPointer<Float>, batch: TrainingBatch,
                                 gradients: UnsafeMutableBufferPointer<Float>, gradientsReady: ((Int) -> Void)?) throws -> LossTerms {
        let config = layout.config
        let n = batch.count, c = config.inChannels, s = config.inputSize, per = c * s * s
        guard parameters.count == layout.count, gradients.count == layout.count else {
            throw ModelError("parameter buffer of \(parameters.count) and gradient buffer of \(gradients.count) floats; the layout has \(layout.count)")
        }
        guard n > 0, batch.latents.count == n * per, batch.noise.count == n * per, batch.timesteps.count == n else {
            throw ModelError("training batch of \(n) labels, \(batch.timesteps.count) timesteps, \(batch.latents.count) latent and \(batch.noise.count) noise values; expected \(n)×[\(c), \(s), \(s)]")
        }
        if let bad = batch.timesteps.first(where: { $0 < 0 || $0 >= loss.steps }) { throw ModelError("timestep \(bad) is outside 0…\(loss.steps - 1)") }
        let model = try DiT(weights: layout.modelWeights(parameters: parameters), config: config, heads: heads, packWeights: false,
                            precision: precision)
        if activations?.batch != n {
            activations = nil
            scratch = nil
            activations = DiTActivations(config: config, batch: n)
            scratch = BackwardScratch(config: config, batch: n)
        }
        let saves = activations!
        let noised = loss.noised(latents: batch.latents, noise: batch.noise, timesteps: batch.timesteps)  // [N, C, S, S]
        let output = try model.forward(FloatTensor(shape: [n, c, s, s], values: noised), t: batch.timesteps, y: batch.labels, saving: saves)
        var outputGradient = [Float](repeating: 0, count: output.count)  // [N, 2C, S, S]
        let terms = output.values.withUnsafeBufferPointer { out in
            batch.latents.withUnsafeBufferPointer { x0 in noised.withUnsafeBufferPointer { xt in batch.noise.withUnsafeBufferPointer { e in
                outputGradient.withUnsafeMutableBufferPointer { g in
                    loss.evaluate(output: out.baseAddress!, latents: x0.baseAddress!, noisedLatents: xt.baseAddress!, noise: e.baseAddress!,
                                  timesteps: batch.timesteps, channels: c, spatial: s * s, gradient: g.baseAddress!)
                }
            } } }
        }
        outputGradient.withUnsafeBufferPointer { g in
            backward(outputGradient: g.baseAddress!, saves: saves, labels: batch.labels, parameters: parameters.baseAddress!,
                     gradients: gradients.baseAddress!, scratch: scratch!, ready: gradientsReady)
        }
        return LossTerms(loss: terms.loss, mse: terms.mse, vb: terms.vb)
    }
}
