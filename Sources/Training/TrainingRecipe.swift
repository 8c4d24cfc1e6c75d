/// Everything that decides how gradients become weights: optimizer flavour and hyper-parameters, the
/// learning-rate schedule, clipping, EMA, whether `pos_embed` trains, accumulation. Two presets —
/// `official` (facebookresearch/DiT `train.py`) and `mindone` (MindONE R1 `examples/dit` argparse
/// defaults) — and every field overridable afterwards.
public struct TrainingRecipe: Equatable {
    public enum Name: String, Equatable, CaseIterable {
        case official
        case mindone
    }

    public enum OptimizerKind: String, Equatable {
        /// `torch.optim.AdamW` (bias correction, ε after √v̂, decay on every trainable tensor).
        case torchAdamW = "torch.optim.AdamW"
        /// MindSpore `nn.AdamWeightDecay` (no bias correction, ε on raw √v, MindONE's `norm_and_bias` filter).
        case mindsporeAdamWeightDecay = "mindspore.nn.AdamWeightDecay"
    }

    public var name: Name
    public var optimizer: OptimizerKind
    public var learningRate: Double
    public var endLearningRate: Double
    public var scheduler: LearningRateSchedule.Kind
    public var warmupSteps: Int
    public var decaySteps: Int
    public var beta1: Double
    public var beta2: Double
    public var eps: Double
    public var weightDecay: Double
    /// MindONE `group_strategy` for AdamWeightDecay: `norm_and_bias` (only strategy implemented).
    public var groupStrategy: String
    public var clipGradients: Bool
    public var maxGradNorm: Double
    public var clipStyle: GradientClipping.Style
    public var useEMA: Bool
    public var emaKind: EMAKind
    public var emaDecay: Double
    /// Official: frozen sin-cos `pos_embed`; MindONE makes it trainable (and decays it).
    public var trainPosEmbed: Bool
    /// K micro-batches per optimizer step; gradients combined as (g₀ + g₁ + … + g_{K−1}) / K.
    public var gradientAccumulationSteps: Int

    /// The preset of `name`.
    public init(_ name: Name) {
        self.name = name
        switch name {
        case .official:
            optimizer = .torchAdamW
            learningRate = 1e-4
            endLearningRate = 1e-7
            scheduler = .constant
            warmupSteps = 0
            decaySteps = 0
            beta1 = 0.9
            beta2 = 0.999
            eps = 1e-8
            weightDecay = 0
            groupStrategy = "norm_and_bias"
            clipGradients = false
            maxGradNorm = 1.0
            clipStyle = .torch
            useEMA = true
            emaKind = .official
            emaDecay = 0.9999
            trainPosEmbed = false
            gradientAccumulationSteps = 1
        case .mindone:
            // MindONE R1 `args_train.py` defaults (training.md §4; the YAML files override several).
            optimizer = .mindsporeAdamWeightDecay
            learningRate = 1e-5
            endLearningRate = 1e-7
            scheduler = .cosineDecay
            warmupSteps = 1000
            decaySteps = 0
            beta1 = 0.9
            beta2 = 0.999
            eps = 1e-6
            weightDecay = 1e-6
            groupStrategy = "norm_and_bias"
            clipGradients = false
            maxGradNorm = 1.0
            clipStyle = .mindspore
            useEMA = false
            emaKind = .mindone
            emaDecay = 0.9999
            trainPosEmbed = true
            gradientAccumulationSteps = 1
        }
    }

    /// The optimizer this recipe describes.
    public func makeOptimizer() -> Optimizer {
        switch optimizer {
        case .torchAdamW:
            return TorchAdamW(beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay)
        case .mindsporeAdamWeightDecay:
            return MindSporeAdamWeightDecay(beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay)
        }
    }

    /// The schedule over `totalSteps` optimizer steps.
    public func schedule(totalSteps: Int) -> LearningRateSchedule {
        LearningRateSchedule(kind: scheduler, learningRate: learningRate, endLearningRate: endLearningRate,
                             warmupSteps: warmupSteps, decaySteps: decaySteps, totalSteps: totalSteps)
    }

    /// The resolved recipe, one line per field, for the start of a run.
    public var summaryLines: [String] {
        var lines = [
            "recipe \(name.rawValue):",
            "  optimizer \(optimizer.rawValue): lr \(learningRate), betas (\(beta1), \(beta2)), eps \(eps), weight_decay \(weightDecay)"
                + (optimizer == .mindsporeAdamWeightDecay ? " (group_strategy \(groupStrategy): no decay for gamma/beta/bias), no bias correction" : ", bias-corrected"),
            "  scheduler \(scheduler.rawValue), warmup_steps \(warmupSteps) (linear from 0)"
                + (scheduler == .cosineDecay ? ", end_learning_rate \(endLearningRate), decay_steps \(decaySteps == 0 ? "all after warm-up" : String(decaySteps))" : ""),
            "  clip_grad " + (clipGradients ? "global norm \(maxGradNorm) (\(clipStyle == .torch ? "torch clip_grad_norm_" : "MindSpore clip_by_global_norm"))" : "off"),
            "  EMA " + (useEMA ? (emaKind == .official ? "constant \(emaDecay), copied at step 0" : "\(emaDecay)·(1 − exp(−n/2000)) (MindONE warm-up)") : "off"),
            "  pos_embed " + (trainPosEmbed ? "trained (MindONE)" : "frozen (official)"),
            "  gradient_accumulation_steps \(gradientAccumulationSteps)",
        ]
        if optimizer == .torchAdamW && clipGradients && clipStyle == .mindspore { lines.append("  note: MindSpore-style clipping with torch AdamW") }
        return lines
    }
}
