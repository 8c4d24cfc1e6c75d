import Distributed
import Kernels
import Training

/// Replicated data parallelism for `Trainer` over a `Communicator`: every process keeps the full
/// optimizer state and EMA; gradients are summed over the processes in fixed buckets
/// (`BucketedAllreduce`, `bucketBytes`, DDP's 25 MiB by default) started during the backward of the
/// step's last local micro-batch as the backward finishes them — final layer, then the blocks from the
/// last — the compute thread driving MPI's progress at every block boundary (`OverlappedRound`), so
/// most of the communication hides behind the remaining backward; `sumGradients` waits for the rest. Without an overlapped round (`overlap` off)
/// one blocking allreduce in 4 MiB slices after the backward. Either way each element is summed over
/// the processes once: for two processes `g₀ + g₁` exactly, so a run equals one process with twice the
/// gradient accumulation bit for bit (`GradientReducer`). With `DITPORT_PROFILE` set the collectives'
/// wall time is added to `Profile` under "collective: …" (dit-train prints it per rank): with overlap,
/// "gradient allreduce" is the exposed part, the wait after the backward.
public final class CommunicatorReducer: GradientReducer {
    public let communicator: Communicator
    /// Start bucket sums during the backward.
    public let overlap: Bool
    /// Bucket size of the overlapped sums.
    public let bucketBytes: Int
    private var round: OverlappedRound?
    /// Buckets of the last overlapped round that were started during the backward, before `sumGradients`.
    public var bucketsStartedEarly: Int { round?.startedEarly ?? 0 }

    public init(communicator: Communicator, overlap: Bool = true, bucketBytes: Int = 25 << 20) {
        self.communicator = communicator
        self.overlap = overlap
        self.bucketBytes = bucketBytes
    }

    public var rank: Int { communicator.rank }
    public var world: Int { communicator.size }

    public func gatherLosses(_ losses: [Float]) -> [Float] { Self.gather(losses, communicator) }

    public func beginOverlappedSum(_ gradients: UnsafeMutableBufferPointer<Float>) -> ((Int) -> Void)? {
        guard overlap, world > 1 else { return nil }
        if round?.buckets.count != gradients.count {
            round = OverlappedRound(BucketedAllreduce(communicator: communicator, count: gradients.count, bucketBytes: bucketBytes))
        }
        return round!.begin(gradients)
    }

    public func sumGradients(_ gradients: UnsafeMutableBufferPointer<Float>) {
        Profile.measure("collective: gradient allreduce") {
            if round?.finish() != true { communicator.allreduceSum(gradients) }
        }
    }

    /// Equal-length per-process vectors concatenated in rank order.  // [n] → [n·world]
    static func gather(_ values: [Float], _ communicator: Communicator) -> [Float] {
        let layout = ShardLayout(count: values.count * communicator.size, world: communicator.size)
        var all = [Float](repeating: 0, count: layout.count)  // [n·world]
        Profile.measure("collective: loss all-gather") {
            values.withUnsafeBufferPointer { v in all.withUnsafeMutableBufferPointer { communicator.allGather(v, layout: layout, into: $0) } }
        }
        return all
    }
}
