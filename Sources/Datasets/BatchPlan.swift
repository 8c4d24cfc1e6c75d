import Diffusion

/// Which samples each optimizer step uses, and where they go: the plan the training loop and the
/// distributed layer share, so that one process, gradient accumulation and N ranks see the same samples.
///
/// * Epoch order: `torch.randperm(count)` from a generator seeded `seed + epoch` — the order PyTorch's
///   `DistributedSampler(shuffle=True, seed=seed)` uses after `set_epoch(epoch)` (identical on every rank),
///   or `0..<count` with `shuffle: false`.
/// * Step `k` of an epoch takes the contiguous block `order[k·B ..< (k+1)·B]` (B = `globalBatch`);
///   `dropLast` drops the final partial block, so an epoch has `count / B` steps (else `ceil(count / B)`).
/// * `shard(_:rank:world:)` gives rank r the block's positions `r, r+W, r+2W, …` — exactly what rank r's
///   `DataLoader` over `DistributedSampler` yields for that step (when no padding is involved).
///   Sharding a rank's shard again gives its micro-batches: `shard(shard(block, r, W), m, A)` is positions
///   `m·W + r (mod W·A)`, so `W` ranks with `A` accumulation steps and `W·A` ranks use the same samples.
///
/// ```swift
/// let plan = try BatchPlan(count: cache.count, seed: 0, globalBatch: 256)
/// let epoch = plan.epoch(3)                                  // one randperm per epoch
/// let mine = BatchPlan.shard(epoch.batch(step: 10), rank: rank, world: world)
/// for m in 0..<accumulation { let micro = BatchPlan.shard(mine, rank: m, world: accumulation) ... }
/// ```
public struct BatchPlan: Equatable, Sendable {
    public let count: Int
    public let seed: UInt64
    public let globalBatch: Int
    public let dropLast: Bool
    public let shuffle: Bool

    public init(count: Int, seed: UInt64, globalBatch: Int, dropLast: Bool = true, shuffle: Bool = true) throws {
        guard count > 0 else { throw DatasetError("the dataset is empty: there is nothing to train on") }
        guard globalBatch > 0 else { throw DatasetError("global batch size must be positive, got \(globalBatch)") }
        guard !dropLast || globalBatch <= count else {
            throw DatasetError("global batch size \(globalBatch) is larger than the dataset (\(count) samples): no full batch")
        }
        self.count = count
        self.seed = seed
        self.globalBatch = globalBatch
        self.dropLast = dropLast
        self.shuffle = shuffle
    }

    /// Optimizer steps in one epoch.
    public var stepsPerEpoch: Int { dropLast ? count / globalBatch : (count + globalBatch - 1) / globalBatch }

    /// The sample order of `epoch` (a permutation of `0..<count`).
    public func order(epoch: Int) -> [Int] {
        guard shuffle else { return Array(0..<count) }
        var generator = TorchGenerator(seed: seed &+ UInt64(epoch))
        return generator.randperm(count)
    }

    /// One epoch's order, computed once, to take its batches from.
    public func epoch(_ epoch: Int) -> EpochBatches {
        EpochBatches(order: order(epoch: epoch), globalBatch: globalBatch, steps: stepsPerEpoch)
    }

    /// The global batch of `step` (0-based within `epoch`): dataset indices in batch order. Computes the
    /// epoch order (O(count)); hold an `epoch(_:)` to take many batches.
    public func indices(epoch: Int, step: Int) -> [Int] { self.epoch(epoch).batch(step: step) }

    /// `(epoch, step within the epoch)` of a global optimizer step counted from 0.
    public func position(ofGlobalStep step: Int) -> (epoch: Int, step: Int) { (step / stepsPerEpoch, step % stepsPerEpoch) }

    /// Rank `rank`'s part of `batch` among `world`: positions `rank, rank + world, …`. The batch size must be
    /// a multiple of `world` so every rank gets the same number of samples.
    public static func shard(_ batch: [Int], rank: Int, world: Int) -> [Int] {
        precondition(world > 0 && rank >= 0 && rank < world, "rank \(rank) outside a world of \(world)")
        precondition(batch.count % world == 0, "a batch of \(batch.count) does not split evenly over \(world)")
        return stride(from: rank, to: batch.count, by: world).map { batch[$0] }
    }

    /// The batches of one epoch.
    public struct EpochBatches: Sendable {
        public let order: [Int]
        public let globalBatch: Int
        public let steps: Int

        /// Dataset indices of step `step`'s global batch.
        public func batch(step: Int) -> [Int] {
            precondition(step >= 0 && step < steps, "step \(step) outside an epoch of \(steps) steps")
            return Array(order[(step * globalBatch)..<min((step + 1) * globalBatch, order.count)])
        }
    }
}
