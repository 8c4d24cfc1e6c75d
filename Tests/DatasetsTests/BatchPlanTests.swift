import XCTest
@testable import Datasets
import Diffusion

/// The batch plan against torch's DistributedSampler + DataLoader (fixture).
final class BatchPlanTests: XCTestCase {
    func testEpochOrderAndRankBatchesEqualDistributedSampler() throws {
        let cases = DatasetFixtures.manifest["sampler"] as! [[String: Any]]
        XCTAssertEqual(cases.count, 8)
        for c in cases {
            let n = c["count"] as! Int, world = c["world"] as! Int, batch = c["global_batch"] as! Int
            let seed = c["seed"] as! Int, epoch = c["epoch"] as! Int
            let plan = try BatchPlan(count: n, seed: UInt64(seed), globalBatch: batch)
            XCTAssertEqual(plan.order(epoch: epoch), c["randperm"] as! [Int], "n \(n) seed \(seed) epoch \(epoch)")
            let rankBatches = c["rank_batches"] as! [[[Int]]]
            let epochBatches = plan.epoch(epoch)
            // Steps the sampler yields: floor(ceil(n/W) / b); the plan takes floor(n/B) (they agree unless padding is used).
            let steps = min(plan.stepsPerEpoch, rankBatches[0].count)
            XCTAssertGreaterThan(steps, 0)
            for step in 0..<steps {
                let block = epochBatches.batch(step: step)
                for rank in 0..<world {
                    XCTAssertEqual(BatchPlan.shard(block, rank: rank, world: world), rankBatches[rank][step], "n \(n) W \(world) step \(step)")
                }
            }
        }
    }

    func testMicroBatchesOfShardsEqualShardsOfTheWiderWorld() throws {
        let plan = try BatchPlan(count: 100, seed: 5, globalBatch: 16)
        let block = plan.indices(epoch: 2, step: 3)
        for rank in 0..<2 {
            let mine = BatchPlan.shard(block, rank: rank, world: 2)
            for micro in 0..<2 {
                XCTAssertEqual(BatchPlan.shard(mine, rank: micro, world: 2), BatchPlan.shard(block, rank: micro * 2 + rank, world: 4))
            }
        }
    }

    func testDropLastAndPositions() throws {
        let plan = try BatchPlan(count: 10, seed: 0, globalBatch: 4)
        XCTAssertEqual(plan.stepsPerEpoch, 2)
        XCTAssertEqual(try BatchPlan(count: 10, seed: 0, globalBatch: 4, dropLast: false).stepsPerEpoch, 3)
        XCTAssertEqual(try BatchPlan(count: 10, seed: 0, globalBatch: 4, dropLast: false).epoch(0).batch(step: 2).count, 2)
        XCTAssertEqual(plan.position(ofGlobalStep: 5).epoch, 2)
        XCTAssertEqual(plan.position(ofGlobalStep: 5).step, 1)
        XCTAssertEqual(try BatchPlan(count: 5, seed: 0, globalBatch: 2, shuffle: false).indices(epoch: 1, step: 1), [2, 3])
        XCTAssertThrowsError(try BatchPlan(count: 3, seed: 0, globalBatch: 4)) {
            XCTAssertEqual("\($0)", "global batch size 4 is larger than the dataset (3 samples): no full batch")
        }
        XCTAssertThrowsError(try BatchPlan(count: 0, seed: 0, globalBatch: 4))
    }
}
