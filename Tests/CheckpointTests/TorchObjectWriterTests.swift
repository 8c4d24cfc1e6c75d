import Foundation
import TestSupport
import XCTest
@testable import Checkpoint

/// `TorchObjectWriter` (general object trees, e.g. the official `{model, ema, opt, args}` checkpoint) read
/// back by this package's unpickler; `torch.load(weights_only=True)` of the same tree is checked once by
/// fixtures/generate/verify_train_outputs.py (docs/training.md).
final class TorchObjectWriterTests: XCTestCase {
    static func tensor(_ values: [Float], shape: [Int]) throws -> Tensor {
        try Tensor(dtype: .f32, shape: shape, storage: OwnedStorage(values.withUnsafeBytes { [UInt8]($0) }))
    }

    /// Tensors nested in dicts below the root (the first one not at the root: the lazily emitted
    /// `collections.OrderedDict` global must not stay on the pickle stack), int keys, tuples, lists, None.
    func testNestedTreeRoundTrips() throws {
        let path = try temporaryDirectory() + "/tree.pt"
        let a = try Self.tensor([1, 2, 3, 4], shape: [2, 2]), b = try Self.tensor([5], shape: []), c = try Self.tensor([6, 7], shape: [2])
        let root: Node = .dict([
            (key: .string("model"), value: .dict([(key: .string("w"), value: .tensor(a)), (key: .string("s"), value: .tensor(b))])),
            (key: .string("opt"), value: .dict([
                (key: .string("state"), value: .dict([(key: .int(1), value: .dict([(key: .string("exp_avg"), value: .tensor(c))]))])),
                (key: .string("param_groups"), value: .list([.dict([(key: .string("betas"), value: .tuple([.float(0.9), .float(0.999)])),
                                                                      (key: .string("foreach"), value: .none)])])),
            ])),
            (key: .string("args"), value: .dict([(key: .string("steps"), value: .int(3))])),
        ])
        try TorchObjectWriter.write(root, to: path)
        let file = try Checkpoint(path: path)
        guard case .dict(let top) = file.root else { return XCTFail("root is not a dict") }
        XCTAssertEqual(top.map(\.key.keyText), ["model", "opt", "args"])
        XCTAssertEqual(try file.tensors(select: "model").map(\.name), ["w", "s"])
        XCTAssertEqual(try file.tensors(select: "model")[0].tensor.doubleValues(), [1, 2, 3, 4])
        XCTAssertEqual(try file.tensors(select: "model")[1].tensor.shape, [])
        XCTAssertEqual(try file.tensors(select: "opt").map(\.name), ["state.1.exp_avg"])
        XCTAssertEqual(try file.tensors(select: "opt")[0].tensor.doubleValues(), [6, 7])
        guard case .tuple(let betas)? = file.root.value(atPath: "opt.param_groups.0.betas"), case .float(0.999) = betas[1] else {
            return XCTFail("betas")
        }
        guard case .none? = file.root.value(atPath: "opt.param_groups.0.foreach"), case .int(3)? = file.root.value(atPath: "args.steps") else {
            return XCTFail("foreach / args.steps")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent), ["tree.pt"])
    }
}
