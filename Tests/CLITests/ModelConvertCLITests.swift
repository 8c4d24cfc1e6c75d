import Foundation
import TestSupport
import XCTest

/// `dit-convert` / `vae-convert` against files made by the real peers (fixtures/convert, written by
/// fixtures/generate/gen_convert.py with the official DiT code, diffusers and MindSpore).
final class ModelConvertCLITests: XCTestCase {
    static let convert = ToolRunner.packageRoot.appendingPathComponent("fixtures/convert").path
    static func fixture(_ name: String) -> String { convert + "/" + name }

    func tool(_ name: String, _ arguments: [String]) throws -> ToolRunner.Result { try ToolRunner.run(name, arguments) }

    func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    func assertConverts(_ toolName: String, _ source: String, to reference: String, extra: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = try temporaryDirectory()
        let target = dir + "/" + (reference as NSString).lastPathComponent
        let result = try tool(toolName, ["--source", source, "--target", target] + extra)
        XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
        XCTAssertEqual(try bytes(target), try bytes(reference), "\(source) → \(reference) not byte-identical", file: file, line: line)
    }

    // MARK: DiT

    func testOfficialToMindOneMatchesMindONEsConverterByteForByte() throws {
        try assertConverts("dit-convert", Self.fixture("dit-official.pt"), to: Self.fixture("dit-mindone.ckpt"))
        try assertConverts("dit-convert", Self.fixture("dit-official.pt"), to: Self.fixture("dit-mindone-legacy.ckpt"), extra: ["--to", "mindone-legacy"])
    }

    func testDiffusersRoundTripsAndMatchesSavePretrained() throws {
        let reference = Self.fixture("dit-diffusers/diffusion_pytorch_model.safetensors")
        try assertConverts("dit-convert", Self.fixture("dit-official.pt"), to: reference)
        // diffusers → official: pos_embed regenerated exactly as the official code computes it.
        try assertConverts("dit-convert", Self.fixture("dit-diffusers"), to: Self.fixture("dit-mindone.ckpt"))
        try assertConverts("dit-convert", Self.fixture("dit-mindone-legacy.ckpt"), to: reference)
    }

    func testTrainingCheckpointUsesEMAByDefaultAndModelOnRequest() throws {
        let dir = try temporaryDirectory()
        let ema = dir + "/ema.ckpt", model = dir + "/model.ckpt"
        XCTAssertEqual(try tool("dit-convert", ["--source", Self.fixture("dit-train.pt"), "--target", ema, "--quiet"]).status, 0)
        XCTAssertEqual(try tool("dit-convert", ["--source", Self.fixture("dit-train.pt"), "--target", model, "--use", "model", "--quiet"]).status, 0)
        XCTAssertEqual(try bytes(model), try bytes(Self.fixture("dit-mindone.ckpt")), "model weights = dit-official.pt")
        XCTAssertNotEqual(try bytes(ema), try bytes(model))
        let diff = try tool("ckpt", ["diff", ema, Self.fixture("dit-train.pt"), "--select-second", "ema"])
        XCTAssertEqual(diff.status, 0, diff.stdout)
    }

    func testFolderTargetIsNamedAfterTheSourceAsMindONEDoes() throws {
        let dir = try temporaryDirectory()
        let result = try tool("dit-convert", ["--source", Self.fixture("dit-official.pt"), "--target", dir + "/models"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try bytes(dir + "/models/dit-official.ckpt"), try bytes(Self.fixture("dit-mindone.ckpt")))
        XCTAssertTrue(result.stdout.contains("official naming") && result.stdout.contains("depth 2, hidden 32, patch 2"), result.stdout)
    }

    func testNonIdenticalEmbedderCopiesAreRefusedWithoutOutput() throws {
        let dir = try temporaryDirectory()
        let result = try tool("dit-convert", ["--source", Self.fixture("dit-diffusers-bad-embedder.safetensors"), "--target", dir + "/x.ckpt", "--image-size", "64"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("duplicated embedder copies are not identical: 'transformer_blocks.1.norm1.emb.timestep_embedder.linear_1.weight'"), result.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
    }

    // MARK: VAE

    func testEveryVAENamingConvertsToMindONEsBytes() throws {
        let reference = Self.fixture("vae-mindone.ckpt")
        for source in ["vae-diffusers-old.safetensors", "vae-diffusers", "vae-ldm.pt", "vae-sd-full.pt"] {
            try assertConverts("vae-convert", Self.fixture(source), to: reference)
        }
    }

    func testMindOneBackToDiffusersMatchesSavePretrained() throws {
        try assertConverts("vae-convert", Self.fixture("vae-mindone.ckpt"), to: Self.fixture("vae-diffusers/diffusion_pytorch_model.safetensors"))
        let dir = try temporaryDirectory()
        let ldm = dir + "/vae.pt"
        XCTAssertEqual(try tool("vae-convert", ["--source", Self.fixture("vae-mindone.ckpt"), "--target", ldm, "--quiet"]).status, 0)
        let diff = try tool("ckpt", ["diff", ldm, Self.fixture("vae-ldm.pt"), "--select-second", "state_dict"])
        XCTAssertEqual(diff.status, 0, diff.stdout)
        XCTAssertTrue(diff.stdout.contains("248 vs 248 tensors, 0 differences"), diff.stdout)
    }

    func testWrongShapeIsListedBeforeAnythingIsWritten() throws {
        // The DiT file read as a VAE: nothing fits.
        let dir = try temporaryDirectory()
        let result = try tool("vae-convert", ["--source", Self.fixture("dit-official.pt"), "--target", dir + "/v.ckpt"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("cannot detect the vae naming convention"), result.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
    }
}
