import Checkpoint
import Foundation
import Models
import NameMaps
import XCTest

/// Loading through the rename tables: missing and extra weights fail with the list.
final class ModelLoadingTests: XCTestCase {
    let fixtures: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("fixtures/parity").path
    }()

    func temporary(_ name: String) -> String {
        NSTemporaryDirectory() + "ditport-models-\(ProcessInfo.processInfo.processIdentifier)-\(name)"
    }

    func rewritten(_ transform: ([NamedTensor]) throws -> [NamedTensor]) throws -> String {
        let source = try Checkpoint(path: fixtures + "/dit-a.pt").tensors()
        let target = temporary("\(UUID().uuidString).safetensors")
        try writeCheckpoint(try transform(source), to: target, format: .safetensors)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: target) }
        return target
    }

    func testMissingWeightsAreListed() throws {
        let path = try rewritten { $0.filter { !["blocks.1.mlp.fc2.bias", "t_embedder.mlp.2.weight"].contains($0.name) } }
        XCTAssertThrowsError(try ModelLoader.load(path, family: .dit)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("missing 2"), text)
            XCTAssertTrue(text.contains("blocks.1.mlp.fc2.bias") && text.contains("t_embedder.mlp.2.weight"), text)
        }
    }

    func testExtraWeightsAreListed() throws {
        let path = try rewritten { tensors in
            let extra = try Tensor(dtype: .f32, shape: [2], storage: OwnedStorage([0, 0, 128, 63, 0, 0, 0, 64]))
            return tensors + [NamedTensor(name: "blocks.0.attn.extra_scale", tensor: extra)]
        }
        XCTAssertThrowsError(try ModelLoader.load(path, family: .dit)) { error in
            XCTAssertTrue("\(error)".contains("unexpected 1: blocks.0.attn.extra_scale"), "\(error)")
        }
    }

    func testMisshapedWeightIsReported() throws {
        let path = try rewritten { tensors in
            try tensors.map { t in
                guard t.name == "blocks.0.attn.proj.bias" else { return t }
                return NamedTensor(name: t.name, tensor: try Tensor(dtype: .f32, shape: [31], storage: OwnedStorage([UInt8](repeating: 0, count: 124))))
            }
        }
        XCTAssertThrowsError(try ModelLoader.load(path, family: .dit)) { error in
            XCTAssertTrue("\(error)".contains("blocks.0.attn.proj.bias [31] (expected [32])"), "\(error)")
        }
    }

    /// bf16 and f64 sources are accepted: bf16 kept 16-bit with use_fp16, both widened/rounded to f32 otherwise.
    func testOtherFloatTypesLoad() throws {
        for dtype in [DType.bf16, .f64] {
            let path = try rewritten { try $0.map { NamedTensor(name: $0.name, tensor: try $0.tensor.converted(to: dtype)) } }
            var options = LoadOptions()
            options.keepHalfPrecision = true
            let loaded = try ModelLoader.load(path, family: .dit, options: options)
            let w = try loaded.weights.weight("blocks.0.attn.qkv.weight")
            XCTAssertEqual(w.isHalfPrecision, dtype == .bf16)
            let original = try ModelLoader.load(fixtures + "/dit-a.pt", family: .dit).weights.weight("blocks.0.attn.qkv.weight").floats()
            let values = w.floats()
            let expected = dtype == .bf16 ? original.map { Float(bitPattern: UInt32(DTypeConversion.bfloat16Bits(fromFloat: $0)) << 16) } : original
            XCTAssertEqual(values, expected, "\(dtype)")
        }
    }

    func testUnknownFileFailsWithOneLine() {
        XCTAssertThrowsError(try ModelLoader.load(fixtures + "/does-not-exist.pt", family: .dit)) { error in
            XCTAssertEqual("\(error)".split(separator: "\n").count, 1)
            XCTAssertTrue("\(error)".contains("no such file"))
        }
    }
}
