import CLISupport
import XCTest
@testable import Sampling

/// MindONE's own inference YAMLs (examples/dit/configs/inference/, every form they had) read by dit-sample
/// unchanged. The texts below carry the keys and values of those files as MindONE wrote them.
final class MindOneInferenceYAMLTests: XCTestCase {
    /// The first files (PR #377, 2024-03): `use_fp16`, `enable_flash_attention`.
    static let early = """
        # model
        image_size: 256
        model_name: "DiT-XL/2"
        dit_checkpoint: "models/DiT-XL-2-256x256.ckpt"
        vae_checkpoint: "models/sd-vae-ft-mse.ckpt"
        sd_scale_factor: 0.18215
        enable_flash_attention: False
        use_fp16: True

        # sampling
        sampling_steps: 250
        guidance_scale: 1.5
        seed: 42
        ddim_sampling: False
        """
    /// The later form: `dtype: "fp16"`, `use_recompute`, `patch_embedder`.
    static let later = """
        # model
        image_size: 256
        model_name: "DiT-XL/2"
        dit_checkpoint: "models/DiT-XL-2-256x256.ckpt"
        vae_checkpoint: "models/sd-vae-ft-mse.ckpt"
        sd_scale_factor: 0.18215
        enable_flash_attention: False
        dtype: "fp16"
        use_recompute: False
        patch_embedder: "conv"

        # sampling
        sampling_steps: 250
        guidance_scale: 4.0
        seed: 42
        ddim_sampling: False
        """
    /// `configs/inference/image/dit-xl-2-512x512.yaml`: no `ddim_sampling` key.
    static let image512 = """
        # model
        image_size: 512
        model_name: "DiT-XL/2"
        dit_checkpoint: "models/DiT-XL-2-512x512.ckpt"
        vae_checkpoint: "models/sd-vae-ft-mse.ckpt"
        sd_scale_factor: 0.18215
        enable_flash_attention: False
        use_fp16: True

        # sampling
        sampling_steps: 50
        guidance_scale: 10.0
        seed: 12
        """

    func config(_ yaml: String) throws -> (SampleConfig, ResolvedSettings) {
        let resolved = try SampleConfig.settings.resolve(yaml: yaml, source: "mindone.yaml")
        return (try SampleConfig(resolved), resolved)
    }

    func testEveryFormReadsUnchanged() throws {
        let (early, earlyResolved) = try config(Self.early)
        XCTAssertEqual(early.dtype, "fp16")
        XCTAssertEqual(early.guidanceScale, 1.5)
        XCTAssertEqual(early.samplingSteps, 250)
        XCTAssertFalse(early.ddimSampling)
        XCTAssertEqual(earlyResolved.notes, ["note: MindSpore runtime options mean nothing on the CPU and are ignored (enable_flash_attention)"])

        let (later, laterResolved) = try config(Self.later)
        XCTAssertEqual(later.dtype, "fp16")
        XCTAssertEqual(later.guidanceScale, 4.0)
        XCTAssertEqual(later.seed, 42)
        XCTAssertEqual(later.ditCheckpoint, "models/DiT-XL-2-256x256.ckpt")
        XCTAssertEqual(laterResolved.notes, ["note: MindSpore runtime options mean nothing on the CPU and are ignored (enable_flash_attention, use_recompute)"],
                       "one note line for all the runtime keys")

        let (image, _) = try config(Self.image512)
        XCTAssertEqual(image.imageSize, 512)
        XCTAssertEqual(image.guidanceScale, 10.0)
        XCTAssertEqual(image.seed, 12)
        XCTAssertEqual(image.samplingSteps, 50)
        XCTAssertFalse(image.ddimSampling, "no ddim_sampling key: the declared default (DDPM)")
        XCTAssertEqual(image.classLabels, [207, 360, 387, 974, 88, 979, 417, 279], "sample.py's hard-coded labels")
        try image.validate()
    }

    func testUnderscoreFlagsOverTheFileAndTheLaterOfDtypeAndUseFp16Wins() throws {
        let path = NSTemporaryDirectory() + "mindone-\(UUID().uuidString).yaml"
        try Self.later.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        guard case .settings(let resolved) = try SampleConfig.settings.evaluate(["-c", path, "--ddim_sampling", "True", "--use_fp16", "False", "--sampling_steps=50"]) else {
            return XCTFail("help")
        }
        let config = try SampleConfig(resolved)
        XCTAssertTrue(config.ddimSampling)
        XCTAssertEqual(config.dtype, "fp32", "--use_fp16 False after the file's dtype: fp16")
        XCTAssertEqual(config.samplingSteps, 50)
        XCTAssertEqual(resolved.origin(of: "ddim_sampling"), "--ddim_sampling")
        XCTAssertEqual(resolved.origin(of: "guidance_scale"), path)
        var fileOnly = SampleConfig()
        try fileOnly.apply(yaml: "use_fp16: True\ndtype: \"bf16\"\n", source: "o.yaml")
        XCTAssertEqual(fileOnly.dtype, "bf16", "file order: dtype after use_fp16")
    }

    func testALinearPatchEmbedderIsRefused() {
        var config = SampleConfig()
        XCTAssertThrowsError(try config.apply(yaml: "patch_embedder: \"linear\"\n", source: "p.yaml")) {
            XCTAssertEqual("\($0)", "p.yaml: patch_embedder: expected one of conv, got 'linear'")
        }
    }
}
