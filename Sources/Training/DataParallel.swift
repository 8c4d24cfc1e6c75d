/// Data parallelism for `Trainer` (docs/distributed.md): the W processes of a job share every optimizer
/// step. A step then has W·K micro-batches of B samples (K = `gradient_accumulation_steps` of each
/// process); process r computes micro-batches r·K … r·K + K − 1 — exactly the batches
/// (`Trainer.batch(step:micro:)`, per-sample randomness keyed by global sample index) that one process
/// with `gradient_accumulation_steps` W·K computes at those positions — and sums its K gradients in
/// order; the reducer combines the processes' sums, and the step divides by W·K as one process does.
/// With W = 2 and K = 1 that is `(g₀ + g₁)/2` on both sides: every parameter, moment, EMA weight and
/// logged loss equals one process's run with `gradient_accumulation_steps` 2 bit for bit. (With K > 1
/// the sum is (g₀+…+g_{K−1}) + (g_K+…) instead of one running sum: equal up to float rounding.)
///
/// All processes must call `Trainer.step()` in lockstep; a process whose step throws must end the
/// whole job (`Communicator.abort`), or the others wait in the next collective.
public protocol GradientReducer: AnyObject {
    /// This process's index, 0..<world.
    var rank: Int { get }
    /// Number of processes.
    var world: Int { get }
    /// Every process's per-sample losses (`[B·K]` each) concatenated in rank order — `[W·B·K]`, the
    /// same on every process (the step's mean is then summed in one process's order).
    func gatherLosses(_ losses: [Float]) -> [Float]
    /// Replicated update: replaces `gradients` by its sum over the processes (bitwise the same on all).  // [layout.count]
    /// After `beginOverlappedSum` on the same buffer it completes the sums started during the backward.
    func sumGradients(_ gradients: UnsafeMutableBufferPointer<Float>)
    /// Overlap (DDP's buckets): called just before the backward that completes `gradients` (the step's
    /// last local micro-batch); returns the callback that backward calls with offsets o, descending,
    /// once `[o, count)` is final, and starts summing finished buckets while the rest is computed; nil
    /// when the reducer does not overlap. The buffer must stay in place until `sumGradients`.
    func beginOverlappedSum(_ gradients: UnsafeMutableBufferPointer<Float>) -> ((Int) -> Void)?
}

extension GradientReducer {
    public func beginOverlappedSum(_ gradients: UnsafeMutableBufferPointer<Float>) -> ((Int) -> Void)? { nil }
}

/// A reducer that also owns the update (ZeRO-1): the optimizer moments and the EMA live in shards, one
/// per process. With a `ShardedUpdate` the trainer's own `optimizerState` is empty and its `ema` nil;
/// the updater gathers them for checkpoints and takes them back on resume.
public protocol ShardedUpdate: GradientReducer {
    /// From this process's gradient sum (`[layout.count]`, not yet divided; overwritten; after
    /// `beginOverlappedSum` the reduction started during the backward is completed here) to the new full
    /// `parameters`: sum over processes into shards, divide by `microBatches`, clip by the global norm,
    /// optimizer and EMA on the shard, gather the parameters. Returns the global norm before clipping;
    /// when it is not finite nothing is updated (the trainer then stops).
    func update(gradients: UnsafeMutableBufferPointer<Float>, microBatches: Int, parameters: UnsafeMutableBufferPointer<Float>, lr: Double) -> Float
    /// Takes this process's shards of a saved state (resume): `optimizerState` and `ema` hold the
    /// elements `ownedStateRange` only.
    func restore(optimizerState: OptimizerState, ema: EMA?) throws
    /// This process's element range of the optimizer moments and the EMA (its shard, cut on tensor
    /// boundaries); resume reads only these.
    var ownedStateRange: Range<Int> { get }
    /// Runs `body` on rank 0 with the full optimizer state and EMA, whose views rank 0 fetches from
    /// their owners as a writer reads them (so no process ever holds the whole state); the other
    /// processes meanwhile serve their shards and get nil. A collective: every process calls it at the
    /// same step.
    func withFullState<R>(_ body: (TrainingState) throws -> R) throws -> R?
}
