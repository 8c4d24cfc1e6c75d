import Checkpoint
import Foundation
import NameMaps
import Parity
import TestSupport
import Sampling
import XCTest

/// The bundled model draws the same images whichever file it is loaded from: the torch.save `.pt`
/// and diffusers folder it ships as, and MindONE `.ckpt`, safetensors and `.h5` copies made with the
/// converters (whose bytes the format tests prove equal to mindspore's, safetensors' and h5py's).
final class FormatEquivalenceTests: XCTestCase {
    /// Converts `source` (renamed into `convention`) to `target`, as dit-convert / vae-convert do.
    func convert(_ source: String, family: ModelFamily, to convention: String, target: String) throws -> ModelConversion {
        let model = try ModelSource(path: source)
        let plan = try ModelConversion.plan(model.tensors, family: family, to: convention, library: try TableLibrary.builtIn(),
                                            inputSize: model.diffusersSampleSize)
        try writeCheckpoint(plan.tensors, to: target, format: XCTUnwrap(CheckpointFormat.forWriting(path: target)))
        return plan
    }

    func testSameImagesFromPtCkptSafetensorsAndH5() throws {
        let dir = try temporaryDirectory()
        let config = try DigitsFixture.config()
        let pt = config.ditCheckpoint, diffusersVAE = config.vaeCheckpoint
        let copies: [(name: String, dit: String, vae: String)] = [
            ("ckpt (MindONE names)", dir + "/dit.ckpt", dir + "/vae.ckpt"),
            ("safetensors (official names)", dir + "/dit.safetensors", diffusersVAE),
            ("h5", dir + "/dit.h5", dir + "/vae.h5"),
        ]
        _ = try convert(pt, family: .dit, to: "mindone", target: copies[0].dit)
        _ = try convert(diffusersVAE, family: .vae, to: "mindone", target: copies[0].vae)
        _ = try convert(pt, family: .dit, to: "official", target: copies[1].dit)
        _ = try convert(pt, family: .dit, to: "official", target: copies[2].dit)
        _ = try convert(diffusersVAE, family: .vae, to: "diffusers", target: copies[2].vae)

        let (reference, referencePNG) = try DigitsFixture.sample(config, models: DigitsFixture.models(dit: pt, vae: diffusersVAE, config: config))
        XCTAssertEqual(reference.latents.count, 10 * 4 * 8 * 8)
        XCTAssertNotNil(referencePNG)
        for copy in copies {
            let (result, png) = try DigitsFixture.sample(config, models: DigitsFixture.models(dit: copy.dit, vae: copy.vae, config: config))
            XCTAssertEqual(result.latents, reference.latents, "latents from the \(copy.name) copy")
            XCTAssertEqual(result.images, reference.images, "images from the \(copy.name) copy")
            XCTAssertEqual(png, referencePNG, "PNG grid from the \(copy.name) copy")
        }
    }

    /// diffusers does not store `pos_embed` and recomputes the sin-cos formula, while official training
    /// (update_ema over every parameter) leaves the stored table EMA-rounded: the converter says so, and
    /// the images differ by that rounding only.
    func testDiffusersNamingRecomputesPosEmbed() throws {
        let dir = try temporaryDirectory()
        var config = try DigitsFixture.config()
        let target = dir + "/transformer.safetensors"
        let plan = try convert(config.ditCheckpoint, family: .dit, to: "diffusers", target: target)
        // Measured by fixtures/train/make_digits_reference.py: stored pos_embed vs the official get_2d_sincos_pos_embed.
        let bundle = try ReferenceBundle(path: DigitsFixture.folder + "/dit-digits.bundle.safetensors")
        let torchDrift = try XCTUnwrap(bundle.metadataString("pos_embed_drift_from_formula").flatMap(Double.init))
        let note = try XCTUnwrap(plan.notes.first { $0.hasPrefix("pos_embed is not stored in diffusers files") })
        XCTAssertTrue(note.contains(String(format: "%.2e", torchDrift)), note)

        let (official, _) = try DigitsFixture.sample(config, models: DigitsFixture.models(dit: config.ditCheckpoint, vae: config.vaeCheckpoint, config: config))
        config.ditCheckpoint = target
        let (diffusers, _) = try DigitsFixture.sample(config, models: DigitsFixture.models(dit: target, vae: config.vaeCheckpoint, config: config))
        let worst = zip(official.images, diffusers.images).map { abs($0 - $1) }.max()!
        XCTAssertGreaterThan(worst, 0, "the recomputed pos_embed should change the numbers slightly")
        XCTAssertLessThan(worst, 1e-3)
    }
}
