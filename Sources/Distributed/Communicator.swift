/// The collectives (and the few point-to-point messages) data-parallel training and sampling need, over the processes of one job (MPI's
/// `MPI_COMM_WORLD`, or just this process).
///
/// Every rank must make the same calls in the same order with the same element counts (MPI's rule for
/// collectives); a call made by some ranks only hangs the job, a count that differs between ranks is
/// a programming error. Misuse detected locally (a buffer of the wrong size) ends the whole job through
/// `abort`, so no rank is left waiting.
///
/// Results are bitwise identical on all ranks. With two ranks a sum is `g₀ + g₁`, exactly the
/// two-micro-batch accumulation of one process (float addition is commutative); with more ranks the
/// summation order is the library's (recursive doubling in Open MPI 4.1's defaults,
/// /work/shared/reference/distributed.md §3.6).
public protocol Communicator: AnyObject {
    /// This process's index, 0..<size.
    var rank: Int { get }
    /// Number of processes in the job.
    var size: Int { get }

    /// Overwrites `buffer` on every rank with root's contents.  // [n] f32, n equal on all ranks
    func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int)
    /// Replaces `buffer` on every rank by the elementwise sum over ranks.  // [n] f32
    func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>)
    /// Elementwise sum over ranks in double precision (losses, norms, counters).  // [n] f64
    func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>)
    /// Elementwise minimum and maximum of `values` over ranks (consistency checks).  // [n] u64 → ([n], [n])
    func allreduceMinMax(_ values: [UInt64]) -> (min: [UInt64], max: [UInt64])
    /// Sums `buffer` (the full vector, `[layout.count]`) over ranks and leaves this rank its own shard:
    /// `shard` receives elements `layout.range(of: rank)` of the sum; it may lie inside `buffer` at this
    /// rank's range (in place).  // [layout.count] → [layout.range(of: rank).count]
    func reduceScatterSum(_ buffer: UnsafeBufferPointer<Float>, layout: ShardLayout, into shard: UnsafeMutableBufferPointer<Float>)
    /// Assembles the full vector from every rank's shard: `buffer[layout.range(of: r)]` = rank r's `shard`.
    /// `shard` may lie inside `buffer` at this rank's range (in place).  // [shard] → [layout.count]
    func allGather(_ shard: UnsafeBufferPointer<Float>, layout: ShardLayout, into buffer: UnsafeMutableBufferPointer<Float>)
    /// Starts a non-blocking in-place sum of `buffer`; `buffer` must stay valid and untouched until the
    /// returned operation completes. Operations must be started in the same order on every rank.
    func startAllreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) -> PendingOperation
    /// Sends `bytes` to rank `destination` (blocking until the buffer may be reused); matched there by a
    /// `receive` from this rank with the same `tag` and length. Point to point, not a collective.
    func send(_ bytes: UnsafeRawBufferPointer, to destination: Int, tag: Int)
    /// Receives exactly `bytes.count` bytes from rank `source` sent with `tag` (blocking).
    func receive(_ bytes: UnsafeMutableRawBufferPointer, from source: Int, tag: Int)
    /// Starts a non-blocking in-place reduce-scatter: `buffer` is summed over ranks, rank r's piece being
    /// the r-th consecutive `counts[r]` elements (Σ counts = buffer.count); each rank receives its piece's
    /// sum at the START of its `buffer` (MPI_IN_PLACE semantics), the rest of `buffer` is undefined after
    /// completion. Same ordering rule as `startAllreduceSum`.
    func startReduceScatterSum(_ buffer: UnsafeMutableBufferPointer<Float>, counts: [Int]) -> PendingOperation
    /// Returns when every rank has called it.
    func barrier()
    /// Ends this process's part in the job after a successful run (`MPI_Finalize`; waits for the other
    /// ranks to finish too). Every rank must call it before exiting normally; later calls do nothing.
    func finalize()
    /// Ends the whole job: prints `message` as one line naming this rank on stderr, then kills every
    /// rank (`MPI_Abort`) with exit status `code`, so none is left waiting in a collective.
    func abort(_ message: String, code: Int32) -> Never
}

/// A non-blocking collective in flight.
public protocol PendingOperation: AnyObject {
    /// Lets the library move the operation forward without blocking; true once it has completed.
    /// Call it between pieces of computation: with Open MPI's ob1/vader transport nothing moves unless
    /// some MPI call runs (distributed.md §4).
    @discardableResult func test() -> Bool
    /// Blocks until the operation has completed.
    func wait()
}

extension Communicator {
    /// `abort` with exit status 1.
    public func abort(_ message: String) -> Never { abort(message, code: 1) }

    /// Array convenience for `broadcast`.
    public func broadcast(_ values: inout [Float], root: Int) {
        values.withUnsafeMutableBufferPointer { broadcast($0, root: root) }
    }

    /// Array convenience for `allreduceSum`.
    public func allreduceSum(_ values: inout [Float]) {
        values.withUnsafeMutableBufferPointer { allreduceSum($0) }
    }

    /// Array convenience for `allreduceSum` in double precision.
    public func allreduceSum(_ values: inout [Double]) {
        values.withUnsafeMutableBufferPointer { allreduceSum($0) }
    }

    /// The sum of one double over ranks.
    public func allreduceSum(_ value: Double) -> Double {
        var values = [value]
        allreduceSum(&values)
        return values[0]
    }

    /// True on every rank when every rank passed the same `value` (e.g. a hash of the parameters).
    public func agree(on value: UInt64) -> Bool {
        let (low, high) = allreduceMinMax([value])
        return low[0] == high[0]
    }

    /// "rank 1 of 2", for messages.
    public var rankDescription: String { "rank \(rank) of \(size)" }
}
