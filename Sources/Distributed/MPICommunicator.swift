#if canImport(Glibc)
import Glibc
#endif
import CMPI

/// `MPI_COMM_WORLD` of an MPI job (Open MPI or MPICH, started by `mpirun`/`mpiexec`).
///
/// Every MPI call goes through one lock, so the library is only ever entered by one thread at a time:
/// `MPI_THREAD_SERIALIZED` is requested, which lets a progress thread (`BucketedAllreduce`) test
/// requests while the main thread computes. Blocking sums are issued in slices of `chunkBytes`
/// (measured: 100 MB reduced as 2–8 MB calls is 2–2.5× faster than one call on a 32 MiB-L3 CPU,
/// distributed.md §4; the result is the same elementwise sum).
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    /// Names the tool in `abort`'s line.
    public let tool: String
    /// Thread support the library granted (`MPI_THREAD_*`, 0–3).
    public let threadLevel: Int32
    /// Largest single blocking allreduce/broadcast call, in bytes.
    public var chunkBytes = 4 << 20
    let lock = MPILock()
    private var finalized = false

    /// Initialises MPI (once per process). Call only when a launcher started the process
    /// (`LaunchEnvironment.detect().launcher != nil`): a process started alone would become a singleton
    /// job of size 1 after a slow start-up.
    public init(tool: String) {
        self.tool = tool
        var provided: Int32 = 0
        var initialized: Int32 = 0
        MPI_Initialized(&initialized)
        if initialized == 0 {
            MPI_Init_thread(nil, nil, cmpi_thread_serialized(), &provided)
        } else {
            MPI_Query_thread(&provided)
        }
        threadLevel = provided
        var r: Int32 = 0, s: Int32 = 0
        MPI_Comm_rank(cmpi_comm_world(), &r)
        MPI_Comm_size(cmpi_comm_world(), &s)
        rank = Int(r)
        size = Int(s)
    }

    /// True when another thread may drive progress while this one computes.
    public var allowsProgressThread: Bool { threadLevel >= cmpi_thread_serialized() }

    /// Ends MPI for this process (`MPI_Finalize`); every rank must call it before exiting normally, or
    /// mpirun reports the job as failed. Later calls do nothing.
    public func finalize() {
        lock.locked {
            guard !finalized else { return }
            finalized = true
            var done: Int32 = 0
            MPI_Finalized(&done)
            if done == 0 { MPI_Finalize() }
        }
    }

    /// Runs `body` for consecutive slices of at most `limit` elements (MPI counts are 32-bit).
    private func slices(_ count: Int, limit: Int, _ body: (Int, Int32) -> Int32, what: String) {
        var start = 0
        while start < count {
            let n = min(limit, count - start)
            let status = body(start, Int32(n))
            if status != cmpi_success() { abort("\(what) failed (MPI error \(status))") }
            start += n
        }
    }

    private func limit(elementBytes: Int) -> Int { max(1, min(chunkBytes / elementBytes, Int(Int32.max))) }

    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int) {
        guard root >= 0 && root < size else { abort("broadcast from root \(root) outside 0..<\(size)") }
        guard let base = buffer.baseAddress else { return }
        lock.locked {
            slices(buffer.count, limit: limit(elementBytes: 4), { start, n in
                MPI_Bcast(base + start, n, cmpi_float(), Int32(root), cmpi_comm_world())
            }, what: "MPI_Bcast")
        }
    }

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) {
        guard let base = buffer.baseAddress else { return }
        lock.locked {
            slices(buffer.count, limit: limit(elementBytes: 4), { start, n in
                MPI_Allreduce(cmpi_in_place(), base + start, n, cmpi_float(), cmpi_sum(), cmpi_comm_world())
            }, what: "MPI_Allreduce")
        }
    }

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) {
        guard let base = buffer.baseAddress else { return }
        lock.locked {
            slices(buffer.count, limit: limit(elementBytes: 8), { start, n in
                MPI_Allreduce(cmpi_in_place(), base + start, n, cmpi_double(), cmpi_sum(), cmpi_comm_world())
            }, what: "MPI_Allreduce")
        }
    }

    public func allreduceMinMax(_ values: [UInt64]) -> (min: [UInt64], max: [UInt64]) {
        var low = values, high = values
        guard !values.isEmpty else { return (low, high) }
        guard values.count <= Int(Int32.max) else { abort("allreduceMinMax of \(values.count) values") }
        lock.locked {
            let a = low.withUnsafeMutableBufferPointer { MPI_Allreduce(cmpi_in_place(), $0.baseAddress, Int32($0.count), cmpi_uint64(), cmpi_min(), cmpi_comm_world()) }
            let b = high.withUnsafeMutableBufferPointer { MPI_Allreduce(cmpi_in_place(), $0.baseAddress, Int32($0.count), cmpi_uint64(), cmpi_max(), cmpi_comm_world()) }
            if a != cmpi_success() || b != cmpi_success() { abort("MPI_Allreduce (min/max) failed") }
        }
        return (low, high)
    }

    /// Shard lengths and offsets as MPI's 32-bit arrays; aborts when a count does not fit.
    private func counts(_ layout: ShardLayout, _ what: String) -> (counts: [Int32], offsets: [Int32]) {
        guard layout.world == size else { abort("\(what): shard layout for \(layout.world) ranks in a job of \(size)") }
        guard layout.count <= Int(Int32.max) else { abort("\(what): \(layout.count) elements exceed MPI's 32-bit counts") }
        return (layout.counts.map { Int32($0) }, (0..<size).map { Int32(layout.range(of: $0).lowerBound) })
    }

    /// Issued in rounds: round j reduces piece j (at most `chunkBytes / size` bytes) of every rank's shard,
    /// packed in rank order into one staging buffer, with one `MPI_Reduce_scatter`. So the library's
    /// temporaries are a few `chunkBytes` (one call over the whole vector makes Open MPI allocate
    /// full-vector buffers inside every call: +1.5 × the vector per rank measured, docs/distributed.md),
    /// and `shard` may lie inside `buffer` at this rank's range (each piece is staged before its round
    /// overwrites it). The sums are those of one call (for two ranks exactly `g₀ + g₁`).
    public func reduceScatterSum(_ buffer: UnsafeBufferPointer<Float>, layout: ShardLayout, into shard: UnsafeMutableBufferPointer<Float>) {
        guard layout.world == size else { abort("reduceScatterSum: shard layout for \(layout.world) ranks in a job of \(size)") }
        guard buffer.count == layout.count, shard.count == layout.range(of: rank).count else {
            abort("reduceScatterSum: buffer \(buffer.count) / shard \(shard.count) elements, layout wants \(layout.count) / \(layout.range(of: rank).count)")
        }
        let piece = max(1, limit(elementBytes: 4) / size)  // elements of each rank's shard per round
        let rounds = ((layout.counts.max() ?? 0) + piece - 1) / piece
        guard rounds > 0, let source = buffer.baseAddress else { return }
        let staging = UnsafeMutablePointer<Float>.allocate(capacity: piece * size)  // [size · piece] this round's pieces, rank order
        defer { staging.deallocate() }
        var unused: Float = 0  // receive buffer of a round in which this rank's shard has nothing left
        var counts = [Int32](repeating: 0, count: size)  // [size] elements each rank receives this round
        for round in 0..<rounds {
            var filled = 0
            for r in 0..<size {
                let range = layout.range(of: r)
                let lo = min(range.lowerBound + round * piece, range.upperBound), hi = min(lo + piece, range.upperBound)
                counts[r] = Int32(hi - lo)
                (staging + filled).update(from: source + lo, count: hi - lo)
                filled += hi - lo
            }
            let offset = round * piece
            let status = withUnsafeMutablePointer(to: &unused) { spare in
                let receive = offset < shard.count ? shard.baseAddress! + offset : spare
                return lock.locked {
                    counts.withUnsafeBufferPointer { c in
                        MPI_Reduce_scatter(staging, receive, c.baseAddress, cmpi_float(), cmpi_sum(), cmpi_comm_world())
                    }
                }
            }
            if status != cmpi_success() { abort("MPI_Reduce_scatter failed (MPI error \(status))") }
        }
    }

    public func allGather(_ shard: UnsafeBufferPointer<Float>, layout: ShardLayout, into buffer: UnsafeMutableBufferPointer<Float>) {
        let (counts, offsets) = counts(layout, "allGather")
        let own = layout.range(of: rank)
        guard buffer.count == layout.count, shard.count == own.count else {
            abort("allGather: shard \(shard.count) / buffer \(buffer.count) elements, layout wants \(own.count) / \(layout.count)")
        }
        let inPlace = shard.baseAddress != nil && shard.baseAddress == buffer.baseAddress.map { UnsafePointer($0 + own.lowerBound) }
        let status = lock.locked {
            counts.withUnsafeBufferPointer { c in
                offsets.withUnsafeBufferPointer { d in
                    MPI_Allgatherv(inPlace ? UnsafeRawPointer(cmpi_in_place()) : UnsafeRawPointer(shard.baseAddress), Int32(own.count), cmpi_float(),
                                   buffer.baseAddress, c.baseAddress, d.baseAddress, cmpi_float(), cmpi_comm_world())
                }
            }
        }
        if status != cmpi_success() { abort("MPI_Allgatherv failed (MPI error \(status))") }
    }

    public func startAllreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) -> PendingOperation {
        guard buffer.count <= Int(Int32.max) else { abort("startAllreduceSum: \(buffer.count) elements exceed MPI's 32-bit counts") }
        var request = cmpi_request_null()
        let status = lock.locked {
            MPI_Iallreduce(cmpi_in_place(), buffer.baseAddress, Int32(buffer.count), cmpi_float(), cmpi_sum(), cmpi_comm_world(), &request)
        }
        if status != cmpi_success() { abort("MPI_Iallreduce failed (MPI error \(status))") }
        return MPIRequestOperation(communicator: self, request: request)
    }

    public func send(_ bytes: UnsafeRawBufferPointer, to destination: Int, tag: Int) {
        guard destination >= 0 && destination < size && destination != rank else { abort("send to rank \(destination) from \(rankDescription)") }
        guard let base = bytes.baseAddress else { return }
        lock.locked {
            slices(bytes.count, limit: min(chunkBytes * 16, Int(Int32.max)), { start, n in
                MPI_Send(base + start, n, cmpi_byte(), Int32(destination), Int32(tag), cmpi_comm_world())
            }, what: "MPI_Send to rank \(destination)")
        }
    }

    public func receive(_ bytes: UnsafeMutableRawBufferPointer, from source: Int, tag: Int) {
        guard source >= 0 && source < size && source != rank else { abort("receive from rank \(source) on \(rankDescription)") }
        guard let base = bytes.baseAddress else { return }
        // Each slice is received by its own call in the sender's order (MPI keeps messages between a pair in order);
        // a slice of another length means the two sides disagree about the message: end the job.
        slices(bytes.count, limit: min(chunkBytes * 16, Int(Int32.max)), { start, n in
            var status = MPI_Status()
            let result = lock.locked { MPI_Recv(base + start, n, cmpi_byte(), Int32(source), Int32(tag), cmpi_comm_world(), &status) }
            var got: Int32 = 0
            MPI_Get_count(&status, cmpi_byte(), &got)
            if result == cmpi_success() && got != n { abort("receive from rank \(source): \(got) bytes where \(n) were expected") }
            return result
        }, what: "MPI_Recv from rank \(source)")
    }

    public func startReduceScatterSum(_ buffer: UnsafeMutableBufferPointer<Float>, counts: [Int]) -> PendingOperation {
        guard counts.count == size, counts.reduce(0, +) == buffer.count, buffer.count <= Int(Int32.max) else {
            abort("startReduceScatterSum: counts \(counts.count) summing to \(counts.reduce(0, +)) for a buffer of \(buffer.count) in a job of \(size)")
        }
        // MPI requires the counts array to stay untouched until the operation completes: the operation owns it.
        let owned = UnsafeMutablePointer<Int32>.allocate(capacity: size)  // [size]
        for r in 0..<size { owned[r] = Int32(counts[r]) }
        var request = cmpi_request_null()
        let status = lock.locked {
            MPI_Ireduce_scatter(cmpi_in_place(), buffer.baseAddress, owned, cmpi_float(), cmpi_sum(), cmpi_comm_world(), &request)
        }
        if status != cmpi_success() { abort("MPI_Ireduce_scatter failed (MPI error \(status))") }
        return MPIRequestOperation(communicator: self, request: request, owning: owned)
    }

    public func barrier() {
        let status = lock.locked { MPI_Barrier(cmpi_comm_world()) }
        if status != cmpi_success() { abort("MPI_Barrier failed (MPI error \(status))") }
    }

    public func abort(_ message: String, code: Int32) -> Never {
        fputs("\(tool): \(rankDescription): error: \(message)\n", stderr)
        fflush(stderr)
        fflush(stdout)
        // No lock: abort must work even when another thread is inside MPI.
        MPI_Abort(cmpi_comm_world(), code)
        exit(code)
    }
}

/// One `MPI_Request` of a non-blocking collective.
final class MPIRequestOperation: PendingOperation {
    private let communicator: MPICommunicator
    private var request: MPI_Request?
    private var done = false
    /// Arguments MPI reads until completion (a reduce-scatter's counts), freed with the operation.
    private let owned: UnsafeMutablePointer<Int32>?

    init(communicator: MPICommunicator, request: MPI_Request?, owning owned: UnsafeMutablePointer<Int32>? = nil) {
        self.communicator = communicator
        self.request = request
        self.owned = owned
    }

    deinit {
        if !done { wait() }  // never free what MPI may still read
        owned?.deallocate()
    }

    func test() -> Bool {
        let status: Int32 = communicator.lock.locked {
            guard !done else { return cmpi_success() }
            var flag: Int32 = 0
            let status = MPI_Test(&request, &flag, cmpi_status_ignore())
            done = flag != 0
            return status
        }
        if status != cmpi_success() { communicator.abort("MPI_Test failed (MPI error \(status))") }
        return communicator.lock.locked { done }
    }

    func wait() {
        let status: Int32 = communicator.lock.locked {
            guard !done else { return cmpi_success() }
            done = true
            return MPI_Wait(&request, cmpi_status_ignore())
        }
        if status != cmpi_success() { communicator.abort("MPI_Wait failed (MPI error \(status))") }
    }
}

/// A pthread mutex (the package's Foundation-free style).
final class MPILock {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }
    func locked<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body()
    }
}
