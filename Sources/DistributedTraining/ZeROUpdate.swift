import Distributed
import Foundation
import Kernels
import Training

/// ZeRO-1 for `Trainer` (DeepSpeed stage 1; llm.c's `zero_stage=1`): each process keeps the optimizer
/// moments and the EMA of one shard of the parameters only (3·P/W floats instead of 3·P). A step:
/// reduce-scatter the processes' gradient sums in place (each process receives the sum of its shard in
/// its own range of the gradient buffer), divide by the step's micro-batch count, global norm,
/// clipping, optimizer and EMA on the shard — all in place in the trainer's buffers, no shard copies —
/// then all-gather the parameters in place. With `overlap` the reduce-scatter runs bucket by bucket
/// while the backward of the step's last local micro-batch still computes (as `CommunicatorReducer`'s
/// allreduce buckets do); `update` waits for the rest. A checkpoint never assembles the state on any process:
/// rank 0's writer fetches each view from its owner as it writes it (`withFullState`).
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
    /// View indices where each process's shard starts, and `views.count`.  // [world + 1]
    private let cuts: [Int]
    /// Reduce-scatter gradient buckets during the backward (`beginOverlappedSum`).
    public let overlap: Bool
    /// Bucket size of the overlapped reduce-scatter.
    public let bucketBytes: Int
    private let round: OverlappedRound?
    /// Buckets of the last overlapped round that were started during the backward, before `update`.
    public var bucketsStartedEarly: Int { round?.startedEarly ?? 0 }

    /// `initialParameters` (`[layout.count]`, the same on every process) seed the EMA shard. With `overlap`
    /// the gradient buffer is reduce-scattered in `bucketBytes` buckets as the backward finishes them.
    public init(communicator: Communicator, layout: ParameterLayout, recipe: TrainingRecipe, initialParameters: [Float],
                overlap: Bool = true, bucketBytes: Int = 25 << 20) {
        self.overlap = overlap
        self.bucketBytes = bucketBytes
        self.communicator = communicator
        self.layout = layout
        self.recipe = recipe
        let cuts = Self.viewCuts(layout, world: communicator.size)
        self.cuts = cuts
        shards = ShardLayout(boundaries: cuts.map { $0 == layout.views.count ? layout.count : layout.views[$0].offset })
        ownViews = cuts[communicator.rank]..<cuts[communicator.rank + 1]
        shardLayout = layout.shard(views: ownViews)
        normShards = ShardLayout(boundaries: cuts.map { cut in layout.views[0..<cut].filter(\.trainable).count })
        let own = shards.range(of: communicator.rank)
        state = OptimizerState(count: own.count)
        ema = recipe.useEMA ? EMA(kind: recipe.emaKind, decay: recipe.emaDecay, parameters: Array(initialParameters[own])) : nil
        optimizer = recipe.makeOptimizer()
        round = overlap && communicator.size > 1
            ? OverlappedRound(BucketedAllreduce(communicator: communicator, count: layout.count, bucketBytes: bucketBytes, kind: .reduceScatter(shards)))
            : nil
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
        let shardGradients = UnsafeMutableBufferPointer(rebasing: gradients[own])  // [shard] this process's range, summed in place
        let shardParameters = UnsafeMutableBufferPointer(rebasing: parameters[own])  // [shard]
        Profile.measure("collective: gradient reduce-scatter") {
            if round?.finish() != true {  // else the rest of the buckets started during the backward is done now
                communicator.reduceScatterSum(UnsafeBufferPointer(gradients), layout: shards, into: shardGradients)
            }
        }
        if microBatches > 1 {
            let divisor = Float(microBatches)
            for i in 0..<shardGradients.count { shardGradients[i] /= divisor }
        }
        let mine = GradientClipping.viewSquareSums(UnsafeBufferPointer(shardGradients), layout: shardLayout)  // [own trainable views]
        var all = [Float](repeating: 0, count: normShards.count)  // [trainable views]
        Profile.measure("collective: norm all-gather") {
            mine.withUnsafeBufferPointer { m in all.withUnsafeMutableBufferPointer { communicator.allGather(m, layout: normShards, into: $0) } }
        }
        let norm = GradientClipping.norm(viewSquareSums: all)
        guard norm.isFinite else { return norm }
        if recipe.clipGradients {
            GradientClipping.scale(shardGradients, norm: norm, maxNorm: recipe.maxGradNorm, style: recipe.clipStyle, layout: shardLayout)
        }
        optimizer.step(parameters: shardParameters, gradients: UnsafeBufferPointer(shardGradients), state: &state, lr: lr, layout: shardLayout)
        ema?.update(from: UnsafeBufferPointer(shardParameters))
        Profile.measure("collective: parameter all-gather") {
            communicator.allGather(UnsafeBufferPointer(shardParameters), layout: shards, into: parameters)
        }
        return norm
    }

    public var ownedStateRange: Range<Int> { shards.range(of: rank) }

    public func beginOverlappedSum(_ gradients: UnsafeMutableBufferPointer<Float>) -> ((Int) -> Void)? {
        round?.begin(gradients)
    }

    public func restore(optimizerState: OptimizerState, ema: EMA?) throws {
        let own = shards.range(of: rank)
        guard optimizerState.firstMoment.count == own.count, optimizerState.secondMoment.count == own.count else {
            throw TrainingError("resume state holds \(optimizerState.firstMoment.count) moments for rank \(rank)'s shard of \(own.count)")
        }
        state = optimizerState
        if recipe.useEMA {
            guard let ema, ema.weights.count == own.count else { throw TrainingError("resume state has no EMA weights for rank \(rank)'s shard but use_ema is on") }
            self.ema = ema
        } else {
            self.ema = nil
        }
    }

    /// The process that keeps view `index`.
    func owner(ofView index: Int) -> Int { (0..<world).last { cuts[$0] <= index }! }

    /// Which vector a checkpoint request asks for (message tags and request codes of `withFullState`).
    private enum Part: Int64 { case firstMoment = 0, secondMoment = 1, ema = 2, done = -1 }
    private static let requestTag = 7301, dataTag = 7302

    /// View `index` of `part` from this process's shard into `out`.  // [view.count]
    private func copyOwn(_ part: Part, view index: Int, into out: UnsafeMutableBufferPointer<Float>) {
        let view = layout.views[index]
        let start = view.offset - shards.range(of: rank).lowerBound
        let shard: [Float]
        switch part {
        case .firstMoment: shard = state.firstMoment
        case .secondMoment: shard = state.secondMoment
        case .ema, .done: shard = ema?.weights ?? []
        }
        shard.withUnsafeBufferPointer { _ = out.update(fromContentsOf: $0[start..<(start + view.count)]) }
    }

    public func withFullState<R>(_ body: (TrainingState) throws -> R) throws -> R? {
        guard rank == 0 else {
            serveShards()
            return nil
        }
        // The writer may read views from several threads: one request and its answer at a time.
        let fetchLock = NSLock()
        func source(_ part: Part) -> FlatSource {
            FlatSource { [self] index, out in
                fetchLock.lock()
                defer { fetchLock.unlock() }
                let owner = owner(ofView: index)
                if owner == rank { return copyOwn(part, view: index, into: out) }
                let request: [Int64] = [part.rawValue, Int64(index)]  // [2] part, view
                request.withUnsafeBytes { communicator.send($0, to: owner, tag: Self.requestTag) }
                communicator.receive(UnsafeMutableRawBufferPointer(out), from: owner, tag: Self.dataTag)
            }
        }
        defer {
            let done: [Int64] = [Part.done.rawValue, 0]  // [2]
            for r in 1..<world { done.withUnsafeBytes { communicator.send($0, to: r, tag: Self.requestTag) } }
        }
        let state = TrainingState(firstMoment: source(.firstMoment), secondMoment: source(.secondMoment), optimizerStep: state.step,
                                  ema: ema.map { (source(.ema), $0.updates) })
        return try body(state)
    }

    /// Answers rank 0's view requests from this process's shards until it says done.
    private func serveShards() {
        var request: [Int64] = [0, 0]  // [2] part, view
        while true {
            request.withUnsafeMutableBytes { communicator.receive($0, from: 0, tag: Self.requestTag) }
            guard let part = Part(rawValue: request[0]), part != .done else { return }
            let index = Int(request[1])
            guard layout.views.indices.contains(index), owner(ofView: index) == rank else {
                communicator.abort("checkpoint request for view \(index), which rank \(rank) does not keep")
            }
            var out = [Float](repeating: 0, count: layout.views[index].count)  // [view.count]
            out.withUnsafeMutableBufferPointer { copyOwn(part, view: index, into: $0) }
            out.withUnsafeBytes { communicator.send($0, to: 0, tag: Self.dataTag) }
        }
    }
}
