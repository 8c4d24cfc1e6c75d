import Checkpoint
import Foundation
import Models
import NameMaps
import Sampling
import XCTest

/// The bundled digits model (fixtures/digits, trained by fixtures/train/train_digits.py) must draw digits
/// an independent classifier recognises, and only when guidance and labels are right.
final class DigitsQualityTests: XCTestCase {
    static let models: (DiTDenoiser, VAEDecoder) = {
        let config = try! DigitsFixture.config()
        return try! DigitsFixture.models(dit: config.ditCheckpoint, vae: config.vaeCheckpoint, config: config)
    }()

    /// Samples 10 images per digit (DDIM-50, CFG 4.0 unless changed) asking for `asked`, and returns
    /// the per-class accuracy of the classifier against `expected`.
    func accuracy(asked: [Int], expected: [Int], guidance: Double? = nil) throws -> [Double] {
        try run(asked: asked, expected: expected, guidance: guidance).perClass
    }

    func run(asked: [Int], expected: [Int], guidance: Double? = nil) throws -> (perClass: [Double], latents: [Float]) {
        try DigitsFixture.score(models: Self.models, asked: asked, expected: expected, guidance: guidance)
    }

    static let hundred = DigitsFixture.hundred

    func testClassifierRecognisesAtLeast80PercentOfGeneratedDigits() throws {
        let (perClass, latents) = try run(asked: Self.hundred, expected: Self.hundred)
        let overall = perClass.reduce(0, +) / 10
        print("digits quality: overall \(overall), per class \(perClass.map { String(format: "%.1f", $0) })")
        XCTAssertGreaterThanOrEqual(overall, 0.8)

        // The same 100 samples from the official PyTorch code (fixtures/train/sample_reference.py: seed 0,
        // labels arange(10).repeat(10), create_diffusion("50").ddim_sample_loop, CFG 4.0 through
        // forward_with_cfg): 50 steps of guided sampling stay within the DiT parity tolerance.
        let reference = try Checkpoint(path: DigitsFixture.folder + "/reference-samples.safetensors")
        let tensor = try XCTUnwrap(try reference.tensors().first { $0.name == "latents" }?.tensor)
        XCTAssertEqual(tensor.shape, [100, 4, 8, 8])
        let expected = try tensor.doubleValues().map { Float($0) }
        XCTAssertEqual(expected.count, latents.count)
        let scale = expected.map(abs).max()!
        let worst = zip(latents, expected).map { abs($0 - $1) }.max()!
        print("digits latents vs PyTorch: max |Δ| \(worst) of max |ref| \(scale)")
        XCTAssertLessThanOrEqual(worst, 1e-5 * scale)
    }

    func testCheckFailsWhenLabelsAreBroken() throws {
        // Ask for digit (k + 3) mod 10 but score against k, as a bug that shifts labels would.
        let shifted = Self.hundred.map { ($0 + 3) % 10 }
        let perClass = try accuracy(asked: shifted, expected: Self.hundred)
        let overall = perClass.reduce(0, +) / 10
        print("digits quality with shifted labels: overall \(overall), per class \(perClass.map { String(format: "%.1f", $0) })")
        XCTAssertLessThan(overall, 0.8)
    }

    func testCheckFailsWhenGuidanceIsBroken() throws {
        // Guidance scale 0 returns the unconditional prediction: the label is ignored.
        let perClass = try accuracy(asked: Self.hundred, expected: Self.hundred, guidance: 0.0)
        let overall = perClass.reduce(0, +) / 10
        print("digits quality with guidance broken (scale 0): overall \(overall), per class \(perClass.map { String(format: "%.1f", $0) })")
        XCTAssertLessThan(overall, 0.8)
    }
}
