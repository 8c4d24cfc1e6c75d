import XCTest
@testable import Datasets

/// Decoding and the two crops against Pillow (`center_crop_arr`) and albumentations/opencv on real photographs.
final class TransformTests: XCTestCase {
    let size = DatasetFixtures.imageSize

    /// PNG decoding + convert("RGB") equals Pillow's to the byte (gray, RGB, RGBA, palette with/without tRNS).
    func testPNGDecodingEqualsPillow() throws {
        let names = DatasetFixtures.imageNames.filter { $0.hasSuffix(".png") }
        XCTAssertEqual(names.count, 7)
        for name in names {
            let image = try ImageDecoder.decode(file: DatasetFixtures.path("images/" + name))
            let expected = DatasetFixtures.bytes("rgb/" + name)
            XCTAssertEqual([image.height, image.width, 3], DatasetFixtures.shape("rgb/" + name), name)
            XCTAssertEqual(image.pixels, expected, name)
        }
    }

    /// The ADM crop of PNG inputs is byte-equal to the official center_crop_arr under Pillow.
    func testADMCropOfPNGIsByteEqualToPillow() throws {
        for name in DatasetFixtures.imageNames where name.hasSuffix(".png") {
            let crop = try ImageTransform.adm.crop(try ImageDecoder.decode(file: DatasetFixtures.path("images/" + name)), size: size)
            XCTAssertEqual(crop.pixels, DatasetFixtures.bytes("adm/" + name), name)
        }
    }

    /// Pillow's resampling alone, on Pillow's own decoded pixels of the JPEGs (isolates the decoder): byte-equal.
    func testADMCropOfPillowDecodedJPEGPixelsIsByteEqual() throws {
        for name in DatasetFixtures.imageNames where name.hasSuffix(".jpg") {
            let shape = DatasetFixtures.shape("rgb/" + name)
            let rgb = RGBImage(width: shape[1], height: shape[0], pixels: DatasetFixtures.bytes("rgb/" + name))
            XCTAssertEqual(ImageTransform.centerCropArr(rgb, size: size).pixels, DatasetFixtures.bytes("adm/" + name), name)
        }
    }

    /// JPEG: the system libjpeg-turbo (2.1) against Pillow's bundled one (3.x): figures reported; both are
    /// the same islow IDCT + fancy upsampling, so the decoded pixels and crops are expected to be equal.
    func testJPEGDecodingAndCropAgainstPillow() throws {
        var lines: [String] = []
        for name in DatasetFixtures.imageNames where name.hasSuffix(".jpg") {
            let image = try ImageDecoder.decode(file: DatasetFixtures.path("images/" + name))
            let decoded = byteDifferences(image.pixels, DatasetFixtures.bytes("rgb/" + name))
            let crop = byteDifferences(try ImageTransform.adm.crop(image, size: size).pixels, DatasetFixtures.bytes("adm/" + name))
            lines.append("\(name): decode \(decoded.count) bytes differ (max \(decoded.max)), ADM crop \(crop.count) differ (max \(crop.max))")
            XCTAssertEqual(decoded.count, 0, name)
            XCTAssertEqual(crop.count, 0, name)
        }
        print("JPEG vs Pillow " + lines.joined(separator: "; "))
    }

    /// MindONE's transform within one level of albumentations + opencv INTER_CUBIC, on every photograph.
    func testMindONECropWithinOneLevelOfOpenCV() throws {
        var lines: [String] = []
        for name in DatasetFixtures.imageNames {
            let crop = try ImageTransform.mindone.crop(try ImageDecoder.decode(file: DatasetFixtures.path("images/" + name)), size: size)
            let d = byteDifferences(crop.pixels, DatasetFixtures.bytes("mindone/" + name))
            lines.append("\(name) \(d.count)/\(crop.pixels.count) differ, max \(d.max)")
            XCTAssertLessThanOrEqual(d.max, 1, name)
        }
        print("MindONE vs opencv: " + lines.joined(separator: "; "))
    }

    func testPythonRoundIsHalfToEven() {
        XCTAssertEqual([0.5, 1.5, 2.5, -0.5, 2.4999, 31.5].map(ImageTransform.pythonRound), [0, 2, 2, 0, 2, 32])
    }

    /// ToTensor + Normalize(0.5, 0.5) (torchvision) and MindONE's u/127.5 - 1 (numpy float64 -> float32), all 256 values.
    func testNormalisationTablesEqualTorchvisionAndNumpy() {
        XCTAssertEqual(ImageTransform.adm.normalisationTable, DatasetFixtures.floats("normalise/adm"))
        XCTAssertEqual(ImageTransform.mindone.normalisationTable, DatasetFixtures.floats("normalise/mindone"))
        let differing = zip(ImageTransform.adm.normalisationTable, ImageTransform.mindone.normalisationTable).filter { $0 != $1 }
        print("adm and mindone normalisation differ in \(differing.count) of 256 values, max \(differing.map { abs($0 - $1) }.max() ?? 0)")
    }

    func testFlipMirrorsColumns() {
        let image = RGBImage(width: 3, height: 1, pixels: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        XCTAssertEqual(image.flippedHorizontally().pixels, [7, 8, 9, 4, 5, 6, 1, 2, 3])
    }

    func testTooSmallImageIsRefused() {
        let tiny = RGBImage(width: 4, height: 30, pixels: [UInt8](repeating: 0, count: 4 * 30 * 3))
        XCTAssertThrowsError(try ImageTransform.adm.crop(tiny, size: 32, name: "tiny.png")) { error in
            XCTAssertEqual("\(error)", "tiny.png: image of 4x30 pixels is too small to crop to 32x32 (each side must be at least 8 pixels)")
        }
    }
}
