import Foundation
import TestSupport
import XCTest

/// End-to-end tests of the `ckpt` executable: exit codes, one-line errors, atomic outputs.
final class CkptCLITests: XCTestCase {
    static let demo = ToolRunner.packageRoot.appendingPathComponent("fixtures/demo/tiny-dit-train.pt").path

    @discardableResult
    func ckpt(_ arguments: String...) throws -> ToolRunner.Result { try ToolRunner.run("ckpt", arguments) }

    func testConvertTrainingCheckpointEMAToEveryFormatAndDiffClean() throws {
        let dir = try temporaryDirectory()
        for ext in ["ckpt", "safetensors", "h5", "pt"] {
            let target = "\(dir)/tiny.\(ext)"
            let convert = try ckpt("convert", Self.demo, target, "--select", "ema", "--quiet")
            XCTAssertEqual(convert.status, 0, convert.stderr)
            let diff = try ckpt("diff", Self.demo, target, "--select-first", "ema")
            XCTAssertEqual(diff.status, 0, diff.stdout + diff.stderr)
            XCTAssertTrue(diff.stdout.contains("0 differences"), diff.stdout)
        }
    }

    func testDiffReportsChangedValuesAndExitsOne() throws {
        let dir = try temporaryDirectory()
        let half = "\(dir)/half.safetensors"
        XCTAssertEqual(try ckpt("convert", Self.demo, half, "--select", "ema", "--dtype", "f16", "--quiet").status, 0)
        let strict = try ckpt("diff", Self.demo, half, "--select-first", "ema")
        XCTAssertEqual(strict.status, 1)
        XCTAssertTrue(strict.stdout.contains("values differ"), strict.stdout)
        let loose = try ckpt("diff", Self.demo, half, "--select-first", "ema", "--atol", "1e-3")
        XCTAssertEqual(loose.status, 0, loose.stdout)
    }

    func testInspectJSONListsEveryTensor() throws {
        let result = try ckpt("inspect", Self.demo, "--json", "--checksum")
        XCTAssertEqual(result.status, 0, result.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(json?["format"] as? String, "torch-zip")
        let tensors = json?["tensors"] as? [[String: Any]] ?? []
        // model + ema state dicts (26 tensors each) plus AdamW's exp_avg/exp_avg_sq/step per parameter.
        XCTAssertTrue(tensors.contains { $0["name"] as? String == "ema.pos_embed" })
        XCTAssertTrue(tensors.allSatisfy { ($0["crc32"] as? String)?.count == 8 })
    }

    func testCorruptSourceGivesOneLineErrorAndNoTarget() throws {
        let dir = try temporaryDirectory()
        var bytes = try Data(contentsOf: URL(fileURLWithPath: Self.demo))
        bytes = bytes.prefix(bytes.count / 2)
        let broken = "\(dir)/broken.pt"
        try bytes.write(to: URL(fileURLWithPath: broken))
        let target = "\(dir)/out.ckpt"
        let result = try ckpt("convert", broken, target)
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains(broken), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: target))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["broken.pt"], "no temporary files left")
    }

    func testUnknownTargetExtensionAndMissingSelectAreClearErrors() throws {
        let dir = try temporaryDirectory()
        let ext = try ckpt("convert", Self.demo, "\(dir)/out.xyz")
        XCTAssertEqual(ext.status, 1)
        XCTAssertTrue(ext.stderr.contains("extension"), ext.stderr)
        let select = try ckpt("convert", Self.demo, "\(dir)/out.ckpt", "--select", "nope")
        XCTAssertEqual(select.status, 1)
        XCTAssertTrue(select.stderr.contains("no entry 'nope'") && select.stderr.contains("ema"), select.stderr)
    }

    func testWriteFailingMidwayLeavesNoTargetFile() throws {
        // `a` is written as a dataset first; `a/b` then needs a group named `a`: the HDF5 writer fails
        // after real bytes went to the temporary file.
        let dir = try temporaryDirectory()
        let source = ToolRunner.packageRoot.appendingPathComponent("fixtures/cli/collide.safetensors").path
        let target = "\(dir)/collide.h5"
        let result = try ckpt("convert", source, target, "--quiet")
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("a/b"), result.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [], "neither target nor temporary file")
    }
}
