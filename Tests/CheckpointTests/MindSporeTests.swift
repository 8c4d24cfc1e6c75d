import Foundation
import XCTest
@testable import Checkpoint

/// MindSpore `.ckpt` reader and writer against files written by mindspore 2.10 `save_checkpoint`.
final class MindSporeTests: XCTestCase {
    let folder = "mindspore"

    func testEveryFixtureMatchesLibraryValues() throws {
        let fixtures = Fixtures.withExpected(in: folder)
        XCTAssertGreaterThanOrEqual(fixtures.count, 6)
        for relative in fixtures {
            try Fixtures.assertMatchesExpected(relative)
        }
    }

    func testAppendDictValues() throws {
        let checkpoint = try Checkpoint(path: Fixtures.path("mindspore/append_dict.ckpt"))
        guard case .dict(let entries) = checkpoint.root else { return XCTFail("root is not a dict") }
        XCTAssertEqual(entries.map(\.key.keyText), ["w", "epoch", "lr", "flag", "note", "empty", "step_num"])
        guard case .string(let note)? = checkpoint.root["note"], case .string(let empty)? = checkpoint.root["empty"] else {
            return XCTFail("str records must become strings")
        }
        XCTAssertEqual(note, "héllo 😀 \u{1}")
        XCTAssertEqual(empty, "")  // numpy writes "" as one NUL code unit, which it strips on load
        guard case .tensor(let epoch)? = checkpoint.root["epoch"] else { return XCTFail("epoch") }
        XCTAssertEqual(epoch.dtype, .i64)
        XCTAssertEqual(epoch.shape, [])
        XCTAssertEqual(try epoch.contiguousBytes(), [7, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(checkpoint.metadata, [:])
    }

    func testSplitRecordsJoinIntoOneTensor() throws {
        for name in ["split.ckpt", "split_crc.ckpt", "split_rows.ckpt"] {
            let checkpoint = try Checkpoint(path: Fixtures.path("mindspore/" + name))
            guard case .tensor(let big)? = checkpoint.root["big"] else { return XCTFail("\(name): big") }
            let storage = try XCTUnwrap(big.storage as? SegmentedStorage, name)
            // bytes path: 1024 + 1024 + 752; numpy array_split path: rows 3 + 2 + 2 of 400 bytes.
            XCTAssertEqual(storage.segments.map(\.count), name == "split_rows.ckpt" ? [1200, 800, 800] : [1024, 1024, 752], name)
            XCTAssertEqual(big.shape, [7, 100])
        }
        let checkpoint = try Checkpoint(path: Fixtures.path("mindspore/split.ckpt"))
        guard case .tensor(let small)? = checkpoint.root["small"], case .tensor(let exact)? = checkpoint.root["exact"] else { return XCTFail() }
        XCTAssertTrue(small.storage is MappedStorage)
        XCTAssertTrue(exact.storage is MappedStorage, "exactly 1024 bytes is one record")
    }

    func testWriterIsByteIdenticalToSaveCheckpoint() throws {
        let directory = try STMS.temporaryDirectory(for: self)
        let cases: [(String, Bool, Int?)] = [("dtypes", false, nil), ("crc", true, nil), ("split", false, 1024), ("split_crc", true, 1024)]
        for (name, crc, slice) in cases {
            let relative = "mindspore/\(name).ckpt"
            var options = WriterOptions()
            options.mindsporeCRC = crc
            if let slice { options.mindsporeSliceBytes = slice }
            let output = directory + "/\(name).ckpt"
            try writeCheckpoint(try Fixtures.expectedTensors(relative), to: output, format: .mindspore, options: options)
            let written = try STMS.bytes(output), reference = try STMS.bytes(Fixtures.path(relative))
            XCTAssertEqual(written.count, reference.count, "\(name): size")
            XCTAssertTrue(written == reference, "\(name): bytes differ from mindspore.save_checkpoint output")
        }
    }

    func testRoundTripSafetensorsToCkptToSafetensorsIsBitIdentical() throws {
        let directory = try STMS.temporaryDirectory(for: self)
        let source = Fixtures.path("safetensors/roundtrip.safetensors")
        let original = try Checkpoint(path: source)
        try writeCheckpoint(try original.tensors(), to: directory + "/model.ckpt", format: .mindspore)
        let ckpt = try Checkpoint(path: directory + "/model.ckpt")
        XCTAssertEqual(ckpt.format, .mindspore)
        let before = try STMS.dump(original), after = try STMS.dump(ckpt)
        XCTAssertEqual(after.map(\.0), before.map(\.0))
        for (a, b) in zip(after, before) {
            XCTAssertEqual(a.1, b.1, a.0)
            XCTAssertEqual(a.2, b.2, a.0)
            XCTAssertEqual(a.3, b.3, a.0)
        }
        try writeCheckpoint(try ckpt.tensors(), metadata: original.metadata, to: directory + "/back.safetensors", format: .safetensors)
        XCTAssertTrue(try STMS.bytes(directory + "/back.safetensors") == STMS.bytes(source), "round trip changed the file")
    }

    func testWriterRefusesWhatMindSporeCannotLoad() throws {
        let directory = try STMS.temporaryDirectory(for: self)
        func refusal(_ dtype: DType, _ shape: [Int], options: WriterOptions = WriterOptions()) throws -> String {
            let count = shape.reduce(1, *) * dtype.byteSize
            let tensor = try Tensor(dtype: dtype, shape: shape, storage: OwnedStorage([UInt8](repeating: 0, count: count)))
            do {
                try writeCheckpoint([NamedTensor(name: "t", tensor: tensor)], to: directory + "/x.ckpt", format: .mindspore, options: options)
            } catch let error as CheckpointError {
                XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/x.ckpt"))
                return error.description
            }
            XCTFail("\(dtype) \(shape) was written")
            return ""
        }
        XCTAssertTrue(try refusal(.c64, [2]).contains("MindSpore cannot load complex64"))
        XCTAssertTrue(try refusal(.c128, [2]).contains("complex128"))
        XCTAssertTrue(try refusal(.f8e4m3, [2]).contains("float8_e4m3fn"))
        XCTAssertTrue(try refusal(.f8e5m2, [2]).contains("float8_e5m2"))
        XCTAssertTrue(try refusal(.f32, [0]).contains("dims [0] as a scalar"))
        var zeroSlice = WriterOptions()
        zeroSlice.mindsporeSliceBytes = 0
        XCTAssertTrue(try refusal(.f32, [2], options: zeroSlice).contains("mindsporeSliceBytes must be positive"))
    }

    /// save_checkpoint drops empty tensors; the writer keeps them as the record MindSpore's own protobuf
    /// class produces (fixture written with `checkpoint_pb2`, loaded back by load_checkpoint as (2, 0)).
    func testEmptyTensorIsWrittenAsOneEmptyRecord() throws {
        let relative = "mindspore/empty_record.ckpt"
        let output = try STMS.temporaryDirectory(for: self) + "/empty.ckpt"
        try writeCheckpoint(try Fixtures.expectedTensors(relative), to: output, format: .mindspore)
        XCTAssertEqual(try STMS.bytes(output), try STMS.bytes(Fixtures.path(relative)))
        XCTAssertEqual(try Checkpoint(path: output).tensors().first?.tensor.shape, [2, 0])
    }

    /// Protobuf forms MindSpore's parser accepts but its writer never produces, built as raw bytes.
    func testGeneralProtobufForms() throws {
        let directory = try STMS.temporaryDirectory(for: self)
        func varint(_ value: UInt64) -> [UInt8] { var out: [UInt8] = []; ProtobufWireWriter.appendVarint(value, to: &out); return out }
        func field(_ number: UInt8, _ payload: [UInt8]) -> [UInt8] { [number << 3 | 2] + varint(UInt64(payload.count)) + payload }
        func open(_ bytes: [UInt8]) throws -> Checkpoint {
            let path = directory + "/p\(UUID().uuidString).ckpt"
            try STMS.write(bytes, to: path)
            return try Checkpoint(path: path, as: .mindspore)
        }
        let content: [UInt8] = (0..<24).map(UInt8.init)
        // Packed dims, fields reversed, unknown fields (varint, fixed32, fixed64, bytes) everywhere.
        let tensor = field(3, content) + [0x28, 0x05] + field(2, Array("Float32".utf8)) + field(1, varint(2) + varint(3)) + [0x35, 1, 2, 3, 4]
        let value = field(2, tensor) + [0x21] + [UInt8](repeating: 9, count: 8) + field(1, Array("w".utf8)) + field(7, [1, 2])
        let packed = try open([0x10, 0x01] + field(1, value) + field(5, [0xFF]))
        guard case .tensor(let w)? = packed.root["w"] else { return XCTFail("w") }
        XCTAssertEqual(w.shape, [2, 3])
        XCTAssertEqual(try w.contiguousBytes(), content)
        // dims == [0]: one element's bytes → a 0-d scalar (as mindspore.load_checkpoint); none → shape [0].
        let record = { (payload: [UInt8]) in field(1, field(1, Array("s".utf8)) + field(2, [0x08, 0x00] + field(2, Array("Float32".utf8)) + field(3, payload))) }
        guard case .tensor(let scalar)? = try open(record([0, 0, 0x40, 0x40])).root["s"] else { return XCTFail("s") }
        XCTAssertEqual(scalar.shape, [])
        XCTAssertEqual(try scalar.contiguousBytes(), [0, 0, 0x40, 0x40])
        guard case .tensor(let empty)? = try open(record([])).root["s"] else { return XCTFail("s") }
        XCTAssertEqual(empty.shape, [0])
    }

    func testEncryptedFileIsRecognisedByDetection() throws {
        let error = STMS.openError(Fixtures.path("adversarial/mindspore/encrypted_gcm.ckpt"))
        XCTAssertTrue(error?.description.contains("encrypted MindSpore checkpoint (AES-GCM); decrypt it with mindspore.load_checkpoint(dec_key=...) first") ?? false, error?.description ?? "")
    }

    /// Cutting a `.ckpt` exactly between records leaves a valid, shorter file (MindSpore cannot tell
    /// either); every other cut must be refused.
    func testEveryFixtureTruncatedIsRefusedOrAValidPrefix() throws {
        let directory = try STMS.temporaryDirectory(for: self)
        var refused = 0, prefixes = 0
        for relative in Fixtures.withExpected(in: folder) {
            let bytes = try STMS.bytes(Fixtures.path(relative))
            let full = try STMS.dump(try Checkpoint(path: Fixtures.path(relative)))
            for cut in STMS.truncationPoints(bytes.count) {
                let path = directory + "/cut.ckpt"
                try STMS.write(Array(bytes[0..<cut]), to: path)
                do {
                    let partial = try STMS.dump(try Checkpoint(path: path, as: .mindspore))
                    XCTAssertLessThan(partial.count, full.count, "\(relative) cut at \(cut)")
                    for (p, f) in zip(partial, full) {
                        XCTAssertTrue(p.0 == f.0 && p.2 == f.2 && p.3 == f.3, "\(relative) cut at \(cut): \(p.0) differs")
                    }
                    prefixes += 1
                } catch let error as CheckpointError {
                    XCTAssertFalse(error.description.contains("\n"))
                    refused += 1
                }
            }
        }
        XCTAssertGreaterThan(refused, 80)
        XCTAssertLessThan(prefixes, refused / 4)
    }
}
