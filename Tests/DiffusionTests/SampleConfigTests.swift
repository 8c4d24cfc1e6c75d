import XCTest
@testable import Sampling

final class SampleConfigTests: XCTestCase {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    func testShippedConfigsCarryTheSeedDefaults() throws {
        for (file, size) in [("dit-xl-2-256x256.yaml", 256), ("dit-xl-2-512x512.yaml", 512)] {
            var config = SampleConfig()
            try config.apply(yaml: String(contentsOfFile: Self.root + "/configs/inference/" + file), source: file)
            XCTAssertEqual(config.imageSize, size)
            XCTAssertEqual(config.samplingSteps, 250)
            XCTAssertEqual(config.guidanceScale, 4.0)
            XCTAssertFalse(config.ddimSampling)
            XCTAssertEqual(config.classLabels, [207, 360, 387, 974, 88, 979, 417, 279])
            XCTAssertEqual(config.modelName, "DiT-XL/2")
            XCTAssertEqual(config.respacing, "250")
            try config.validate()
        }
    }

    func testUnknownKeysAreErrorsAndMindOneRuntimeKeysAreIgnored() throws {
        var config = SampleConfig()
        XCTAssertThrowsError(try config.apply(yaml: "image_size: 256\nsampling_step: 50\n", source: "x.yaml")) {
            XCTAssertTrue("\($0)".contains("x.yaml: unknown key 'sampling_step'"), "\($0)")
        }
        try config.apply(yaml: "enable_flash_attention: True\njit_level: O0\nuse_fp16: True\n", source: "y.yaml")
        XCTAssertEqual(config.dtype, "fp16")
    }

    func testBadValuesAreNamed() {
        var config = SampleConfig()
        XCTAssertThrowsError(try config.apply(yaml: "cfg_channels: 5\n", source: "z.yaml")) {
            XCTAssertTrue("\($0)".contains("cfg_channels: expected 3 or 4"), "\($0)")
        }
        XCTAssertThrowsError(try config.set("class_labels", "1, x", source: "--class-labels"))
        config.classLabels = [3, 1000]
        XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("class label 1000 is out of range 0…999"), "\($0)") }
        config.classLabels = [3]
        config.imageSize = 250
        XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("multiple of 8"), "\($0)") }
    }

    func testFlagsOverrideTheFile() throws {
        var config = SampleConfig()
        try config.apply(yaml: "seed: 42\nsampling_steps: 250\n", source: "f.yaml")
        try config.set("seed", "7", source: "--seed")
        try config.set("sampling_steps", "50", source: "--sampling-steps")
        XCTAssertEqual(config.seed, 7)
        XCTAssertEqual(config.samplingSteps, 50)
        XCTAssertEqual(config.gridColumns, 4, "torchvision nrow of official sample.py")
        try config.set("grid_columns", "5", source: "--grid-columns")
        XCTAssertEqual(config.gridColumns, 5)
        XCTAssertThrowsError(try config.set("grid_columns", 0, source: "--grid-columns")) {
            XCTAssertTrue("\($0)".contains("--grid-columns: grid_columns: expected a positive integer"), "\($0)")
        }
    }
}
