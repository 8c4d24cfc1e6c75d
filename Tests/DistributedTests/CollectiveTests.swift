import Foundation
import TestSupport
import XCTest

/// The communicator's collectives under `mpirun`: `mpi-selftest collectives` writes what every rank got;
/// the expected values follow from the inputs (the sum of two floats is their IEEE sum `x₀ + x₁`, which
/// is what two-rank MPI must return bit for bit — distributed.md §3.6).
final class CollectiveTests: XCTestCase {
    /// Sources/mpi-selftest/SelftestInput.swift's formula, repeated here.
    enum Input {
        static let count = 600_011
        static func mix(_ value: UInt64) -> UInt64 {
            var z = value &+ 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        static func vector(rank: Int, exact: Bool) -> [Float] {
            (0..<count).map { index in
                let h = mix(UInt64(rank) << 40 ^ UInt64(index))
                return exact ? Float(h >> 54) : Float(Double(h >> 11) * 0x1p-53 * 2000 - 1000)
            }
        }
    }

    func read<T>(_ dir: String, _ name: String, rank: Int, as: T.Type) throws -> [T] {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(name).\(rank)"))
        return data.withUnsafeBytes { raw in (0..<(raw.count / MemoryLayout<T>.size)).map { raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self) } }
    }

    /// Bitwise equality of float arrays (NaN-safe), reporting the first difference.
    func assertBits(_ got: [Float], _ want: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, want.count, what, file: file, line: line)
        if let i = got.indices.first(where: { i in i < want.count && got[i].bitPattern != want[i].bitPattern }) {
            XCTFail("\(what): element \(i) is \(got[i]), expected \(want[i])", file: file, line: line)
        }
    }

    func shard(_ r: Int, of world: Int, count: Int) -> Range<Int> {
        let base = count / world, extra = count % world
        let start = r * base + min(r, extra)
        return start..<(start + base + (r < extra ? 1 : 0))
    }

    func check(world: Int, exact: Bool) throws {
        let dir = try temporaryDirectory()
        let result = try MPIRun.run(ranks: world, "mpi-selftest", ["collectives", dir] + (exact ? ["--exact"] : []))
        XCTAssertEqual(result.status, 0, result.output)
        guard result.status == 0 else { return }
        let inputs = (0..<world).map { Input.vector(rank: $0, exact: exact) }
        var sum = inputs[0]
        for r in 1..<world { for i in 0..<sum.count { sum[i] += inputs[r][i] } }  // exact inputs: any order gives these bits
        let gathered = (0..<world).flatMap { inputs[$0][shard($0, of: world, count: Input.count)] }
        for r in 0..<world {
            assertBits(try read(dir, "broadcast", rank: r, as: Float.self), inputs[world - 1], "broadcast from rank \(world - 1), rank \(r)")
            assertBits(try read(dir, "allreduce", rank: r, as: Float.self), sum, "allreduce sum, rank \(r)")
            assertBits(try read(dir, "reducescatter", rank: r, as: Float.self), Array(sum[shard(r, of: world, count: Input.count)]), "reduce-scatter shard of rank \(r)")
            let boundaries = try read(dir, "uneven-boundaries", rank: r, as: Int64.self).map(Int.init)
            XCTAssertEqual(boundaries.first, 0)
            XCTAssertEqual(boundaries[1], 7, "rank 0's shard is 7 elements")
            XCTAssertEqual(boundaries.last, Input.count)
            assertBits(try read(dir, "reducescatter-inplace", rank: r, as: Float.self), Array(sum[boundaries[r]..<boundaries[r + 1]]),
                       "in-place reduce-scatter over uneven shards, rank \(r)")
            assertBits(try read(dir, "bucketed-reducescatter", rank: r, as: Float.self), Array(sum[boundaries[r]..<boundaries[r + 1]]),
                       "bucketed non-blocking reduce-scatter over uneven shards, rank \(r)")
            assertBits(try read(dir, "sendreceive", rank: r, as: Float.self), Array(inputs[(r + world - 1) % world][0..<1000]),
                       "send/receive from rank \((r + world - 1) % world), rank \(r)")
            assertBits(try read(dir, "allgather", rank: r, as: Float.self), Array(gathered), "all-gather, rank \(r)")
            assertBits(try read(dir, "allgather-inplace", rank: r, as: Float.self), Array(gathered), "in-place all-gather, rank \(r)")
            for name in ["bucketed-poll", "bucketed-thread"] {
                assertBits(try read(dir, name, rank: r, as: Float.self), sum, "\(name) allreduce, rank \(r)")
                // 256 KiB buckets = 65 536 floats: ⌈600 011 / 65 536⌉ = 10.
                XCTAssertEqual(try read(dir, name + "-buckets", rank: r, as: Int64.self), [10])
            }
            let doubles = try read(dir, "allreduce64", rank: r, as: Double.self)
            // Σ_r (r + 0.1) in double: for two ranks exactly 0.1 + 1.1; for three the order is the library's,
            // so within 2 ulp of 3.3 (each of the two additions rounds once).
            let ranks = (0..<world).map(Double.init)
            let expected = ranks.map { $0 + 0.1 }.reduce(0, +)
            XCTAssertEqual(doubles[0], expected, accuracy: world == 2 ? 0 : 2 * expected.ulp)
            XCTAssertEqual(doubles[1], Double(world) * 1e300)
            XCTAssertEqual(doubles[2], -3 * ranks.reduce(0, +))
            XCTAssertEqual(try read(dir, "minmax", rank: r, as: UInt64.self), [0, 42, UInt64(1001 - world), UInt64(world - 1), 42, 1000])
            XCTAssertEqual(try read(dir, "agree", rank: r, as: Int64.self), [1, 0], "agree(on: 42) is true, agree(on: rank) false")
            let info = try read(dir, "world", rank: r, as: Int64.self)
            XCTAssertEqual(Array(info[0..<2]), [Int64(r), Int64(world)])
            XCTAssertGreaterThanOrEqual(info[2], 2, "MPI_THREAD_SERIALIZED granted (the progress thread needs it)")
        }
    }

    /// Random full-mantissa floats: every result must be the IEEE sum x₀ + x₁ on both ranks.
    func testTwoRanksGiveTheIEEESumOnEveryRank() throws { try check(world: 2, exact: false) }

    /// Three ranks (oversubscribed on 2 cores): uneven shards 200 004 / 200 004 / 200 003; integer-valued
    /// inputs so the sum is exact in any order.
    func testThreeRanksUnevenShards() throws { try check(world: 3, exact: true) }
}
