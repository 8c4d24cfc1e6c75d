import Distributed
import Kernels
import Training

/// Replicated data parallelism for `Trainer` over a `Communicator`: every process keeps the full
/// optimizer state and EMA; gradients are summed with one blocking allreduce (4 MiB slices) after the
/// local micro-batches — the trainer computes a micro-batch's gradient in one call, so there is no
/// earlier point to start buckets at (`BucketedAllreduce` is the API for a backward that reports
/// finished layers). For two processes the sum is `g₀ + g₁` exactly, so a run equals one process with
/// twice the gradient accumulation bit for bit (`GradientReducer`). With `DITPORT_PROFILE` set the
/// collectives' wall time is added to `Profile` under "collective: …" (dit-train prints it per rank).
public final class CommunicatorReducer: GradientReducer {
    public let communicator: Communicator

    public init(communicator: Communicator) { self.communicator = communicator }

    public var rank: Int { communicator.rank }
    public var world: Int { communicator.size }

    public func gatherLosses(_ losses: [Float]) -> [Float] { Self.gather(losses, communicator) }

    public func sumGradients(_ gradients: UnsafeMutableBufferPointer<Float>) {
        Profile.measure("collective: gradient allreduce") { communicator.allreduceSum(gradients) }
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
