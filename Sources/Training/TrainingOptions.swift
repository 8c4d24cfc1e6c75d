/// How a run is driven: data, length, randomness, outputs. (The recipe says how gradients become weights.)
public struct TrainingOptions {
    public enum CheckpointFormat: String, Equatable, CaseIterable {
        /// MindONE: `ckpt/DiT-e{epoch}.ckpt` (or `-s{step}`), `network.` names, plus `ckpt/train_resume.ckpt`.
        case ckpt
        /// Official: `checkpoints/{step:07d}.pt` = `{model, ema, opt, args}`.
        case pt
    }

    public var recipe: TrainingRecipe
    /// Samples per micro-batch (MindONE `train_batch_size`, per device).
    public var batchSize: Int = 2
    public var epochs: Int = 1
    /// Stop after this many optimizer steps (0: epochs × steps per epoch).
    public var maxSteps: Int = 0
    /// Shuffle the sample order each epoch (a permutation keyed by (seed, epoch)); false = cache order.
    public var shuffle: Bool = true
    public var seed: UInt64 = 0
    /// Latent scale (0.18215); the cache's `scale_factor` metadata must agree when present.
    public var scaleFactor: Float = 0.18215
    /// Probability of replacing a label by the null class (official `class_dropout_prob`).
    public var labelDropProbability: Double = 0.1
    /// Use the flipped crops (probability ½) when the cache holds them.
    public var useFlippedLatents: Bool = true
    /// Randomness injected from a file instead of drawn from the seed.
    public var injectedNoise: InjectedNoise? = nil

    public var outputPath: String = "output"
    public var checkpointFormat: CheckpointFormat = .ckpt
    /// Save every N epochs (or N steps with `stepMode`); the last step is always saved.
    public var checkpointInterval: Int = 1
    public var stepMode: Bool = false
    /// Keep at most this many model checkpoints (oldest deleted; 0 = keep all).
    public var checkpointMaxKeep: Int = 10
    /// Extra entries for the `.pt` file's `args` dict (official `train.py` arguments).
    public var arguments: [(String, String)] = []

    public init(recipe: TrainingRecipe) { self.recipe = recipe }
}

/// What happened in one optimizer step (one `loss.csv` row).
public struct StepRecord: Equatable {
    /// Optimizer steps done after this one (1-based).
    public var step: Int
    /// Mean loss over the step's B·K samples.
    public var loss: Double
    public var learningRate: Double
    /// Global gradient norm before clipping.
    public var gradNorm: Double
    /// Wall time of the step.
    public var seconds: Double
    /// Epoch (1-based) the step belongs to.
    public var epoch: Int
}
