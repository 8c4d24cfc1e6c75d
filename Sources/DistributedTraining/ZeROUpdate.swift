import Distributed
import Kernels
import Training

/// ZeRO-1 for `Trainer` (DeepSpeed stage 1; llm.c's `zero_stage=1`): each process keeps the optimizer
/// moments and the EMA of one shard of the parameters only (3·P/W floats instead of 3·P). A step:
/// reduce-scatter the processes' gradient sums (each process receives the sum of its shard), divide by
/// the step's micro-batch count, global norm, clipping, optimizer and EMA on the shard, then all-gather
/// the parameters.
///
/// Same bits as the replicated update: the shards are cut on tensor boundaries, so each tensor's Σ g²
/// (`GradientClipping.viewSquareSums`) is computed whole by its owner exactly as the replicated norm
/// computes it, and the per-tensor terms are gathered and summed in tensor order
/// (`GradientClipping.norm`); clipping, both optimizers and the EMA are elementwise. The
/// reduce-scatter's sums are those of an allreduce (for two processes exactly `g₀ + g₁`). With
/// `DITPORT_PROFILE` set the collectives' wall time is added to `Profile` under "collective: …".
public final class ZeROUpdate: ShardedUpdate {
    public let communicator: Communicator
    public let layout: ParameterLayout
    public let recipe: TrainingRecipe
    /// Element shards, cut on tensor boundaries.
    public let shards: ShardLayout
    /// The views (indices into `layout.views`) this process owns.
    public let ownViews: Range<Int>
    /// `layout` restricted to the own views, starting at 0.
    public let shardLayout: ParameterLayout
    /// Moments of the own shard.  // [shard]
    public private(set) var state: OptimizerState
    /// EMA of the own shard (nil without use_ema).  // [shard]
    public private(set) var ema: EMA?
    private let optimizer: Optimizer
    /// Trainable-view counts per process, as shards of the vector of per-tensor Σ g².
    private let normShards: ShardLayout
    private var shardGradients: [Float]  // [shard]
    private var shardParameters: [Float]  // [shard]

    /// `initialParameters` (`[layout.count]`, the same on every process) seed the EMA shard.
    public init(communicator: Communicator, layout: ParameterLayout, recipe: TrainingRecipe, initialParameters: [Float]) {
        self.communicator = communicator
        self.layout = layout
        self.recipe = recipe
        let cuts = Self.viewCuts(layout, world: communicator.size)
        shards = ShardLayout(boundaries: cuts.map { $0 == layout.views.count ? layout.count : layout.views[$0].offset })
        ownViews = cuts[communicator.rank]..<cuts[communicator.rank + 1]
        shardLayout = layout.shard(views: ownViews)
        normShards = ShardLayout(boundaries: cuts.map { cut in layout.views[0..<cut].filter(\.trainable).count })
        let own = shards.range(of: communicator.rank)
        state = OptimizerState(count: own.count)
        ema = recipe.useEMA ? EMA(kind: recipe.emaKind, decay: recipe.emaDecay, parameters: Array(initialParameters[own])) : nil
        optimizer = recipe.makeOptimizer()
        shardGradients = [Float](repeating: 0, count: own.count)
        shardParameters = [Float](repeating: 0, count: own.count)
    }

    /// View indices where the shards start (and `views.count` at the end): for each process the tensor
    /// boundary nearest its even share of the elements.
    public static func viewCuts(_ layout: ParameterLayout, world: Int) -> [Int] {
        let starts = layout.views.map(\.offset) + [layout.count]  // boundary b: element offset of view b
        var cuts = [0]
        for r in 1..<world {
            let target = layout.count * r / world
            var best = cuts.last!
            for b in cuts.last!...layout.views.count where abs(starts[b] - target) < abs(starts[best] - target) { best = b }
            cuts.append(best)
        }
        cuts.append(layout.views.count)
        return cuts
    }

    public var rank: Int { communicator.rank }
    public var world: Int { communicator.size }

    public func gatherLosses(_ losses: [Float]) -> [Float] { CommunicatorReducer.gather(losses, communicator) }

    public func sumGradients(_ gradients: UnsafeMutableBufferPointer<Float>) {
        Profile.measure("collective: gradient allreduce") { communicator.allreduceSum(gradients) }
    }

    public func update(gradients: UnsafeMutableBufferPointer<Float>, microBatches: Int, parameters: UnsafeMutableBufferPointer<Float>, lr: Double) -> Float {
        let own = shards.range(of: rank)
        Profile.measure("collective: gradient reduce-scatter") {
            shardGradients.withUnsafeMutableBufferPointer { communicator.reduceScatterSum(UnsafeBufferPointer(gradients), layout: shards, into: $0) }
        }
        if microBatches > 1 {
            let divisor = Float(microBatches)
            shardGradients.withUnsafeMutableBufferPointer { g in for i in 0..<g.count { g[i] /= divisor } }
        }
        let mine = shardGradients.withUnsafeBufferPointer { GradientClipping.viewSquareSums($0, layout: shardLayout) }  // [own trainable views]
        var all = [Float](repeating: 0, count: normShards.count)  // [trainable views]
        Profile.measure("collective: norm all-gather") {
            mine.withUnsafeBufferPointer { m in all.withUnsafeMutableBufferPointer { communicator.allGather(m, layout: normShards, into: $0) } }
        }
        let norm = GradientClipping.norm(viewSquareSums: all)
        guard norm.isFinite else { return norm }
        if recipe.clipGradients {
            shardGradients.withUnsafeMutableBufferPointer {
                GradientClipping.scale($0, norm: norm, maxNorm: recipe.maxGradNorm, style: recipe.clipStyle, layout: shardLayout)
            }
        }
        for i in 0..<own.count { shardParameters[i] = parameters[own.lowerBound + i] }
        optimizer.step(parameters: &shardParameters, gradients: shardGradients, state: &state, lr: lr, layout: shardLayout)
        ema?.update(from: shardParameters)
        for i in 0..<own.count { parameters[own.lowerBound + i] = shardParameters[i] }
        Profile.measure("collective: parameter all-gather") {
            communicator.allGather(UnsafeBufferPointer(rebasing: parameters[own]), layout: shards, into: parameters)
        }
        return norm
    }

    public func restore(optimizerState: OptimizerState, ema: EMA?) throws {
        let own = shards.range(of: rank)
        guard optimizerState.firstMoment.count == layout.count, optimizerState.secondMoment.count == layout.count else {
            throw TrainingError("resume state holds \(optimizerState.firstMoment.count) moments, the model needs \(layout.count)")
        }
        state = OptimizerState(firstMoment: Array(optimizerState.firstMoment[own]), secondMoment: Array(optimizerState.secondMoment[own]),
                               step: optimizerState.step)
        if recipe.useEMA {
            guard let ema, ema.weights.count == layout.count else { throw TrainingError("resume state has no EMA weights but use_ema is on") }
            var shard = ema
            shard.weights = Array(ema.weights[own])
            self.ema = shard
        } else {
            self.ema = nil
        }
    }

    /// The full optimizer state, assembled on every process (for a checkpoint).
    public func gatherOptimizerState() -> OptimizerState {
        OptimizerState(firstMoment: gatherFull(state.firstMoment), secondMoment: gatherFull(state.secondMoment), step: state.step)
    }

    /// The full EMA, assembled on every process (nil without use_ema).
    public func gatherEMA() -> EMA? {
        guard var full = ema else { return nil }
        full.weights = gatherFull(full.weights)
        return full
    }

    private func gatherFull(_ shard: [Float]) -> [Float] {
        var full = [Float](repeating: 0, count: layout.count)  // [layout.count]
        shard.withUnsafeBufferPointer { s in full.withUnsafeMutableBufferPointer { communicator.allGather(s, layout: shards, into: $0) } }
        return full
    }
}
