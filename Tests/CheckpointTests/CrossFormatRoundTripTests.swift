import Foundation
import TestSupport
import XCTest
@testable import Checkpoint

/// Any format → any format → back: every tensor bit-identical, and for the deterministic writers the
/// file written after the round trip is byte-identical to the first one.
final class CrossFormatRoundTripTests: XCTestCase {
    static let formats: [(CheckpointFormat, String)] = [(.torchZip, "pt"), (.mindspore, "ckpt"), (.safetensors, "safetensors"), (.hdf5, "h5")]

    /// A deterministic tensor set covering the dtypes every format stores: 0-d, empty, 1-4-d, NaN
    /// payloads and subnormals included (the bytes are arbitrary; only identity is asserted).
    static func sampleTensors() throws -> [NamedTensor] {
        var generator = SplitMix64(seed: 42)
        func bytes(_ count: Int, bool: Bool = false) -> [UInt8] {
            (0..<count).map { _ in bool ? UInt8(generator.next() & 1) : UInt8(truncatingIfNeeded: generator.next()) }
        }
        let specs: [(String, DType, [Int])] = [
            ("pos_embed", .f32, [1, 4, 8]), ("blocks.0.attn.qkv.weight", .f32, [24, 8]), ("scalar_f64", .f64, []),
            ("half", .f16, [3, 5]), ("brain", .bf16, [2, 2, 3]), ("steps", .i64, [4]), ("i32", .i32, [2, 3]),
            ("i16", .i16, [5]), ("i8", .i8, [7]), ("u8", .u8, [2, 2, 2, 2]), ("mask", .bool, [9]), ("empty", .f32, [0, 3]),
        ]
        return try specs.map { name, dtype, shape in
            let count = shape.reduce(1, *) * dtype.byteSize
            return NamedTensor(name: name, tensor: try Tensor(dtype: dtype, shape: shape, storage: OwnedStorage(bytes(count, bool: dtype == .bool))))
        }
    }


    func assertSameTensors(_ actual: [NamedTensor], _ expected: [NamedTensor], _ context: String) throws {
        let byName = Dictionary(uniqueKeysWithValues: actual.map { ($0.name, $0.tensor) })
        XCTAssertEqual(Set(byName.keys), Set(expected.map(\.name)), context)
        for entry in expected {
            guard let got = byName[entry.name] else { continue }
            XCTAssertEqual(got.dtype, entry.tensor.dtype, "\(context): \(entry.name)")
            XCTAssertEqual(got.shape, entry.tensor.shape, "\(context): \(entry.name)")
            XCTAssertEqual(try got.contiguousBytes(), try entry.tensor.contiguousBytes(), "\(context): \(entry.name)")
        }
    }

    func testEveryPairRoundTripsBitIdentically() throws {
        let dir = try temporaryDirectory()
        let original = try Self.sampleTensors()
        var pairs = 0
        for (first, firstExt) in Self.formats {
            let a1 = "\(dir)/a1-\(firstExt).\(firstExt)"
            try writeCheckpoint(original, to: a1, format: first)
            let fromA1 = try Checkpoint(path: a1).tensors()
            try assertSameTensors(fromA1, original, "\(firstExt) written then read")
            for (second, secondExt) in Self.formats where second != first {
                let b = "\(dir)/b-\(firstExt)-to-\(secondExt).\(secondExt)"
                try writeCheckpoint(fromA1, to: b, format: second)
                let fromB = try Checkpoint(path: b).tensors()
                try assertSameTensors(fromB, original, "\(firstExt)→\(secondExt)")
                // Same file name as a1 (a .pt archive is named after the file's stem), another folder.
                let via = "\(dir)/via-\(secondExt)"
                try FileManager.default.createDirectory(atPath: via, withIntermediateDirectories: true)
                let a2 = "\(via)/a1-\(firstExt).\(firstExt)"
                // Restore the first file's tensor order (safetensors sorts by dtype, then name).
                let order = Dictionary(uniqueKeysWithValues: fromA1.enumerated().map { ($1.name, $0) })
                try writeCheckpoint(fromB.sorted { order[$0.name]! < order[$1.name]! }, to: a2, format: first)
                try assertSameTensors(try Checkpoint(path: a2).tensors(), original, "\(firstExt)→\(secondExt)→\(firstExt)")
                XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: a1)), try Data(contentsOf: URL(fileURLWithPath: a2)),
                               "\(firstExt)→\(secondExt)→\(firstExt) file bytes")
                pairs += 1
            }
        }
        XCTAssertEqual(pairs, 12)
    }
}

