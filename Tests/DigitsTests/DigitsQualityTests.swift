import Checkpoint
import Foundation
import Kernels
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

    /// `dtype: bf16` (the DiT's block GEMMs and the VAE's convolutions with bf16 operands, f32 accumulation): the same
    /// 100 DDIM-50 CFG-4.0 samples are still recognised ≥ 80 %, and they really were computed in bf16 (the final
    /// latents leave the f32 criterion against the official PyTorch samples). No latent tolerance is asserted against
    /// the f32 reference: 50 guided steps amplify the per-step bf16 error chaotically (the derived per-call tolerance,
    /// Tolerance.ditBF16, holds per forward — BF16ParityTests); the classifier is the criterion the issue names.
    func testBF16SamplesStillRecognisedAtLeast80Percent() throws {
        let config = try DigitsFixture.config()
        let models = try DigitsFixture.models(dit: config.ditCheckpoint, vae: config.vaeCheckpoint, config: config, precision: .bf16)
        let (perClass, latents) = try DigitsFixture.score(models: models, asked: Self.hundred, expected: Self.hundred)
        let overall = perClass.reduce(0, +) / 10
        let reference = try Checkpoint(path: DigitsFixture.folder + "/reference-samples.safetensors")
        let expected = try XCTUnwrap(try reference.tensors().first { $0.name == "latents" }?.tensor).doubleValues().map { Float($0) }
        let scale = expected.map(abs).max()!, worst = zip(latents, expected).map { abs($0 - $1) }.max()!
        print("digits quality in bf16: overall \(overall), per class \(perClass.map { String(format: "%.1f", $0) }); latents vs PyTorch f32: max |Δ| \(worst) of max |ref| \(scale)")
        XCTAssertGreaterThanOrEqual(overall, 0.8)
        if ComputePrecision.bf16Available {
            XCTAssertGreaterThan(worst, 1e-5 * scale, "bf16 sampling matched f32 to the f32 criterion: it did not compute in bf16")
        } else {
            XCTAssertLessThanOrEqual(worst, 1e-5 * scale, "without AVX512_BF16 dtype bf16 is the f32 run")
        }
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
