import Checkpoint
import Foundation
import Models
import NameMaps
import Sampling
import XCTest

/// The bundled digits model (fixtures/digits, trained by fixtures/train/train_digits.py) must draw digits
/// an independent classifier recognises, only when guidance and labels are right, and the same images
/// from every file format.
final class DigitsQualityTests: XCTestCase {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static func config() throws -> SampleConfig {
        var config = SampleConfig()
        try config.apply(yaml: String(contentsOfFile: root + "/configs/inference/digits.yaml", encoding: .utf8), source: "digits.yaml")
        config.ditCheckpoint = root + "/" + config.ditCheckpoint
        config.vaeCheckpoint = root + "/" + config.vaeCheckpoint
        return config
    }

    static let models: (DiTDenoiser, VAEDecoder) = {
        let config = try! DigitsQualityTests.config()
        let ditWeights = try! ModelLoader.load(config.ditCheckpoint, family: .dit)
        let dit = try! DiT(weights: ditWeights.weights, config: ditWeights.conversion.dit!, heads: config.numHeads)
        let vaeWeights = try! ModelLoader.load(config.vaeCheckpoint, family: .vae)
        let vae = try! AutoencoderKL(weights: vaeWeights.weights, config: vaeWeights.conversion.vae!, groups: config.vaeNormGroups)
        return (DiTDenoiser(dit), VAEDecoder(vae))
    }()

    /// Samples 10 images per digit (DDIM-50, CFG 4.0 unless changed) asking for `asked`, and returns
    /// the per-class accuracy of the classifier against `expected`.
    func accuracy(asked: [Int], expected: [Int], guidance: Double? = nil) throws -> [Double] {
        var config = try Self.config()
        config.classLabels = asked
        if let guidance { config.guidanceScale = guidance }
        var pipeline = SamplePipeline(config: config)
        pipeline.quiet = true
        let dir = NSTemporaryDirectory() + "digits-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try pipeline.run(denoiser: Self.models.0, decoder: Self.models.1, outputFolder: dir)
        let classifier = try DigitClassifier(path: Self.root + "/fixtures/digits/classifier.safetensors")
        let features = DigitClassifier.features(result.images, count: asked.count, size: config.imageSize)
        var correct = [Int](repeating: 0, count: 10), total = [Int](repeating: 0, count: 10)
        for (k, f) in features.enumerated() {
            total[expected[k]] += 1
            if classifier.predict(f) == expected[k] { correct[expected[k]] += 1 }
        }
        return (0..<10).map { total[$0] > 0 ? Double(correct[$0]) / Double(total[$0]) : 0 }
    }

    static let hundred = (0..<100).map { $0 % 10 }

    func testClassifierRecognisesAtLeast80PercentOfGeneratedDigits() throws {
        let perClass = try accuracy(asked: Self.hundred, expected: Self.hundred)
        let overall = perClass.reduce(0, +) / 10
        print("digits quality: overall \(overall), per class \(perClass.map { String(format: "%.1f", $0) })")
        XCTAssertGreaterThanOrEqual(overall, 0.8)
    }

    func testCheckFailsWhenLabelsAreBroken() throws {
        // Ask for digit (k + 3) mod 10 but score against k, as a bug that shifts labels would.
        let shifted = Self.hundred.map { ($0 + 3) % 10 }
        let overall = try accuracy(asked: shifted, expected: Self.hundred).reduce(0, +) / 10
        print("digits quality with shifted labels: \(overall)")
        XCTAssertLessThan(overall, 0.8)
    }

    func testCheckFailsWhenGuidanceIsBroken() throws {
        // Guidance scale 0 returns the unconditional prediction: the label is ignored.
        let overall = try accuracy(asked: Self.hundred, expected: Self.hundred, guidance: 0.0).reduce(0, +) / 10
        print("digits quality with guidance broken (scale 0): \(overall)")
        XCTAssertLessThan(overall, 0.8)
    }
}
