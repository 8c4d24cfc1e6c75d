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
}
