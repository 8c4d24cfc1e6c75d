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

        // In place, on shards cut unevenly (rank 0 keeps 7 elements: it has nothing left after the first
        // round), as ZeRO-1 reduces the gradient buffer into its own range.
        let uneven = ShardLayout(boundaries: [0, 7] + (1..<world).map { n * $0 / world + (($0 == world - 1) ? 0 : 1) }.dropLast() + [n])
        var whole = mine  // [n] f32, own range summed in place
        whole.withUnsafeMutableBufferPointer { buffer in
            communicator.reduceScatterSum(UnsafeBufferPointer(buffer), layout: uneven, into: UnsafeMutableBufferPointer(rebasing: buffer[uneven.range(of: rank)]))
        }
        save("reducescatter-inplace", Array(whole[uneven.range(of: rank)]))
        // The same as buckets of 256 KiB started from the end, non-blocking, in place (ZeRO-1's overlap).
        var bucketed = mine  // [n] f32, own range summed
        let scatter = BucketedAllreduce(communicator: communicator, count: n, bucketBytes: 256 << 10, kind: .reduceScatter(uneven))
        bucketed.withUnsafeMutableBufferPointer { b in
            scatter.begin(b)
            var offset = n
            while offset > 0 {
                offset = max(0, offset - 100_000)
                scatter.ready(from: offset)
                scatter.progress()
            }
            scatter.finish()
        }
        save("bucketed-reducescatter", Array(bucketed[uneven.range(of: rank)]))
        save("uneven-boundaries", uneven.boundaries.map(Int64.init))

        // Point to point around the ring: the first 1000 values to the next rank, from the previous one.
        let next = (rank + 1) % world, previous = (rank + world - 1) % world
        let head = Array(mine[0..<1000])  // [1000] f32
        var received = [Float](repeating: .nan, count: 1000)  // [1000] f32
        func sendHead() { head.withUnsafeBytes { communicator.send($0, to: next, tag: 5) } }
        func receiveHead() { received.withUnsafeMutableBytes { communicator.receive($0, from: previous, tag: 5) } }
        if rank % 2 == 0 { sendHead(); receiveHead() } else { receiveHead(); sendHead() }
        save("sendreceive", received)

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
