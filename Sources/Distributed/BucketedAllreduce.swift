import Foundation

/// Sums a flat gradient vector over ranks bucket by bucket while it is still being computed
/// (PyTorch DDP's bucketing, distributed.md §3.1): the caller reports how much of the vector is final
/// (`ready(from:)`), each completed bucket is started as a non-blocking `MPI_Iallreduce`, and
/// `finish()` waits for the rest. The sums are the same as one blocking `allreduceSum`: each element
/// is summed over ranks once (for two ranks exactly `g₀ + g₁`).
///
/// Buckets are fixed by `count` and `bucketBytes` alone and issued in one fixed order — from the end of
/// the vector toward its start, as a backward pass produces the last layers' gradients first — so every
/// rank issues the same collectives in the same order, as MPI requires.
///
/// With `kind: .reduceScatter(shards)` (ZeRO-1) each bucket is instead reduce-scattered in place: every
/// rank receives the sums of the bucket's elements that lie in its shard, and `finish()` moves them from
/// the bucket's start (where MPI_IN_PLACE leaves them) to their place; only the own shard's elements of
/// the buffer are then defined.
///
/// Progress: with Open MPI's shared-memory transport a started operation only moves while some MPI
/// call runs. Either call `progress()` between pieces of computation (every few hundred µs is enough,
/// distributed.md §4), or construct with `progressThread: true` to have a helper thread test the
/// requests every `progressInterval` seconds (needs `MPI_THREAD_SERIALIZED`, which `MPICommunicator`
/// requests; all MPI calls are serialised by its lock).
public final class BucketedAllreduce {
    /// What each bucket's collective does.
    public enum Kind: Equatable {
        /// Every rank gets every element's sum.
        case allreduce
        /// Each rank gets the sums of the elements in its shard of the layout (whose count is the vector's).
        case reduceScatter(ShardLayout)
    }

    public let communicator: Communicator
    public let kind: Kind
    /// Elements of the vector.
    public let count: Int
    /// Bucket size in bytes (the last bucket, at the vector's head, may be smaller).
    public let bucketBytes: Int
    /// Element ranges in issue order: `[count − E, count)`, `[count − 2E, count − E)`, …, `[0, …)`.
    public let buckets: [Range<Int>]
    /// Seconds between the helper thread's tests.
    public let progressInterval: Double

    private let state = MPILock()
    private var buffer: UnsafeMutablePointer<Float>?
    /// Buckets started so far in this round (a prefix of `buckets`).
    private var started = 0
    private var operations: [PendingOperation] = []
    private let useThread: Bool
    private var thread: ProgressThread?

    /// - Parameters:
    ///   - bucketBytes: bytes per bucket (rounded down to whole floats, at least one).
    ///   - progressThread: drive progress from a helper thread (ignored for one process, or when the
    ///     MPI library does not allow a second thread).
    public init(communicator: Communicator, count: Int, bucketBytes: Int = 4 << 20, kind: Kind = .allreduce, progressThread: Bool = false,
                progressInterval: Double = 200e-6) {
        precondition(count >= 0 && bucketBytes > 0, "BucketedAllreduce: count \(count), bucketBytes \(bucketBytes)")
        if case .reduceScatter(let shards) = kind {
            precondition(shards.count == count && shards.world == communicator.size, "BucketedAllreduce: shard layout \(shards.boundaries) for \(count) elements, \(communicator.size) ranks")
        }
        self.communicator = communicator
        self.kind = kind
        self.count = count
        self.bucketBytes = bucketBytes
        self.progressInterval = progressInterval
        let elements = max(1, bucketBytes / MemoryLayout<Float>.size)
        var ranges: [Range<Int>] = []
        var end = count
        while end > 0 {
            let start = max(0, end - elements)
            ranges.append(start..<end)
            end = start
        }
        buckets = ranges
        let threadAllowed = (communicator as? MPICommunicator)?.allowsProgressThread ?? false
        useThread = progressThread && communicator.size > 1 && threadAllowed
    }

    /// Starts a round over `buffer` (`[count]` f32, reduced in place). It must stay valid until `finish()`.
    public func begin(_ buffer: UnsafeMutableBufferPointer<Float>) {
        guard buffer.count == count else { communicator.abort("BucketedAllreduce: buffer of \(buffer.count) elements, built for \(count)") }
        state.locked {
            guard self.buffer == nil else { communicator.abort("BucketedAllreduce: begin() while a round is in flight") }
            self.buffer = buffer.baseAddress
            started = 0
            operations = []
        }
        if useThread && communicator.size > 1 {
            thread = ProgressThread(interval: progressInterval) { [weak self] in self?.progress() }
        }
    }

    /// Reports that elements `[offset, count)` hold their final values: every bucket lying entirely in
    /// that range and not yet started is started, in issue order.
    public func ready(from offset: Int) {
        state.locked {
            guard let base = buffer else { communicator.abort("BucketedAllreduce: ready(from:) outside begin()/finish()") }
            while started < buckets.count && buckets[started].lowerBound >= offset {
                let range = buckets[started]
                let bucket = UnsafeMutableBufferPointer(start: base + range.lowerBound, count: range.count)
                switch kind {
                case .allreduce:
                    operations.append(communicator.startAllreduceSum(bucket))
                case .reduceScatter(let shards):
                    let counts = (0..<shards.world).map { Self.overlap(range, shards.range(of: $0)).count }  // [world]
                    operations.append(communicator.startReduceScatterSum(bucket, counts: counts))
                }
                started += 1
            }
        }
    }

    /// Buckets started so far in this round.
    public var startedBuckets: Int { state.locked { started } }

    /// Lets the started operations move forward without blocking; cheap when there is nothing to do.
    public func progress() {
        let pending = state.locked { operations }
        for operation in pending { operation.test() }
    }

    /// Starts the buckets not started yet, waits for all, and ends the round: `buffer` then holds the
    /// sum over ranks.
    public func finish() {
        ready(from: 0)
        thread?.stop()
        thread = nil
        let pending = state.locked { operations }
        for operation in pending { operation.wait() }
        state.locked {
            if case .reduceScatter(let shards) = kind, let base = buffer {
                let own = shards.range(of: communicator.rank)
                for range in buckets {
                    let mine = Self.overlap(range, own)
                    if !mine.isEmpty && mine.lowerBound != range.lowerBound {
                        memmove(base + mine.lowerBound, base + range.lowerBound, mine.count * MemoryLayout<Float>.size)  // the two may overlap
                    }
                }
            }
            buffer = nil
            operations = []
        }
    }

    /// The elements two ranges share.
    static func overlap(_ a: Range<Int>, _ b: Range<Int>) -> Range<Int> {
        let low = max(a.lowerBound, b.lowerBound), high = min(a.upperBound, b.upperBound)
        return low < high ? low..<high : low..<low
    }
}

/// A thread that calls `body` every `interval` seconds until stopped.
final class ProgressThread {
    private let stopped = MPILock()
    private var running = true
    private let done = DispatchSemaphore(value: 0)

    init(interval: Double, _ body: @escaping () -> Void) {
        let micros = useconds_t(max(1, interval * 1e6))
        let thread = Thread { [self] in
            while stopped.locked({ running }) {
                body()
                usleep(micros)
            }
            done.signal()
        }
        thread.start()
    }

    /// Stops the loop and waits for the thread to leave it.
    func stop() {
        stopped.locked { running = false }
        done.wait()
    }
}
