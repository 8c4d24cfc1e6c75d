import XCTest
@testable import Datasets

/// The bad-input corpus: each file refused with its own one-line message (Pillow refuses each too).
final class BadInputTests: XCTestCase {
    func testEveryBadFileIsRefusedWithItsReason() {
        let refusedByPillow = DatasetFixtures.manifest["pillow_refused"] as! [String: String]
        let expected = [
            "truncated.jpg": "cannot decode JPEG: truncated JPEG data (premature end of file)",
            "badcrc.png": "cannot decode PNG: IHDR: CRC error",
            "text.png": "not a JPEG or PNG image",
            "empty.jpg": "empty file (0 bytes), not an image",
        ]
        XCTAssertEqual(Set(refusedByPillow.keys), Set(expected.keys))
        for (name, reason) in expected {
            let path = DatasetFixtures.path("bad/" + name)
            XCTAssertThrowsError(try ImageDecoder.decode(file: path), name) { error in
                XCTAssertEqual("\(error)", "\(path): \(reason)")
            }
        }
    }

    func testMissingFileIsNamed() {
        XCTAssertThrowsError(try ImageDecoder.decode(file: "/nonexistent/x.png")) {
            XCTAssertEqual("\($0)", "/nonexistent/x.png: cannot open: No such file or directory")
        }
    }

    func testOtherFormatsAreNamed() {
        XCTAssertThrowsError(try ImageDecoder.decode(Array("BM....".utf8), name: "a.bmp")) {
            XCTAssertEqual("\($0)", "a.bmp: BMP images are not supported (JPEG and PNG are)")
        }
    }
}
