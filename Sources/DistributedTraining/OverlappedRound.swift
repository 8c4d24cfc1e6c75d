import Distributed

/// A reducer's overlapped gradient reduction, one round per step: opened just before the backward that
/// completes the gradients (`begin`), fed by that backward, completed by the reducer (`finish`). Shared
/// by `CommunicatorReducer` (bucketed allreduce) and `ZeROUpdate` (bucketed reduce-scatter).
final class OverlappedRound {
    let buckets: BucketedAllreduce
    private var inFlight = false
    /// Buckets of the last round that were started during the backward, before `finish`.
    private(set) var startedEarly = 0

    init(_ buckets: BucketedAllreduce) { self.buckets = buckets }

    /// Opens a round over `gradients` (`[buckets.count]`, kept in place until `finish`) and returns the
    /// backward's callback: each report starts the buckets now final and tests those in flight, so the
    /// compute thread drives MPI's progress at every block boundary (a helper thread polling every
    /// 200 µs was slower on 2 cores: it preempts the compute; docs/distributed.md).
    func begin(_ gradients: UnsafeMutableBufferPointer<Float>) -> (Int) -> Void {
        let buckets = self.buckets
        buckets.begin(gradients)
        inFlight = true
        return { offset in
            buckets.ready(from: offset)
            buckets.progress()
        }
    }

    /// Starts what is left and waits for the round opened by `begin`; false when none is open (the
    /// caller then reduces with one blocking collective).
    func finish() -> Bool {
        guard inFlight else { return false }
        startedEarly = buckets.startedBuckets
        buckets.finish()
        inFlight = false
        return true
    }
}
