import Checkpoint
import Kernels
import Models
import Parity
import XCTest

/// The runtime against the official PyTorch code (DiT) and diffusers (VAE), on tiny configurations whose
/// weights are stored in every format and several namings. Tolerances are the issue's: DiT
/// max |Δ| ≤ 1e-5 · max |ref| for every tensor, VAE max |Δ| ≤ 5e-5.
final class ParityFixtureTests: XCTestCase {
    /// Tensors each bundle must have checked: DiT 5 conditioning/embedding dumps + 2 blocks + final +
    /// out + out_cfg + out_cfg_all; VAE 8 decoder + 8 encoder + latent_sample.
    static let expectedRows = ["dit-a": 11, "dit-a-f16": 11, "dit-b": 11, "vae": 17, "vae-f16": 17]

    func runCase(_ c: ParityFixtures.Case, file: StaticString = #filePath, line: UInt = #line) throws {
        let bundle = try ReferenceBundle(path: ParityFixtures.path(c.bundle))
        let report: ParityReport
        let convention: String
        switch bundle.kind {
        case .dit:
            let (dit, loaded) = try ParityFixtures.loadDiT(c.weights, fp16: c.fp16, bundle: bundle)
            report = try ParityRunner.run(dit, bundle: bundle)
            convention = loaded.conversion.sourceConvention
            if c.fp16 { try assertHalfAndMapped(loaded, matrix: "blocks.0.mlp.fc1.weight", file: file, line: line) }
        case .vae:
            let (vae, loaded) = try ParityFixtures.loadVAE(c.weights, fp16: c.fp16, bundle: bundle)
            report = try ParityRunner.run(vae, bundle: bundle)
            convention = loaded.conversion.sourceConvention
            if c.fp16 { try assertHalfAndMapped(loaded, matrix: "decoder.up_blocks.0.resnets.0.conv1.weight", file: file, line: line) }
        case .ditTrain:
            return XCTFail("\(c.bundle) is a training bundle (TrainingTests checks those)", file: file, line: line)
        }
        XCTAssertEqual(convention, c.naming == "mindone" && bundle.kind == .dit ? "official" : c.naming, "\(c.weights)", file: file, line: line)
        XCTAssertTrue(report.passed, "\(c.weights) vs \(c.bundle):\n\(report.table())", file: file, line: line)
        XCTAssertTrue(report.ignored.isEmpty, "unchecked bundle entries \(report.ignored)", file: file, line: line)
        let stem = String(c.bundle.dropLast(".bundle.safetensors".count))
        XCTAssertEqual(report.rows.count, Self.expectedRows[stem], "every module dump compared", file: file, line: line)
        let out = try XCTUnwrap(report.rows.first { $0.name == (bundle.kind == .dit ? "out" : "image") })
        if bundle.kind == .dit {
            XCTAssertLessThanOrEqual(out.maxAbs, 1e-5 * out.maxReference, file: file, line: line)
        } else {
            XCTAssertLessThanOrEqual(out.maxAbs, 5e-5, file: file, line: line)
        }
        XCTAssertGreaterThan(out.maxReference, 0.5, "a non-trivial reference (random weights, not the zero init)", file: file, line: line)
    }

    /// `use_fp16`: matrices stay 16-bit, read in place from the mapped file.
    func assertHalfAndMapped(_ loaded: LoadedWeights, matrix: String, file: StaticString, line: UInt) throws {
        let weight = try loaded.weights.weight(matrix)
        XCTAssertTrue(weight.isHalfPrecision, file: file, line: line)
        XCTAssertTrue(weight.owner is MappedStorage, "f16 weights are memory-mapped, not copied", file: file, line: line)
    }

    func run(weights: String) throws {
        let matching = try ParityFixtures.cases().filter { $0.weights == weights }
        XCTAssertEqual(matching.count, 1, "manifest entry for \(weights)")
        for c in matching { try runCase(c) }
    }

    func testDiTOfficialTorchFile() throws { try run(weights: "dit-a.pt") }
    func testDiTMindOneCheckpoint() throws { try run(weights: "dit-a.ckpt") }
    func testDiTHDF5() throws { try run(weights: "dit-a.h5") }
    func testDiTDiffusersFolderPatch4ThreeHeadsNoSigma() throws { try run(weights: "dit-b-diffusers") }
    func testDiTHalfPrecisionWeightsAgainstF16RoundedReference() throws { try run(weights: "dit-a-f16.safetensors") }
    func testVAEDiffusersFolder() throws { try run(weights: "vae-diffusers") }
    func testVAELDMTorchFile() throws { try run(weights: "vae-ldm.pt") }
    func testVAEMindOneCheckpoint() throws { try run(weights: "vae-mindone.ckpt") }
    func testVAELegacyDiffusersHDF5() throws { try run(weights: "vae-diffusers-old.h5") }
    func testVAEHalfPrecisionWeightsAgainstF16RoundedReference() throws { try run(weights: "vae-f16.safetensors") }

    func testManifestListsEveryWeightsFile() throws {
        let listed = Set(try ParityFixtures.cases().map(\.weights))
        let present = Set(try FileManager.default.contentsOfDirectory(atPath: ParityFixtures.root).filter {
            !$0.hasSuffix(".bundle.safetensors") && $0 != "manifest.json"
        })
        XCTAssertEqual(listed, present)
    }

    /// The f16 bundle is sensitive to the rounding: f32 weights fail it, and the report points at the
    /// first module that sees a rounded weight (the timestep MLP).
    func testFullPrecisionWeightsFailTheF16Reference() throws {
        let bundle = try ReferenceBundle(path: ParityFixtures.path("dit-a-f16.bundle.safetensors"))
        let (dit, _) = try ParityFixtures.loadDiT("dit-a.pt", bundle: bundle)
        let report = try ParityRunner.run(dit, bundle: bundle)
        XCTAssertFalse(report.passed)
        XCTAssertEqual(report.firstDivergence, "t_emb")
        let out = try XCTUnwrap(report.rows.first { $0.name == "out" })
        XCTAssertGreaterThan(out.maxAbs, 1e-4)
    }

    /// A wrong weight in block 1 is reported at block.1.out, with block 0 still passing.
    func testHarnessLocatesTheFirstDivergingModule() throws {
        let bundle = try ReferenceBundle(path: ParityFixtures.path("dit-a.bundle.safetensors"))
        let loaded = try ModelLoader.load(ParityFixtures.path("dit-a.pt"), family: .dit)
        var tensors = loaded.weights.tensors
        let name = "blocks.1.mlp.fc2.bias"
        var bias = try loaded.weights.floats(name)
        bias[3] += 1e-3
        tensors[name] = Weight(shape: [bias.count], values: bias)
        let dit = try DiT(weights: ModelWeights(tensors: tensors, names: loaded.weights.names), config: loaded.conversion.dit!, heads: 2)
        let report = try ParityRunner.run(dit, bundle: bundle)
        XCTAssertEqual(report.firstDivergence, "block.1.out")
        XCTAssertTrue(try XCTUnwrap(report.rows.first { $0.name == "block.0.out" }).passed)
        XCTAssertTrue(report.table().contains("first diverging module: block.1.out"))
    }
}
