import CLISupport
import XCTest

final class TargetPathTests: XCTestCase {
    func testBareExtensionIsNamedAfterTheSourceNextToIt() {
        XCTAssertEqual(TargetPath.expandingBareExtension(".ckpt", source: "DiT-XL-2-256x256.pt"), "DiT-XL-2-256x256.ckpt")
        XCTAssertEqual(TargetPath.expandingBareExtension(".ckpt", source: "models/DiT-XL-2-256x256.pt"), "models/DiT-XL-2-256x256.ckpt")
        XCTAssertEqual(TargetPath.expandingBareExtension(".safetensors", source: "/data/sd-vae-ft-mse/"), "/data/sd-vae-ft-mse.safetensors",
                       "a diffusers folder names the file")
        XCTAssertEqual(TargetPath.expandingBareExtension("out/.h5", source: "a/b.v2.pt"), "out/b.v2.h5", "only the last extension is replaced")
        XCTAssertEqual(TargetPath.expandingBareExtension(".PT", source: "m.ckpt"), "m.PT")
    }

    func testOtherTargetsAreKept() {
        for target in ["x.ckpt", "models", "models/", ".", "..", ".hidden", ".ckpt.bak", "dir/x.safetensors"] {
            XCTAssertEqual(TargetPath.expandingBareExtension(target, source: "DiT.pt"), target)
        }
    }
}
