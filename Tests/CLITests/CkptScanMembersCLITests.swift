import Foundation
import TestSupport
import XCTest

/// Which zip members `ckpt scan` reads as pickles (fixtures/generate/gen_scan_members.py): outside a torch
/// archive, any stored member that opens with PROTO 2-5; inside one, only `*.pkl` (tensor records are raw).
final class CkptScanMembersCLITests: XCTestCase {
    static let folder = ToolRunner.packageRoot.appendingPathComponent("fixtures/adversarial/scan").path

    func testPickleUnderAnotherNameInAPlainZipIsScanned() throws {
        let result = try ToolRunner.run("ckpt", ["scan", Self.folder + "/pickle_in_txt_member.zip"])
        XCTAssertEqual(result.status, 1, result.stdout)
        XCTAssertTrue(result.stdout.contains("global os.system (can execute code)") && result.stdout.contains("data.txt"), result.stdout)
    }

    func testTensorRecordThatLooksLikeAPickleIsNotScanned() throws {
        let result = try ToolRunner.run("ckpt", ["scan", Self.folder + "/proto_like_tensor.pt"])
        XCTAssertEqual(result.status, 0, result.stdout)
    }
}
