import Foundation
import Training
import XCTest

/// Learning-rate lists and the MindONE EMA warm-up decay against mindone's own code (fixtures/train-loop/
/// lr-schedules.safetensors: mindone R1 `create_scheduler`, and `ema.py`'s d(n) through MindSpore ops).
final class TrainingScheduleTests: XCTestCase {
    /// Every step of every list, exactly: `rate(at:)` evaluates MindONE's double expressions in the same
    /// order (min(i, W)/W·(lr − 0) + 0; η_min + ½(lr − η_min)·(1 + cos(π·i/decay))) and Foundation's `cos`
    /// on Linux is glibc's, which CPython's `math.cos` calls too.
    func testSchedulesEqualMindoneLists() throws {
        let file = try TrainingLoopFixtures.Expected(path: TrainingLoopFixtures.schedulesPath)
        let cases = try XCTUnwrap(file.meta["cases"] as? [String: [String: Any]])
        XCTAssertGreaterThanOrEqual(cases.count, 5)
        for (name, c) in cases.sorted(by: { $0.key < $1.key }) {
            let kind = try XCTUnwrap(LearningRateSchedule.Kind(rawValue: try XCTUnwrap(c["scheduler"] as? String)))
            let schedule = LearningRateSchedule(kind: kind, learningRate: try XCTUnwrap(c["learning_rate"] as? Double),
                                                endLearningRate: try XCTUnwrap(c["end_learning_rate"] as? Double),
                                                warmupSteps: try XCTUnwrap(c["warmup_steps"] as? Int),
                                                decaySteps: try XCTUnwrap(c["decay_steps"] as? Int), totalSteps: try XCTUnwrap(c["total_steps"] as? Int))
            let expected = try file.doubles("lr." + name)
            XCTAssertEqual(expected.count, schedule.totalSteps, name)
            var mismatches = 0
            for (i, value) in expected.enumerated() where schedule.rate(at: i) != value {
                mismatches += 1
                if mismatches <= 3 { XCTFail("\(name) lr[\(i)]: \(schedule.rate(at: i)) vs mindone \(value)") }
            }
            XCTAssertEqual(schedule.rate(at: expected.count + 5), expected.last, "\(name): past the list the last value holds")
        }
    }

    /// The Trainer's own schedule for a MindONE recipe: total = epochs × steps per epoch, decay_steps 0 →
    /// total − warm-up (R1 train.py), the list indexed by optimizer step from 0.
    func testTrainerScheduleIsTheMindoneList() throws {
        let file = try TrainingLoopFixtures.Expected(path: TrainingLoopFixtures.expectedPath(.mindone))
        let recipe = try TrainingLoopFixtures.mindoneRecipe(file.meta)
        let layout = try TrainingLoopFixtures.layout(trainPosEmbed: true)
        let trainer = try TrainingLoopFixtures.trainer(try TrainingLoopFixtures.options(recipe, batchSize: 4, noise: nil), layout: layout)
        XCTAssertEqual(trainer.totalSteps, 6)
        XCTAssertEqual((0..<6).map { trainer.schedule.rate(at: $0) }, try file.doubles("lr"))
    }

    /// d(n) = 0.9999·(1 − exp(−n/2000)) in f32 as mindone `ema.py` computes it on MindSpore. Ours rounds
    /// exp correctly (through f64); MindSpore 2.10's CPU float32 `exp` is an approximation, measured up to
    /// 21 ulp off on these inputs (e(1.0) = 0.36787882 vs 0.36787945). An error δ in e reaches d as
    /// 0.9999·δ (1 − e is exact by Sterbenz for e ≥ ½, and rounds once otherwise), so allowed:
    /// |Δd| ≤ 32·ulp(e) + ulp(d). (Its effect on the EMA, Δd·|ema − p|, is ~1e-6 of one EMA step.)
    func testMindoneEMADecayMatchesMindSpore() throws {
        let file = try TrainingLoopFixtures.Expected(path: TrainingLoopFixtures.schedulesPath)
        let updates = try file.doubles("ema_updates").map { Int($0) }
        let decays = try file.floats("ema_decay")
        var exact = 0, worstUlps: Float = 0
        for (n, expected) in zip(updates, decays) {
            let d = EMA.mindoneDecay(decay: 0.9999, updates: n)
            let e = Float(exp(Double(-Float(n) / 2000)))
            if d == expected { exact += 1 }
            worstUlps = max(worstUlps, abs(d - expected) / e.ulp)
            XCTAssertLessThanOrEqual(abs(d - expected), 32 * e.ulp + d.ulp, "d(\(n)) = \(d) vs MindSpore \(expected)")
        }
        print("MindONE EMA decay: \(exact) of \(updates.count) bit-identical, worst \(worstUlps) ulp of e")
        XCTAssertEqual(EMA.mindoneDecay(decay: 0.9999, updates: 1), 4.998e-4, accuracy: 1e-7)
    }
}
