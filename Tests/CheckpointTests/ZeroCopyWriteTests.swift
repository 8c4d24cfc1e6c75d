import Foundation
import XCTest
@testable import Checkpoint

/// Payloads copied file to file (copy_file_range) must give the same bytes as payloads written from
/// memory: tensors of 1 MiB and more from a mapped safetensors file, written as .ckpt (with and
/// without slicing) and as safetensors, against the same tensors held in memory.
final class ZeroCopyWriteTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "zero-copy-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func tensor(_ shape: [Int], seed: UInt8) throws -> Tensor {
        let count = shape.reduce(4, *)
        let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
        return try Tensor(dtype: .f32, shape: shape, storage: OwnedStorage(bytes))
    }

    /// In-memory tensors: two over 1 MiB (one with an odd byte count), two small.
    private func inMemory() throws -> [NamedTensor] {
        [NamedTensor(name: "big.weight", tensor: try tensor([640, 1024], seed: 1)),
         NamedTensor(name: "small.bias", tensor: try tensor([7], seed: 2)),
         NamedTensor(name: "odd.weight", tensor: try tensor([3, 100_003], seed: 3)),
         NamedTensor(name: "tiny", tensor: try tensor([], seed: 4))]
    }

    private func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    func testMappedSourceGivesIdenticalOutputs() throws {
        let source = directory + "/source.safetensors"
        try writeCheckpoint(try inMemory(), to: source, format: .safetensors)
        let mapped = try Checkpoint(path: source).tensors()  // safetensors order: by dtype, then name
        let memory = try inMemory().sorted { $0.name < $1.name }
        XCTAssertEqual(mapped.map(\.name), memory.map(\.name))
        XCTAssertNotNil(try mapped[0].tensor.withContiguousFileRange { _, range in range })
        for slice in [512 << 20, 1_500_000] {
            var options = WriterOptions()
            options.mindsporeSliceBytes = slice
            let fromMemory = directory + "/memory-\(slice).ckpt", fromFile = directory + "/file-\(slice).ckpt"
            try writeCheckpoint(memory, to: fromMemory, format: .mindspore, options: options)
            try writeCheckpoint(mapped, to: fromFile, format: .mindspore, options: options)
            XCTAssertEqual(try bytes(fromFile), try bytes(fromMemory), "slice \(slice)")
        }
        let copy = directory + "/copy.safetensors"
        try writeCheckpoint(mapped, to: copy, format: .safetensors)
        XCTAssertEqual(try bytes(copy), try bytes(source))
    }

    func testStridedViewIsNotOneFileRange() throws {
        let source = directory + "/source.safetensors"
        try writeCheckpoint(try inMemory(), to: source, format: .safetensors)
        let big = try XCTUnwrap(try Checkpoint(path: source).tensors().first { $0.name == "big.weight" }).tensor
        let transposed = try Tensor(dtype: big.dtype, shape: [1024, 640], strides: [1, 1024], storageOffset: 0, storage: big.storage)
        XCTAssertNil(try transposed.withContiguousFileRange { _, range in range })
        let path = directory + "/t.ckpt"
        try writeCheckpoint([NamedTensor(name: "t", tensor: transposed)], to: path, format: .mindspore)
        let back = try Checkpoint(path: path).tensors()
        XCTAssertEqual(try back[0].tensor.contiguousBytes(), try transposed.contiguousBytes())
    }

    func testOutputSinkCopyKeepsOffsets() throws {
        let source = directory + "/raw.bin"
        let raw = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try Data(raw).write(to: URL(fileURLWithPath: source))
        let file = try MappedFile(path: source)
        let path = directory + "/out.bin"
        let sink = try OutputSink(path: path)
        try sink.write([1, 2, 3])
        try sink.write(from: file, range: 5..<((2 << 20) + 9))
        try sink.write([4])
        try sink.write(from: file, range: 100..<200)
        try sink.flush()
        let expected = [1, 2, 3] + raw[5..<((2 << 20) + 9)] + [4] + raw[100..<200]
        XCTAssertEqual(sink.offset, expected.count)
        XCTAssertEqual([UInt8](try bytes(path)), Array(expected))
    }
}
