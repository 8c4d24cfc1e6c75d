import CZlib
import Foundation
import XCTest
@testable import Imaging

/// Pixels equal torchvision's `save_image` (decoded by PIL) and MindONE's quantisation.
final class ImageGridTests: XCTestCase {
    static let dump = try! ExpectedDump("image/quantize")
    static func entry(_ name: String) -> ExpectedDump.Entry { dump.entries.first { $0.name == name }! }

    func testGridAndSingleImageMatchTorchvision() {
        let images = ExpectedDump.floats(Self.entry("images"))
        let grid = ImageGrid.torchvisionGrid(images, count: 5, height: 6, width: 7)
        let expected = Self.entry("torchvision_grid")
        XCTAssertEqual([grid.height, grid.width, 3], expected.shape)
        XCTAssertEqual(grid.pixels, expected.bytes)
        let single = ImageGrid.torchvisionGrid(Array(images[0..<(3 * 6 * 7)]), count: 1, height: 6, width: 7)
        XCTAssertEqual(single.pixels, Self.entry("torchvision_single").bytes)
        let twoColumns = ImageGrid.torchvisionGrid(images, count: 5, height: 6, width: 7, nrow: 2)
        let expectedTwo = Self.entry("torchvision_grid_nrow2")
        XCTAssertEqual([twoColumns.height, twoColumns.width, 3], expectedTwo.shape)
        XCTAssertEqual(twoColumns.pixels, expectedTwo.bytes)
    }

    func testMindOneQuantisationTruncates() {
        let images = ExpectedDump.floats(Self.entry("images"))
        let expected = Self.entry("mindone").bytes
        let perImage = 6 * 7 * 3
        for k in 0..<5 {
            XCTAssertEqual(ImageGrid.mindoneImage(images, index: k, height: 6, width: 7), Array(expected[(k * perImage)..<((k + 1) * perImage)]), "image \(k)")
        }
    }

    func testPNGChunksAndPixelsDecode() throws {
        let pixels = (0..<(5 * 4 * 3)).map { UInt8($0 * 4) }
        let png = try PNGWriter.encode(pixels: pixels, width: 5, height: 4)
        XCTAssertEqual(Array(png[0..<8]), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var offset = 8
        var idat: [UInt8] = []
        var types: [String] = []
        while offset < png.count {
            let length = Int(png[offset]) << 24 | Int(png[offset + 1]) << 16 | Int(png[offset + 2]) << 8 | Int(png[offset + 3])
            let body = Array(png[(offset + 4)..<(offset + 8 + length)])
            let crc = png[(offset + 8 + length)..<(offset + 12 + length)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            XCTAssertEqual(UInt32(truncatingIfNeeded: crc32(0, body, uInt(body.count))), crc)
            let type = String(decoding: body[0..<4], as: UTF8.self)
            types.append(type)
            if type == "IDAT" { idat += body[4...] }
            offset += 12 + length
        }
        XCTAssertEqual(types, ["IHDR", "IDAT", "IEND"])
        var raw = [UInt8](repeating: 0, count: 4 * (1 + 15))
        var rawSize = uLong(raw.count)
        XCTAssertEqual(uncompress(&raw, &rawSize, idat, uLong(idat.count)), Z_OK)
        let rows = (0..<4).flatMap { raw[($0 * 16 + 1)..<($0 * 16 + 16)] }
        XCTAssertEqual(rows, pixels)
    }
}
