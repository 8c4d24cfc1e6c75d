import Foundation
import TestSupport
import XCTest

/// `ckpt scan` on TorchScript archives (fixtures/generate/gen_scan_torchscript.py, torch.jit.save of torch
/// 2.15.0): torch.load hands them to torch.jit.load, whose unpickler imports no Python, so TorchScript's
/// own globals and the archive's `__torch__` classes are not dangerous; calls in the code that reach files
/// are, and so is any other global.
final class CkptScanTorchScriptCLITests: XCTestCase {
    static let folder = ToolRunner.packageRoot.appendingPathComponent("fixtures/adversarial/scan").path

    func testScriptedModuleScansCleanWithANoteThatItsCodeWasNotVetted() throws {
        let result = try ToolRunner.run("ckpt", ["scan", "--verbose", Self.folder + "/torchscript_tiny.pt"])
        XCTAssertEqual(result.status, 0, result.stdout)
        XCTAssertTrue(result.stdout.contains(": clean (torch-zip,"), result.stdout)
        XCTAssertTrue(result.stdout.contains("(TorchScript class defined in the archive's code/)"), result.stdout)
        XCTAssertTrue(result.stdout.contains("torch.jit._pickle.build_intlist (TorchScript unpickler builtin)"), result.stdout)
        XCTAssertTrue(result.stdout.contains("note: TorchScript archive (torch.load hands it to torch.jit.load, whose unpickler imports no Python): its "), result.stdout)
        XCTAssertTrue(result.stdout.contains("code file(s) were not executed or vetted"), result.stdout)
    }

    func testCodeThatMapsAFileIsDangerous() throws {
        let result = try ToolRunner.run("ckpt", ["scan", Self.folder + "/torchscript_from_file.pt"])
        XCTAssertEqual(result.status, 1, result.stdout)
        XCTAssertTrue(result.stdout.contains("TorchScript code calls torch.from_file (reaches a file or Python)"), result.stdout)
    }

    func testOtherGlobalsInATorchScriptArchiveStayDangerous() throws {
        let result = try ToolRunner.run("ckpt", ["scan", "--json", Self.folder + "/torchscript_os_system.pt"])
        XCTAssertEqual(result.status, 1, result.stdout)
        XCTAssertTrue(result.stdout.contains("global os.system (can execute code)"), result.stdout)
        XCTAssertTrue(result.stdout.contains("\"notes\":[\"TorchScript archive"), result.stdout)
    }
}
