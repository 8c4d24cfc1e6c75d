import Foundation
import TestSupport
import XCTest

/// `ckpt` on hostile pickles: the FRAME fixtures are refused by inspect and convert (one-line error
/// naming the file and byte offset, exit 1, no output file).
final class CkptSecurityCLITests: XCTestCase {
    static let frames = ToolRunner.packageRoot.appendingPathComponent("fixtures/adversarial/pickle-frames").path

    static func frameFixtures() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: frames).filter { $0.hasSuffix(".pt") }.sorted()
    }

    func testFrameFixturesAreRefusedByInspectAndConvert() throws {
        let dir = try temporaryDirectory()
        let files = try Self.frameFixtures()
        XCTAssertEqual(files.count, 6)
        for file in files {
            let path = Self.frames + "/" + file
            let inspect = try ToolRunner.run("ckpt", ["inspect", path])
            XCTAssertEqual(inspect.status, 1, "\(file): \(inspect.stdout)")
            XCTAssertEqual(inspect.stderr.split(separator: "\n").count, 1, inspect.stderr)
            XCTAssertTrue(inspect.stderr.contains(path + ": byte "), inspect.stderr)
            XCTAssertTrue(inspect.stderr.contains("FRAME"), inspect.stderr)
            let target = "\(dir)/\(file).safetensors"
            let convert = try ToolRunner.run("ckpt", ["convert", path, target, "--quiet"])
            XCTAssertEqual(convert.status, 1, "\(file): \(convert.stdout)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: target), "\(file): no output")
        }
    }

    // MARK: - ckpt scan

    static let fixtures = ToolRunner.packageRoot.appendingPathComponent("fixtures").path

    func testScanFlagsEveryFrameTrickAndHiddenGlobal() throws {
        for file in try Self.frameFixtures() {
            let result = try ToolRunner.run("ckpt", ["scan", Self.frames + "/" + file])
            XCTAssertEqual(result.status, 1, "\(file): \(result.stdout)")
            XCTAssertTrue(result.stdout.contains("dangerous: frame trick"), result.stdout)
        }
        let cases: [(String, String)] = [
            ("adversarial/torch/reduce_os_system.pt", "global os.system (can execute code)"),
            ("adversarial/torch/stack_global_posix.pt", "global posix.system (can execute code)"),
            ("adversarial/torch/builtins_eval.pt", "global builtins.eval (can execute code)"),
            ("adversarial/torch/duplicate_names.pt", "duplicate zip member 'archive/data/0'"),
            ("adversarial/torch/main_class.pt", "global __main__.M (not on the checkpoint allowlist"),
            ("numpy/object.npy", "numpy object array"),
        ]
        for (file, expected) in cases {
            let result = try ToolRunner.run("ckpt", ["scan", Self.fixtures + "/" + file])
            XCTAssertEqual(result.status, 1, "\(file): \(result.stdout)")
            XCTAssertTrue(result.stdout.contains(expected), "\(file): \(result.stdout)")
        }
    }

    func testScanPassesBenignCheckpointsAndReportsUnreadableOnes() throws {
        var benign = ["torch/state_dict.pt", "torch/training.pt", "torch/protocol4.pt", "torch/protocol5.pt", "torch/legacy.pt",
                      "torch/legacy_protocol1.pt", "torch/numpy_values.pt", "demo/tiny-dit-train.pt", "numpy/c_order.npy"]
        benign += ["0", "1", "2", "4", "5"].map { "pickle/protocol\($0).pkl" }
        let result = try ToolRunner.run("ckpt", ["scan"] + benign.map { Self.fixtures + "/" + $0 })
        XCTAssertEqual(result.status, 0, result.stdout)
        XCTAssertTrue(result.stdout.contains("clean       \(benign.count)"), result.stdout)
        let truncated = try ToolRunner.run("ckpt", ["scan", Self.fixtures + "/adversarial/torch/no_stop.pt"])
        XCTAssertEqual(truncated.status, 2, truncated.stdout)
        XCTAssertTrue(truncated.stdout.contains("UNREADABLE"), truncated.stdout)
    }

    func testScanJSONAndRecursiveSummary() throws {
        let result = try ToolRunner.run("ckpt", ["scan", "--json", Self.frames])
        XCTAssertEqual(result.status, 1)
        let lines = result.stdout.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        XCTAssertEqual(lines.count, 8, "7 files (6 fixtures + manifest.json) + summary")
        let files = lines.compactMap { $0 }.filter { $0["file"] != nil }
        XCTAssertEqual(files.filter { $0["verdict"] as? String == "dangerous" }.count, 6)
        let summary = try XCTUnwrap(lines.last??["summary"] as? [String: Any])
        XCTAssertEqual(summary["dangerous"] as? Int, 6)
        XCTAssertEqual(summary["other"] as? Int, 1)
    }
}
