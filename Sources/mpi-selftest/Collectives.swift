import Distributed
import Foundation

/// Runs every collective once on `SelftestInput` vectors and writes what each rank got.
struct Collectives {
    let communicator: Communicator
    let folder: String
    let exact: Bool

    func save<T>(_ name: String, _ values: [T]) {
        let path = folder + "/\(name).\(communicator.rank)"
        let data = values.withUnsafeBytes { Data($0) }
        do { try data.write(to: URL(fileURLWithPath: path)) } catch { communicator.abort("cannot write \(path): \(error)") }
    }

    func run() {
        let rank = communicator.rank, world = communicator.size
        let mine = SelftestInput.vector(rank: rank, exact: exact)  // [n] f32
        let n = mine.count
        let layout = ShardLayout(count: n, world: world)
        if let mpi = communicator as? MPICommunicator { mpi.chunkBytes = 1 << 20 }  // several chunks per call

        var broadcast = mine
        communicator.broadcast(&broadcast, root: world - 1)
        save("broadcast", broadcast)

        var sum = mine
        communicator.allreduceSum(&sum)
        save("allreduce", sum)

        var doubles = [Double(rank) + 0.1, 1e300, -Double(rank) * 3]  // [3] f64
        communicator.allreduceSum(&doubles)
        save("allreduce64", doubles)

        var shard = [Float](repeating: .nan, count: layout.range(of: rank).count)  // [own shard] f32
        mine.withUnsafeBufferPointer { b in shard.withUnsafeMutableBufferPointer { communicator.reduceScatterSum(b, layout: layout, into: $0) } }
        save("reducescatter", shard)

        let own = Array(mine[layout.range(of: rank)])
        var gathered = [Float](repeating: .nan, count: n)  // [n] f32
        own.withUnsafeBufferPointer { s in gathered.withUnsafeMutableBufferPointer { communicator.allGather(s, layout: layout, into: $0) } }
        save("allgather", gathered)

        var inPlace = [Float](repeating: .nan, count: n)  // [n] f32, own shard filled
        inPlace.replaceSubrange(layout.range(of: rank), with: own)
        inPlace.withUnsafeMutableBufferPointer { buffer in
            let start = layout.range(of: rank).lowerBound
            communicator.allGather(UnsafeBufferPointer(rebasing: buffer[start..<(start + own.count)]), layout: layout, into: buffer)
        }
        save("allgather-inplace", inPlace)

        for (name, thread) in [("bucketed-poll", false), ("bucketed-thread", true)] {
            var buffer = mine
            let reducer = BucketedAllreduce(communicator: communicator, count: n, bucketBytes: 256 << 10, progressThread: thread)
            buffer.withUnsafeMutableBufferPointer { b in
                reducer.begin(b)
                var offset = n
                while offset > 0 {  // as a backward pass finishing the vector from its end
                    offset = max(0, offset - 100_000)
                    reducer.ready(from: offset)
                    reducer.progress()
                }
                reducer.finish()
            }
            save(name, buffer)
            save(name + "-buckets", [Int64(reducer.buckets.count)])
        }

        let (low, high) = communicator.allreduceMinMax([UInt64(rank), 42, UInt64(1000 - rank)])
        save("minmax", low + high)
        save("agree", [communicator.agree(on: 42) ? 1 : 0, communicator.agree(on: UInt64(rank)) ? 1 : 0] as [Int64])
        save("world", [Int64(rank), Int64(world), Int64((communicator as? MPICommunicator)?.threadLevel ?? -1)])
        communicator.barrier()
    }
}
