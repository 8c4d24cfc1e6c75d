import Foundation
import TestSupport
import XCTest

/// `ckpt inspect / convert / scan` on numpy `.npz` archives (fixtures/npz_read, written by numpy 2.4.6).
final class CkptNpzCLITests: XCTestCase {
    static let folder = ToolRunner.packageRoot.appendingPathComponent("fixtures/npz_read").path

    func ckpt(_ arguments: String...) throws -> ToolRunner.Result { try ToolRunner.run("ckpt", arguments) }

    func testInspectAndConvertBothMemberKinds() throws {
        let dir = try temporaryDirectory()
        for name in ["savez", "savez_compressed"] {
            let source = "\(Self.folder)/\(name).npz"
            let inspect = try ckpt("inspect", source)
            XCTAssertEqual(inspect.status, 0, inspect.stderr)
            for tensor in ["weight", "bias", "step", "mask", "big_endian", "fortran"] {
                XCTAssertTrue(inspect.stdout.contains(tensor), "\(name): \(tensor) in \(inspect.stdout)")
            }
            let target = "\(dir)/\(name).safetensors"
            let convert = try ckpt("convert", source, target, "--quiet")
            XCTAssertEqual(convert.status, 0, convert.stderr)
            let diff = try ckpt("diff", source, target)
            XCTAssertEqual(diff.status, 0, "\(name): \(diff.stdout) \(diff.stderr)")
        }
    }

    func testObjectMemberIsRefusedWithOneLineAndNoOutput() throws {
        let dir = try temporaryDirectory()
        let source = "\(Self.folder)/object_member.npz"
        let target = "\(dir)/out.safetensors"
        let convert = try ckpt("convert", source, target, "--quiet")
        XCTAssertEqual(convert.status, 1)
        XCTAssertEqual(convert.stderr.split(separator: "\n").count, 1, convert.stderr)
        XCTAssertTrue(convert.stderr.contains(source + ": tensor 'objects'") && convert.stderr.contains("object array"), convert.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: target))
    }

    func testScanPassesPlainArchivesAndFlagsObjectMembersStoredOrDeflated() throws {
        for name in ["savez", "savez_compressed", "positional", "zip64"] {
            let result = try ckpt("scan", "\(Self.folder)/\(name).npz")
            XCTAssertEqual(result.status, 0, "\(name): \(result.stdout)")
        }
        for name in ["object_member", "object_member_compressed"] {
            let result = try ckpt("scan", "\(Self.folder)/\(name).npz")
            XCTAssertEqual(result.status, 1, "\(name): \(result.stdout)")
            XCTAssertTrue(result.stdout.contains("numpy object array") && result.stdout.contains("objects.npy"), "\(name): \(result.stdout)")
        }
    }
}
