import Checkpoint
import XCTest
@testable import NameMaps

/// Every pair of conventions, both directions: A → B → A is bit-identical; plus the negative cases.
final class ConventionRoundTripTests: XCTestCase {
    static let dit = DiTConfig(hiddenSize: 32, depth: 2, patchSize: 2, inChannels: 4, inputSize: 8, numClasses: 10)
    static let vae = VAEConfig(blockOutChannels: [32, 32, 64, 64], layersPerBlock: 2)

    /// Canonical tensors with deterministic pseudo-random values (and the generated pos_embed, which a
    /// diffusers round trip recomputes).
    static func canonical(_ family: ModelFamily) throws -> [NamedTensor] {
        var state: UInt64 = 0x1234_5678
        let expected = family == .dit ? dit.expectedParameters() : vae.expectedParameters()
        return try expected.map { name, shape in
            if name == "pos_embed" {
                return NamedTensor(name: name, tensor: try TensorGenerators.ditPositionEmbedding(hiddenSize: 32, gridSize: 4))
            }
            let count = shape.reduce(1, *)
            var values = [Float](repeating: 0, count: count)  // [shape] f32
            for i in 0..<count {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                values[i] = Float(Int32(truncatingIfNeeded: state >> 33)) / 1e9
            }
            return NamedTensor(name: name, tensor: try Tensor(dtype: .f32, shape: shape, storage: OwnedStorage(values.withUnsafeBytes { Array($0) })))
        }
    }

    func convert(_ tensors: [NamedTensor], _ family: ModelFamily, from: String, to: String) throws -> [NamedTensor] {
        try ModelConversion.plan(tensors, family: family, from: from, to: to, library: try TableLibrary.builtIn(), inputSize: 8).tensors
    }

    func bytesByName(_ tensors: [NamedTensor]) throws -> [String: [UInt8]] {
        Dictionary(uniqueKeysWithValues: try tensors.map { ($0.name, try $0.tensor.contiguousBytes()) })
    }

    func testEveryPairRoundTripsBitIdentically() throws {
        var pairs = 0
        for family in ModelFamily.allCases {
            let conventions = try TableLibrary.builtIn().conventions(of: family.rawValue).sorted()
            let canonical = try Self.canonical(family)
            for a in conventions {
                let inA = try convert(canonical, family, from: family.canonicalConvention, to: a)
                XCTAssertEqual(family.detectConvention(Set(inA.map(\.name))), a, "\(family) \(a) detected from its own names")
                for b in conventions where b != a {
                    let inB = try convert(inA, family, from: a, to: b)
                    let back = try convert(inB, family, from: b, to: a)
                    XCTAssertEqual(back.map(\.name), inA.map(\.name), "\(family) \(a)→\(b)→\(a) names and order")
                    XCTAssertEqual(try bytesByName(back), try bytesByName(inA), "\(family) \(a)→\(b)→\(a) bytes")
                    pairs += 1
                }
            }
        }
        XCTAssertEqual(pairs, 6 + 12)
    }

    func testKnownCountsAndShapes() throws {
        let diffusers = try convert(try Self.canonical(.dit), .dit, from: "official", to: "diffusers")
        // 2 patch-embed + per block (5 embedder copies + 2 adaLN + 8 attention + 4 MLP) + 4 final.
        XCTAssertEqual(diffusers.count, 2 + 2 * 19 + 4)
        let mindone = try convert(try Self.canonical(.vae), .vae, from: "diffusers", to: "mindone")
        XCTAssertEqual(mindone.map(\.name), mindone.map(\.name).sorted(), "MindONE's VAE converter writes records sorted by name")
        let q = try XCTUnwrap(mindone.first { $0.name == "decoder.mid.attn_1.q.weight" })
        XCTAssertEqual(q.tensor.shape, [64, 64, 1, 1])
        XCTAssertTrue(mindone.contains { $0.name == "decoder.up.1.block.0.nin_shortcut.weight" }, "decoder levels are reversed: up_blocks.2 (64→32) is LDM up.1")
        XCTAssertTrue(mindone.contains { $0.name == "encoder.norm_out.gamma" })
    }

    func testMissingExtraAndMisshapedTensorsAreListed() throws {
        var tensors = try Self.canonical(.dit)
        tensors.removeAll { $0.name == "blocks.1.mlp.fc2.bias" }
        XCTAssertThrowsError(try convert(tensors, .dit, from: "official", to: "diffusers")) {
            XCTAssertTrue("\($0)".contains("missing 1: blocks.1.mlp.fc2.bias"), "\($0)")
        }
        tensors = try Self.canonical(.dit)
        tensors.append(NamedTensor(name: "blocks.0.attn.extra", tensor: tensors[1].tensor))
        XCTAssertThrowsError(try convert(tensors, .dit, from: "official", to: "mindone")) {
            XCTAssertTrue("\($0)".contains("unexpected 1: blocks.0.attn.extra"), "\($0)")
        }
        tensors = try Self.canonical(.dit)
        let index = tensors.firstIndex { $0.name == "blocks.0.attn.proj.bias" }!
        tensors[index] = NamedTensor(name: "blocks.0.attn.proj.bias", tensor: try Tensor(dtype: .f32, shape: [31], storage: OwnedStorage([UInt8](repeating: 0, count: 124))))
        XCTAssertThrowsError(try convert(tensors, .dit, from: "official", to: "mindone")) {
            XCTAssertTrue("\($0)".contains("wrong shape 1: blocks.0.attn.proj.bias [31] (expected [32])"), "\($0)")
        }
        var vae = try convert(try Self.canonical(.vae), .vae, from: "diffusers", to: "ldm")
        vae.append(NamedTensor(name: "loss.logvar", tensor: vae[0].tensor))
        XCTAssertThrowsError(try convert(vae, .vae, from: "ldm", to: "diffusers")) {
            XCTAssertTrue("\($0)".contains("not consumed by vae-diffusers__ldm.table") && "\($0)".contains("loss.logvar"), "\($0)")
        }
    }

    func testNonIdenticalEmbedderCopiesAreRefused() throws {
        var diffusers = try convert(try Self.canonical(.dit), .dit, from: "official", to: "diffusers")
        let name = "transformer_blocks.1.norm1.emb.timestep_embedder.linear_1.weight"
        let index = diffusers.firstIndex { $0.name == name }!
        var bytes = try diffusers[index].tensor.contiguousBytes()
        bytes[0] ^= 0x40
        diffusers[index] = NamedTensor(name: name, tensor: try Tensor(dtype: .f32, shape: diffusers[index].tensor.shape, storage: OwnedStorage(bytes)))
        XCTAssertThrowsError(try convert(diffusers, .dit, from: "diffusers", to: "official")) {
            XCTAssertTrue("\($0)".contains("duplicated embedder copies are not identical: '\(name)' differs from 'transformer_blocks.0."), "\($0)")
        }
    }

    func testPrefixesAreStrippedAndSDCheckpointsFiltered() throws {
        let official = try Self.canonical(.dit).map { NamedTensor(name: "network." + $0.name, tensor: $0.tensor) }
        let plan = try ModelConversion.plan(official, to: "diffusers", library: try TableLibrary.builtIn())
        XCTAssertEqual(plan.family, .dit)
        XCTAssertEqual(plan.sourceConvention, "official")
        XCTAssertEqual(plan.dit, Self.dit)
        XCTAssertTrue(plan.notes.contains { $0.contains("network.") })
        let ldm = try convert(try Self.canonical(.vae), .vae, from: "diffusers", to: "ldm")
        let sd = ldm.map { NamedTensor(name: "first_stage_model." + $0.name, tensor: $0.tensor) } + [NamedTensor(name: "model.diffusion_model.x", tensor: ldm[0].tensor)]
        let vaePlan = try ModelConversion.plan(sd, to: "mindone", library: try TableLibrary.builtIn())
        XCTAssertEqual(vaePlan.sourceConvention, "ldm")
        XCTAssertEqual(vaePlan.vae, Self.vae)
        XCTAssertEqual(vaePlan.tensors.count, ldm.count)
    }

    func testDiffusersSourceWithoutPosEmbedNeedsTheImageSize() throws {
        let diffusers = try convert(try Self.canonical(.dit), .dit, from: "official", to: "diffusers")
        XCTAssertThrowsError(try ModelConversion.plan(diffusers, to: "official", library: try TableLibrary.builtIn())) {
            XCTAssertTrue("\($0)".contains("--image-size"), "\($0)")
        }
        let plan = try ModelConversion.plan(diffusers, to: "official", library: try TableLibrary.builtIn(), inputSize: 8)
        XCTAssertTrue(plan.notes.contains { $0.contains("generated pos_embed") })
    }
}
