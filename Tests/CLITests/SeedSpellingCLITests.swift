import Foundation
import TestSupport
import XCTest

/// The seed's commands as users type them: `--target .ckpt`, MindONE's underscore flags with Python
/// booleans, and MindONE's inference YAML keys, against files made by the real peers.
final class SeedSpellingCLITests: XCTestCase {
    static let convert = ToolRunner.packageRoot.appendingPathComponent("fixtures/convert").path

    func copy(_ name: String, into dir: String) throws -> String {
        let path = dir + "/" + name
        try FileManager.default.copyItem(atPath: Self.convert + "/" + name, toPath: path)
        return path
    }

    func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    func testDiTConvertTargetAsBareExtensionIsNamedAfterTheSource() throws {
        let dir = try temporaryDirectory()
        let source = try copy("dit-official.pt", into: dir)
        let result = try ToolRunner.run("dit-convert", ["--source", source, "--target", ".ckpt", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["dit-official.ckpt", "dit-official.pt"])
        XCTAssertEqual(try bytes(dir + "/dit-official.ckpt"), try bytes(Self.convert + "/dit-mindone.ckpt"), "MindONE converter's bytes")
    }

    func testVAEConvertFolderSourceAndBareExtension() throws {
        let dir = try temporaryDirectory()
        let source = try copy("vae-diffusers", into: dir)
        let result = try ToolRunner.run("vae-convert", ["--source", source, "--target=.ckpt", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/.ckpt"))
        XCTAssertEqual(try bytes(dir + "/vae-diffusers.ckpt"), try bytes(Self.convert + "/vae-mindone.ckpt"))
    }

    func testCkptConvertBareExtensionAndUnderscoreFlags() throws {
        let dir = try temporaryDirectory()
        let source = try copy("dit-train.pt", into: dir)
        let result = try ToolRunner.run("ckpt", ["convert", source, ".safetensors", "--select", "ema", "--quiet", "True"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["dit-train.pt", "dit-train.safetensors"])
        let diff = try ToolRunner.run("ckpt", ["diff", dir + "/dit-train.safetensors", source, "--select_second", "ema", "--atol=0"])
        XCTAssertEqual(diff.status, 0, diff.stdout + diff.stderr)
        XCTAssertTrue(diff.stdout.contains(" 0 differences"), diff.stdout)
        let wrong = try ToolRunner.run("ckpt", ["diff", dir + "/dit-train.safetensors", source])
        XCTAssertEqual(wrong.status, 1, "without --select_second the training checkpoint's extra entries differ")
    }

    /// `dit-sample -c cfg.yaml --ddim_sampling True --use_fp16 False` with a MindONE-form YAML (dtype:
    /// "fp16", runtime keys) reproduces the official DDIM-50 flow (fixtures/sample_e2e, gen_sample_e2e.py).
    func testSampleWithMindOneYAMLAndUnderscoreFlagsMatchesTheOfficialFlow() throws {
        let dir = try temporaryDirectory()
        let yaml = dir + "/cfg.yaml"
        try """
            image_size: 64
            model_name: "tiny"
            dit_checkpoint: "\(Self.convert)/dit-mindone.ckpt"
            vae_checkpoint: "\(Self.convert)/vae-mindone.ckpt"
            sd_scale_factor: 0.18215
            enable_flash_attention: False
            dtype: "fp16"
            use_recompute: False
            patch_embedder: "conv"
            sampling_steps: 50
            guidance_scale: 4.0
            seed: 5
            ddim_sampling: False
            device_target: "Ascend"
            """.write(toFile: yaml, atomically: true, encoding: .utf8)
        let result = try ToolRunner.run("dit-sample", ["-c", yaml, "--ddim_sampling", "True", "--use_fp16", "False",
                                                       "--num_classes", "10", "--num_heads", "2", "--vae_norm_groups", "2", "--class_labels", "0,7,2,8",
                                                       "--imagegrid", "True", "--output_path", dir + "/out", "--save_latents=" + dir + "/latents.safetensors"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let notes = result.stdout.split(separator: "\n").filter { $0.hasPrefix("note:") }
        XCTAssertEqual(notes, ["note: MindSpore runtime options mean nothing on the CPU and are ignored (enable_flash_attention, use_recompute, device_target)"])
        let expected = try SampleCLITests.Dump(SampleCLITests.reference).floats("ddim50.latents")
        let got = try SampleCLITests.safetensorsFloats(dir + "/latents.safetensors")["latents"] ?? []
        XCTAssertEqual(got.count, expected.count)
        // Same bound as SampleCLITests: max |Δ| relative to max |reference|.
        let scale = expected.map { abs($0) }.max() ?? 1
        XCTAssertLessThanOrEqual((zip(got, expected).map { abs($0 - $1) }.max() ?? .infinity) / scale, 1e-4)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/out/sample.png"))
    }
}
