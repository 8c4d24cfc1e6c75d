import Datasets
import Distributed
import DistributedTraining
import Foundation
import NameMaps
import Training
import XCTest

/// Data-parallel training (phase 2 of issue 13): `mpirun -n 2` with per-process batch b equals ONE
/// process with batch b and gradient_accumulation_steps 2, bit for bit — parameters, EMA, both AdamW
/// moments, every logged loss and gradient norm — both replicated (`CommunicatorReducer`) and with
/// ZeRO-1 (`ZeROUpdate`: sharded moments and EMA). Exact, not within a tolerance: every micro-batch is
/// computed from the same parameters with the same per-sample randomness, two-rank sums are the IEEE
/// sum g₀ + g₁ as one process accumulates them, and everything after is elementwise or summed in the
/// same order (docs/distributed.md).
final class TrainingEquivalenceTests: XCTestCase {
    /// 24 samples of [4, 4, 4] latents (random moments, flipped crops too), labels i mod 5.
    func makeCache(_ dir: String) throws -> String {
        let path = dir + "/cache.safetensors"
        let writer = try LatentCacheWriter(path: path, info: LatentCacheInfo(imageSize: 32, vae: "random", transform: .adm, flip: true), latentShape: [4, 4, 4])
        var state: UInt64 = 0x1234_5678
        func next() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24) * 2 - 1  // uniform [-1, 1)
        }
        for i in 0..<24 {
            let moments = (0..<64).map { _ in next() * 2 } + (0..<64).map { _ in next() - 2 }  // [2·4, 4, 4]: mean, logvar
            let flipped = (0..<64).map { _ in next() * 2 } + (0..<64).map { _ in next() - 2 }
            try moments.withUnsafeBufferPointer { m in try flipped.withUnsafeBufferPointer { try writer.append(moments: m, flipped: $0, label: i % 5) } }
        }
        try writer.finish()
        return path
    }

    func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    func check(_ recipe: String) throws {
        let dir = try temporaryDirectory()
        let cache = try makeCache(dir)
        var outputs: [String: String] = [:]
        for mode in ["single", "replicated", "zero"] {
            let out = dir + "/" + mode
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            outputs[mode] = out
            // 24 samples / (2 × 2) = 6 steps per epoch: 8 steps cross an epoch (a new shuffled order).
            let arguments = [cache, out, mode, recipe, mode == "single" ? "2" : "1", "8"]
            let result = mode == "single" ? try MPIRun.alone("mpi-train-selftest", arguments, environment: ["DITPORT_THREADS": "1"])
                : try MPIRun.run(ranks: 2, "mpi-train-selftest", arguments, environment: ["DITPORT_THREADS": "1"])
            XCTAssertEqual(result.status, 0, "\(mode): " + result.output)
            guard result.status == 0 else { return }
        }
        let single = outputs["single"]!
        let info = try bytes(single + "/info.i64").withUnsafeBytes { Array($0.bindMemory(to: Int64.self)) }
        XCTAssertEqual(Array(info[0..<2]), [8, 6], "8 optimizer steps, 6 per epoch")
        let losses = try bytes(single + "/losses.f64").withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
        XCTAssertEqual(losses.count, 8)
        XCTAssertTrue(losses.allSatisfy { $0.isFinite && $0 > 0 }, "\(losses)")
        let norms = try bytes(single + "/norms.f64").withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
        if recipe == "mindone" { XCTAssertTrue(norms.allSatisfy { $0 > 0.05 }, "clipping at 0.05 acts every step: \(norms)") }
        for mode in ["replicated", "zero"] {
            let other = outputs[mode]!
            for file in ["parameters.f32", "ema.f32", "m.f32", "v.f32", "losses.f64", "norms.f64", "info.i64"] {
                XCTAssertTrue(try bytes(single + "/" + file) == bytes(other + "/" + file), "\(recipe) \(mode) -n 2: \(file) differs from one process with accumulation 2")
            }
            XCTAssertTrue(try bytes(other + "/parameters.0.f32") == bytes(other + "/parameters.1.f32"), "\(mode): both ranks hold the same parameters")
        }
        XCTAssertFalse(try bytes(single + "/ema.f32").isEmpty, "EMA kept in both recipes")
    }

    func testOfficialRecipeTwoProcessesEqualAccumulationTwo() throws { try check("official") }

    /// Overlap (DDP's buckets; for ZeRO-1 in-place reduce-scatters): with 1 KiB buckets started while the
    /// backward of the last local micro-batch still runs — for accumulation 2 each finished range is first added to the step's sum —
    /// every bit equals one blocking allreduce after the backward, and most buckets really start early.
    func testOverlappedBucketsEqualOneSumAfterTheBackward() throws {
        let dir = try temporaryDirectory()
        let cache = try makeCache(dir)
        for (recipe, kind) in [("official", "replicated"), ("mindone", "replicated"), ("official", "zero"), ("mindone", "zero")] {
            for mode in [kind, kind + "-blocking"] {
                let out = "\(dir)/\(recipe)-\(mode)"
                try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
                let result = try MPIRun.run(ranks: 2, "mpi-train-selftest", [cache, out, mode, recipe, "2", "4"], environment: ["DITPORT_THREADS": "1"])
                XCTAssertEqual(result.status, 0, "\(recipe) \(mode): " + result.output)
                guard result.status == 0 else { return }
            }
            let overlapped = "\(dir)/\(recipe)-\(kind)", blocking = "\(dir)/\(recipe)-\(kind)-blocking"
            for file in ["parameters.f32", "ema.f32", "m.f32", "v.f32", "losses.f64", "norms.f64", "info.i64"] {
                XCTAssertTrue(try bytes(overlapped + "/" + file) == bytes(blocking + "/" + file), "\(recipe) \(kind): \(file) differs between overlapped and blocking sums")
            }
            let count = try bytes(overlapped + "/info.i64").withUnsafeBytes { Array($0.bindMemory(to: Int64.self)) }[2]
            let buckets = (Int(count) * 4 + 1023) / 1024
            let early = try bytes(overlapped + "/early.i64").withUnsafeBytes { Array($0.bindMemory(to: Int64.self)) }
            // Everything but the embedders (the head of the vector, < 1 of the 2 blocks' worth) is final before the backward ends.
            XCTAssertGreaterThan(Int(early[0]), buckets / 2, "\(recipe) \(kind): \(early[0]) of \(buckets) buckets started during the backward")
            XCTAssertEqual(try bytes(blocking + "/early.i64").withUnsafeBytes { Array($0.bindMemory(to: Int64.self)) }, [0])
        }
    }

    func testMindoneRecipeTwoProcessesEqualAccumulationTwo() throws { try check("mindone") }

    /// ZeRO shards fall on tensor boundaries near the even split, and cover the vector.
    func testZeROShardsAreCutOnTensorBoundaries() {
        let config = DiTConfig(hiddenSize: 32, depth: 2, patchSize: 2, inChannels: 4, inputSize: 4, numClasses: 5, learnSigma: true, numHeads: 2)
        let layout = ParameterLayout(config: config, trainPosEmbed: false)
        for world in [1, 2, 3] {
            let cuts = ZeROUpdate.viewCuts(layout, world: world)
            XCTAssertEqual(cuts.count, world + 1)
            XCTAssertEqual(cuts.first, 0)
            XCTAssertEqual(cuts.last, layout.views.count)
            XCTAssertEqual(cuts, cuts.sorted())
            for r in 1..<max(world, 2) where r < world {
                let start = layout.views[cuts[r]].offset, target = layout.count * r / world
                // Nearest boundary: no view boundary is closer to the even share.
                XCTAssertTrue(layout.views.allSatisfy { abs($0.offset - target) >= abs(start - target) })
            }
        }
        let shard = layout.shard(views: 3..<7)
        XCTAssertEqual(shard.views.first?.offset, 0)
        XCTAssertEqual(shard.count, layout.views[3..<7].reduce(0) { $0 + $1.count })
        XCTAssertEqual(shard.views.map(\.name), layout.views[3..<7].map(\.name))
    }
}
