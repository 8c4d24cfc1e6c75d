import Checkpoint
import Foundation
import Parity
import TestSupport
import XCTest

/// `dit-parity --train` end to end: the table, the exit status, `--dump`, one-line errors.
final class TrainingToolTests: XCTestCase {
    func testTrainParityPassesAndDumps() throws {
        let out = try temporaryDirectory() + "/computed.safetensors"
        let r = try ToolRunner.run("dit-parity", ["--train", "--model", TrainingFixtures.weightsPath("train-b"),
                                                  "--reference", TrainingFixtures.bundlePath("train-b"), "--dump", out])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("PASS: 55 tensors"), r.stdout)
        XCTAssertTrue(r.stdout.contains("grad.blocks.3.adaLN_modulation.1.weight"), r.stdout)
        let dumped = try ReferenceBundle(path: out)
        let reference = try ReferenceBundle(path: TrainingFixtures.bundlePath("train-b"))
        let computed = try XCTUnwrap(dumped.floats("grad.final_layer.linear.weight"))
        let expected = try XCTUnwrap(reference.floats("grad.final_layer.linear.weight"))
        XCTAssertEqual(computed.shape, expected.shape)
        let worst = zip(computed.values, expected.values).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(worst, 1e-4 * expected.values.map { abs($0) }.max()!)
        XCTAssertEqual(try dumped.floats("loss")?.count, 1)
    }

    func testTrainBundleWithoutTheFlagAndForwardBundleWithItAreOneLineErrors() throws {
        let forward = ToolRunner.packageRoot.appendingPathComponent("fixtures/parity/dit-a.bundle.safetensors").path
        for arguments in [["--model", TrainingFixtures.weightsPath("train-a"), "--reference", TrainingFixtures.bundlePath("train-a")],
                          ["--train", "--model", TrainingFixtures.weightsPath("train-a"), "--reference", forward]] {
            let r = try ToolRunner.run("dit-parity", arguments)
            XCTAssertEqual(r.status, 1, arguments.joined(separator: " "))
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssertTrue(r.stderr.hasPrefix("dit-parity: error: "), r.stderr)
        }
    }
}
