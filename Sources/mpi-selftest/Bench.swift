import Distributed
import Foundation

/// Timings of the communicator on this machine (JSON lines on rank 0's stdout; times are the maximum over ranks).
struct Bench {
    let communicator: Communicator

    func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// The slowest rank's value.
    func slowest(_ seconds: Double) -> Double {
        Double(communicator.allreduceMinMax([UInt64(seconds * 1e9)]).max[0]) * 1e-9
    }

    func emit(_ fields: [String: Any]) {
        guard communicator.rank == 0 else { return }
        let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    /// In-place float32 allreduce of 1, 25, 100 MB: as slices of `chunkBytes` (the default, 4 MiB) and as one call.
    func bandwidth() {
        guard let mpi = communicator as? MPICommunicator else { return }
        for (megabytes, reps) in [(1, 200), (25, 20), (100, 8)] {
            let count = megabytes * 1_000_000 / 4
            var buffer = [Float](repeating: 1, count: count)  // [count] f32
            for (name, chunk) in [("chunked-4MiB", 4 << 20), ("one-call", Int.max / 2)] {
                mpi.chunkBytes = chunk
                communicator.allreduceSum(&buffer)  // warm-up
                communicator.barrier()
                let start = now()
                for _ in 0..<reps {
                    buffer.withUnsafeMutableBufferPointer { communicator.allreduceSum($0) }
                }
                let seconds = slowest((now() - start) / Double(reps))
                emit(["bench": "allreduce", "variant": name, "megabytes": megabytes, "ranks": communicator.size, "ms": seconds * 1e3,
                      "GBps": Double(count * 4) / seconds / 1e9])
                buffer = [Float](repeating: 1, count: count)
            }
        }
        mpi.chunkBytes = 4 << 20
    }

    /// About `seconds` of arithmetic on a cache-resident array, calling `poll` every ~200 µs.
    func compute(_ seconds: Double, poll: () -> Void) {
        var scratch = [Float](repeating: 1.0001, count: 4096)  // [4096] f32
        let end = now() + seconds
        var t = now()
        while t < end {
            for _ in 0..<8 { for i in 0..<scratch.count { scratch[i] = scratch[i] * 0.9999 + 0.0001 } }
            poll()
            t = now()
        }
        if scratch[0] == 42 { print("") }  // keep the loop
    }

    /// 25 MB of gradients in 4 MiB buckets against 100 ms of computation.
    func overlap() {
        let count = 25_000_000 / 4
        var buffer = [Float](repeating: 1, count: count)  // [count] f32
        let work = 0.1
        communicator.barrier()
        var start = now()
        communicator.allreduceSum(&buffer)
        emit(["bench": "overlap", "variant": "allreduce alone", "ms": slowest(now() - start) * 1e3])
        communicator.barrier()
        start = now()
        compute(work) {}
        communicator.allreduceSum(&buffer)
        emit(["bench": "overlap", "variant": "compute then blocking allreduce", "ms": slowest(now() - start) * 1e3])
        for (variant, thread, poll) in [("non-blocking, no progress calls", false, false), ("non-blocking, progress() polled", false, true),
                                        ("non-blocking, progress thread", true, false)] {
            let reducer = BucketedAllreduce(communicator: communicator, count: count, bucketBytes: 4 << 20, progressThread: thread)
            communicator.barrier()
            start = now()
            var waited = 0.0
            buffer.withUnsafeMutableBufferPointer { b in
                reducer.begin(b)
                reducer.ready(from: 0)
                compute(work) { if poll { reducer.progress() } }
                let w = now()
                reducer.finish()
                waited = now() - w
            }
            emit(["bench": "overlap", "variant": variant, "ms": slowest(now() - start) * 1e3, "wait_ms": slowest(waited) * 1e3,
                  "buckets": reducer.buckets.count])
        }
    }
}
