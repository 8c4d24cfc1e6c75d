import Foundation
import XCTest
@testable import Checkpoint

/// The PyTorch reader against files written by torch 2.15 itself (fixtures/generate/gen_torch.py):
/// every tensor compared byte for byte with what torch.load returned, plus tree-shape checks.
final class TorchReaderTests: XCTestCase {
    static let fixtures = Fixtures.withExpected(in: "torch")

    func testFixtureListIsComplete() {
        let names = Set(Self.fixtures.map { ($0 as NSString).lastPathComponent })
        for expected in ["dtypes.pt", "views.pt", "keep_vars.pt", "parameters.pt", "tensor_attr.pt", "lazy_bits.pt", "state_dict.pt",
                         "wrapped_state_dict.pt", "training.pt", "protocol4.pt", "protocol5.pt", "numpy_values.pt", "legacy.pt",
                         "legacy_state_dict.pt", "no_crc.pt", "rebuild_v1.pt", "legacy_view_metadata.pt"] {
            XCTAssertTrue(names.contains(expected), "missing fixture \(expected)")
        }
    }

    func testEveryFixtureMatchesTorch() throws {
        XCTAssertGreaterThanOrEqual(Self.fixtures.count, 17)
        for fixture in Self.fixtures {
            XCTAssertNoThrow(try Fixtures.assertMatchesExpected(fixture), fixture)
        }
    }

    func testEveryDTypeIsRead() throws {
        let tensors = try Checkpoint(path: Fixtures.path("torch/dtypes.pt")).tensors()
        XCTAssertEqual(Set(tensors.map(\.tensor.dtype)), Set(DType.allCases))
        let u64 = try XCTUnwrap(tensors.first { $0.name == "u64" }).tensor
        let values = try u64.contiguousBytes().withUnsafeBytes { Array($0.bindMemory(to: UInt64.self)) }
        XCTAssertEqual(values, [0, 1, UInt64(Int64.max), 12_345_678_901_234])
    }

    func testViewsShareOneMappedStorage() throws {
        let checkpoint = try Checkpoint(path: Fixtures.path("torch/views.pt"))
        let byName = Dictionary(uniqueKeysWithValues: try checkpoint.tensors().map { ($0.name, $0.tensor) })
        let base = try XCTUnwrap(byName["base"]), transposed = try XCTUnwrap(byName["transposed"])
        XCTAssertTrue(base.storage === transposed.storage, "views of one storage key share one storage object")
        XCTAssertTrue(byName["tied_a"]!.storage === byName["tied_b"]!.storage)
        XCTAssertEqual(transposed.strides, [1, 4])
        XCTAssertFalse(transposed.isContiguous)
        XCTAssertEqual(byName["expanded"]!.strides, [0, 0])
        XCTAssertEqual(byName["scalar"]!.shape, [])
        XCTAssertEqual(byName["empty"]!.shape, [0, 3])
        XCTAssertEqual(byName["narrow_tail"]!.storageOffset, 15)
        let mapped = try XCTUnwrap(base.storage as? MappedStorage)
        XCTAssertEqual(mapped.range.lowerBound % 64, 0, "torch aligns records to 64 bytes; the reader maps them in place")
        XCTAssertEqual(mapped.range.count, 48)
    }

    func testLegacyStoragesAreReadInPlaceUnaligned() throws {
        let checkpoint = try Checkpoint(path: Fixtures.path("torch/legacy.pt"))
        XCTAssertEqual(checkpoint.format, .torchLegacy)
        let tensors = try checkpoint.tensors()
        let offsets = tensors.compactMap { ($0.tensor.storage as? MappedStorage)?.range.lowerBound }
        XCTAssertEqual(offsets.count, tensors.count)
        XCTAssertTrue(offsets.contains { $0 % 8 != 0 }, "legacy data is not aligned")
        let byName = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0.tensor) })
        XCTAssertTrue(byName["base"]!.storage === byName["transposed"]!.storage)
    }

    func testTrainingCheckpointKeepsTheTree() throws {
        let checkpoint = try Checkpoint(path: Fixtures.path("torch/training.pt"))
        guard case .object(let type, let args, let state?) = try XCTUnwrap(checkpoint.root["args"]) else {
            return XCTFail("args is not an object")
        }
        XCTAssertEqual(type, "argparse.Namespace")
        XCTAssertTrue(args.isEmpty)
        XCTAssertEqual(state["name"]?.summary, "'dit'")
        guard case .object("torch.device", let deviceArgs, nil)? = checkpoint.root["device"] else { return XCTFail("device") }
        XCTAssertEqual(deviceArgs.map(\.summary), ["'cpu'"])
        guard case .object("torch.Size", let sizeArgs, nil)? = checkpoint.root["shape"] else { return XCTFail("shape") }
        XCTAssertEqual(sizeArgs.map(\.summary), ["(2, 3)"])
        guard case .set(let tags)? = checkpoint.root["tags"] else { return XCTFail("tags") }
        XCTAssertEqual(Set(tags.map(\.summary)), ["'a'", "'b'"])
        guard case .bytes(let blob)? = checkpoint.root["blob"] else { return XCTFail("blob") }
        XCTAssertEqual(blob, [0x00, 0xFF] + Array("raw".utf8))

        let ema = try checkpoint.tensors(select: "ema")
        XCTAssertEqual(ema.map(\.name), ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked"])
        let all = try checkpoint.tensors()
        XCTAssertTrue(all.contains { $0.name == "opt.state.0.exp_avg" })
        XCTAssertFalse(all.contains { $0.name == "history" }, "numpy arrays are data, not model tensors")
    }

    func testNumpyArraysMatchNumpy() throws {
        for stem in ["numpy_values", "training", "protocol4", "protocol5"] {
            let expected = try Fixtures.expected("torch/arrays/" + stem)
            XCTAssertFalse(expected.tensors.isEmpty)
            let root = try Checkpoint(path: Fixtures.path("torch/\(stem).pt")).root
            for entry in expected.tensors {
                guard case .array(let tensor)? = root.value(atPath: entry.name) else {
                    XCTFail("\(stem): \(entry.name) is not a numpy array")
                    continue
                }
                XCTAssertEqual(tensor.dtype, entry.dtype, "\(stem): \(entry.name)")
                XCTAssertEqual(tensor.shape, entry.shape, "\(stem): \(entry.name)")
                XCTAssertEqual(try tensor.contiguousBytes(), entry.bytes, "\(stem): \(entry.name)")
            }
        }
    }

    func testLazyNegAndConjAreApplied() throws {
        let tensors = try Checkpoint(path: Fixtures.path("torch/lazy_bits.pt")).tensors()
        let neg = try XCTUnwrap(tensors.first { $0.name == "neg" }).tensor
        let values = try neg.contiguousBytes().withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        XCTAssertEqual(values, [-1, 2, -0.0, -3.5])
        XCTAssertEqual(values[2].sign, .minus)
    }

    func testCRCsAreVerifiedWhenPresentAndSkippedWhenZero() throws {
        let file = try MappedFile(path: Fixtures.path("torch/no_crc.pt"))
        let archive = try ZipArchive(file: file)
        XCTAssertTrue(archive.entries.allSatisfy { $0.crc32 == 0 })
        let real = try ZipArchive(file: try MappedFile(path: Fixtures.path("torch/views.pt")))
        XCTAssertTrue(real.entries.allSatisfy { $0.crc32 != 0 || $0.uncompressedSize == 0 })
        XCTAssertEqual(real.prefix, "views")
        XCTAssertEqual(real.entries.first?.relativeName, "data.pkl")
    }

    func testTruncatedFixturesAreRefused() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("torchread-truncated-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var checked = 0
        for fixture in Self.fixtures {
            let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(fixture)))
            for point in 0..<16 {
                let length = data.count * point / 16
                let path = directory.appendingPathComponent("cut.pt").path
                try data.prefix(length).write(to: URL(fileURLWithPath: path))
                XCTAssertThrowsError(try Checkpoint(path: path), "\(fixture) cut at \(length)") { error in
                    XCTAssertTrue(error is CheckpointError, "\(fixture) cut at \(length): \(error)")
                }
                checked += 1
            }
        }
        XCTAssertEqual(checked, Self.fixtures.count * 16)
    }
}
