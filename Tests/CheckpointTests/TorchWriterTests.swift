import Foundation
import TestSupport
import XCTest
@testable import Checkpoint

/// The `.pt` writer against files written by real `torch.save` (fixtures/torch-writer, made by
/// fixtures/generate/gen_torch_writer.py), plus zip-structure checks done with this file's own parser.
///
/// Set `TORCH_WRITER_OUTPUT_DIR` to keep the Swift-written files for
/// `fixtures/generate/verify_torch_writer.py` (torch.load(weights_only=True) of each).
final class TorchWriterTests: XCTestCase {
    static let fixtures = ["dtypes", "many", "empty"]

    // MARK: byte identity with torch.save

    func testByteIdenticalToTorchSave() throws {
        for stem in Self.fixtures {
            let reference = try Self.bytes(Fixtures.path("torch-writer/\(stem).pt"))
            let written = try Self.bytes(writeFixtureCopy(stem))
            XCTAssertEqual(written.count, reference.count, "\(stem).pt: file size")
            let firstDifference = zip(written, reference).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            XCTAssertNil(firstDifference, "\(stem).pt: first differing byte")
        }
    }

    func testArchiveNameIsTheFileStem() {
        XCTAssertEqual(TorchZipWriter.archiveName(for: "/tmp/out/model.pt"), "model")
        XCTAssertEqual(TorchZipWriter.archiveName(for: "DiT-XL-2-256x256.pt"), "DiT-XL-2-256x256")
        XCTAssertEqual(TorchZipWriter.archiveName(for: "weights.tar.pth"), "weights.tar")
        XCTAssertEqual(TorchZipWriter.archiveName(for: "/a.dir/checkpoint"), "checkpoint")
        XCTAssertEqual(TorchZipWriter.archiveName(for: "runs\\ema.pt"), "ema")
        XCTAssertEqual(TorchZipWriter.archiveName(for: "/tmp/.pt"), "archive")
        XCTAssertEqual(TorchZipWriter.archiveName(for: "/tmp/größe.pt"), "archive")  // torch writes non-ASCII paths via a file object
    }

    /// The archive prefix comes from the final path, not from the temporary file `writeCheckpoint` uses.
    func testArchivePrefixUsesTargetStem() throws {
        let path = try temporaryDirectory() + "/my_model.v2.pt"
        try writeCheckpoint(try Fixtures.expectedTensors("torch-writer/empty.pt"), to: path, format: .torchZip)
        let archive = try ParsedTorchZip(Self.bytes(path))
        XCTAssertEqual(archive.entries.map(\.name), ["data.pkl", ".format_version", ".storage_alignment", "byteorder", "version", ".data/serialization_id"].map { "my_model.v2/" + $0 })
    }

    // MARK: zip structure, parsed here

    func testRecordsAlignedWithValidCRCsAndDescriptors() throws {
        let tensors = try Fixtures.expectedTensors("torch-writer/dtypes.pt")
        let archive = try ParsedTorchZip(Self.bytes(writeFixtureCopy("dtypes")))
        let expectedNames = ["data.pkl", ".format_version", ".storage_alignment", "byteorder"]
            + tensors.indices.map { "data/\($0)" } + ["version", ".data/serialization_id"]
        XCTAssertEqual(archive.entries.map(\.name), expectedNames.map { "dtypes/" + $0 })
        XCTAssertEqual(archive.zip64EntryCount, UInt64(expectedNames.count))
        XCTAssertEqual(archive.classicEnd.entryCount, UInt16(expectedNames.count))
        XCTAssertEqual(Int(archive.classicEnd.directoryOffset), archive.directoryOffset)
        // Records follow each other with no gaps; the central directory starts right after the last.
        XCTAssertEqual(archive.entries.map(\.headerOffset), [0] + archive.entries.dropLast().map { UInt64($0.endOffset) })
        XCTAssertEqual(archive.entries.last?.endOffset, archive.directoryOffset)
        for entry in archive.entries {
            XCTAssertEqual(entry.dataOffset % 64, 0, "\(entry.name) data offset \(entry.dataOffset)")
            XCTAssertEqual(entry.crc, ParsedTorchZip.crc32(entry.data), "\(entry.name) CRC")
            XCTAssertEqual(entry.flags, entry.size > 0 ? 0x0808 : 0x0800, entry.name)
            XCTAssertEqual(entry.alignmentPadding.allSatisfy { $0 == 0x5A }, true, "\(entry.name) padding is 'Z'")
            if entry.size > 0 {
                XCTAssertEqual(entry.descriptor, ParsedTorchZip.Descriptor(crc: entry.crc, compressed: UInt64(entry.size), uncompressed: UInt64(entry.size)), entry.name)
            } else {
                XCTAssertNil(entry.descriptor, "\(entry.name): empty records have no descriptor")
            }
        }
        XCTAssertEqual(archive.data("dtypes/.format_version"), Array("1".utf8))
        XCTAssertEqual(archive.data("dtypes/.storage_alignment"), Array("64".utf8))
        XCTAssertEqual(archive.data("dtypes/byteorder"), Array("little".utf8))
        XCTAssertEqual(archive.data("dtypes/version"), Array("3\n".utf8))
        XCTAssertEqual(archive.data("dtypes/.data/serialization_id")?.count, 40)
        for (index, named) in tensors.enumerated() {
            XCTAssertEqual(archive.data("dtypes/data/\(index)"), try named.tensor.contiguousBytes(), named.name)
        }
        // The pickle opens as torch's does: PROTO 2, GLOBAL collections OrderedDict, BINPUT 0.
        XCTAssertEqual(archive.data("dtypes/data.pkl")?.prefix(29), ArraySlice([0x80, 0x02, 0x63] + Array("collections\nOrderedDict\n".utf8) + [0x71, 0x00]))
    }

    /// With the zip64 limit lowered to 256 bytes, the pickle (over 2 KiB) takes the size path and every
    /// later record the offset path; the payloads, alignment and serialization id stay as torch's.
    func testZip64PathsWithLoweredLimit() throws {
        let tensors = try Fixtures.expectedTensors("torch-writer/dtypes.pt")
        let path = try outputDirectory() + "/dtypes_zip64.pt"
        try TorchZipWriter.write(tensors, to: path, archiveName: "dtypes", layout: TorchZipLayout(zip64Limit: 256))
        let archive = try ParsedTorchZip(Self.bytes(path))
        let reference = try ParsedTorchZip(Self.bytes(Fixtures.path("torch-writer/dtypes.pt")))
        XCTAssertEqual(archive.entries.map(\.name), reference.entries.map(\.name))
        for (entry, torchEntry) in zip(archive.entries, reference.entries) {
            XCTAssertEqual(entry.data, torchEntry.data, entry.name)
            XCTAssertEqual(entry.crc, torchEntry.crc, entry.name)
            XCTAssertEqual(entry.dataOffset % 64, 0, entry.name)
            XCTAssertEqual(entry.crc, ParsedTorchZip.crc32(entry.data), entry.name)
        }
        let pickle = try XCTUnwrap(archive.entries.first)
        XCTAssertEqual(pickle.localZip64, [UInt64(pickle.size), 0], "size path: uncompressed size, then miniz's not-yet-known compressed size 0")
        XCTAssertEqual(pickle.centralFields, ParsedTorchZip.CentralFields(compressed: 0xFFFF_FFFF, uncompressed: 0xFFFF_FFFF, offset: 0))
        XCTAssertEqual(pickle.centralZip64, [UInt64(pickle.size), UInt64(pickle.size)])
        XCTAssertEqual(pickle.descriptor?.isZip64, true)
        for entry in archive.entries {
            let size = UInt64(entry.size), offset = entry.headerOffset
            let sizePath = size >= 256, offsetPath = offset >= 256
            XCTAssertEqual(entry.localZip64, (sizePath ? [size, 0] : []) + (offsetPath ? [offset] : []), entry.name)
            XCTAssertEqual(entry.centralZip64, (sizePath ? [size, size] : []) + (offsetPath ? [offset] : []), entry.name)
            XCTAssertEqual(entry.centralFields.uncompressed, sizePath ? 0xFFFF_FFFF : UInt32(size), entry.name)
            XCTAssertEqual(entry.centralFields.offset, offsetPath ? 0xFFFF_FFFF : UInt32(offset), entry.name)
            if entry.size > 0 { XCTAssertEqual(entry.descriptor?.isZip64, true, entry.name) }
        }
        XCTAssertTrue(archive.entries.contains { $0.name == "dtypes/data/9" && $0.size == 300 }, "one tensor takes both paths")
        XCTAssertEqual(archive.classicEnd.directoryOffset, 0xFFFF_FFFF)
        XCTAssertEqual(archive.classicEnd.directorySize, 0xFFFF_FFFF)
        XCTAssertEqual(archive.data("dtypes/.data/serialization_id"), reference.data("dtypes/.data/serialization_id"))
    }

    /// Header bytes at the real 4 GiB limit, spelled out from miniz's `mz_zip_writer_add_mem_ex_v2` and
    /// torch's `getPadding`.
    func testZip64HeaderBytesAtFourGiB() {
        let layout = TorchZipLayout()
        let offset: UInt64 = 0x1_0000_0000
        // Offset at 4 GiB: zip64 extra with the offset only; FB pads 30+13+4+4+8 = 59 → 64 (5 bytes).
        XCTAssertEqual(layout.localZip64Extra(size: 5, offset: offset), [0x01, 0x00, 0x08, 0x00, 0, 0, 0, 0, 0x01, 0, 0, 0])
        XCTAssertEqual(layout.alignmentExtra(offset: offset + 16, nameLength: 13, size: 5).count, 4 + 53)
        XCTAssertEqual(layout.alignmentExtra(offset: offset, nameLength: 13, size: 5), [0x46, 0x42, 0x05, 0x00] + [UInt8](repeating: 0x5A, count: 5))
        // Size of 4 GiB at offset 64: sizes (compressed still 0) only; start 64+30+13+4+4+16 = 131 → pad 61.
        let size: UInt64 = 0xFFFF_FFFF
        XCTAssertEqual(layout.localZip64Extra(size: size, offset: 64), [0x01, 0x00, 0x10, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 8))
        XCTAssertEqual(layout.alignmentExtra(offset: 64, nameLength: 13, size: size).count, 4 + 61)
        XCTAssertEqual(layout.dataDescriptor(crc: 0x1234_5678, size: size, zip64: true),
                       [0x50, 0x4B, 0x07, 0x08, 0x78, 0x56, 0x34, 0x12] + [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0] + [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0])
        let central = layout.centralEntry(name: Array("a/data/0".utf8), crc: 7, size: size, offset: offset)
        XCTAssertEqual(Array(central[20..<28]), [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], "32-bit sizes saturate")
        XCTAssertEqual(Array(central[30..<32]), [28, 0], "extra length: 4 + 3 × 8")
        XCTAssertEqual(Array(central[42..<46]), [0xFF, 0xFF, 0xFF, 0xFF], "32-bit offset saturates")
        XCTAssertEqual(Array(central[54...]), [0x01, 0x00, 0x18, 0x00] + [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0] + [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0] + [0, 0, 0, 0, 0x01, 0, 0, 0])
        // Below the limit nothing changes: no zip64 extra, 16-byte descriptor.
        XCTAssertEqual(layout.localZip64Extra(size: 5, offset: 0xFFFF_FFFE), [])
        XCTAssertEqual(layout.dataDescriptor(crc: 1, size: 5, zip64: false).count, 16)
    }

    // MARK: serialization id pieces against real libstdc++ (values printed by a g++ program)

    func testLibstdcxxStringHash() {
        let expected: [(String, UInt64)] = [
            ("data.pkl", 0x4494_3D56_5847_B09E), ("", 0x553E_9390_1E46_2A6E), ("a", 0x454D_DEE4_88C1_ED6B),
            (".storage_alignment", 0x5ABE_78BE_0187_373D), ("blocks.27.attn.qkv.weight", 0xED75_FA43_8947_D06B),
        ]
        for (text, hash) in expected { XCTAssertEqual(TorchSerializationID.stringHash(Array(text.utf8)), hash, text) }
    }

    func testUnorderedSetIterationOrderMatchesLibstdcxx() {
        let names = (0..<30).map { "data/\($0)" }
        var set = LibstdcxxStringSetOrder()
        var byHash: [UInt64: String] = [:]
        for name in names {
            let hash = TorchSerializationID.stringHash(Array(name.utf8))
            byHash[hash] = name
            set.insert(hash)
        }
        let order = set.iterationOrder().map { byHash[$0] ?? "?" }
        let libstdcxx = "data/12 data/14 data/15 data/8 data/9 data/11 data/3 data/6 data/10 data/5 data/4 data/16 data/13 data/1 data/27 data/7 data/0 data/21 data/17 data/18 data/22 data/19 data/2 data/25 data/23 data/24 data/29 data/26 data/20 data/28"
        XCTAssertEqual(order.joined(separator: " "), libstdcxx)
    }

    // MARK: streaming, views, errors

    /// Each tensor's bytes are requested once, written, and released before the next tensor is touched.
    func testStreamsOneTensorAtATime() throws {
        var events: [String] = []
        let tensors = try (0..<3).map { index -> NamedTensor in
            let storage = EventStorage(bytes: [UInt8](repeating: UInt8(index), count: 8)) { events.append("\($0)\(index)") }
            return NamedTensor(name: "t\(index)", tensor: try Tensor(dtype: .f32, shape: [2], storage: storage))
        }
        try writeCheckpoint(tensors, to: try temporaryDirectory() + "/stream.pt", format: .torchZip)
        XCTAssertEqual(events, ["open0", "close0", "release0", "open1", "close1", "release1", "open2", "close2", "release2"])
    }

    /// A non-contiguous view is written as its dense row-major copy with row-major strides.
    func testTransposedViewIsWrittenDense() throws {
        let base: [Float] = [0, 1, 2, 3, 4, 5]  // [2, 3] f32
        let storage = OwnedStorage(base.withUnsafeBytes { Array($0) })
        let transposed = try Tensor(dtype: .f32, shape: [3, 2], strides: [1, 3], storageOffset: 0, storage: storage)
        let path = try temporaryDirectory() + "/view.pt"
        try writeCheckpoint([NamedTensor(name: "t", tensor: transposed)], to: path, format: .torchZip)
        let archive = try ParsedTorchZip(Self.bytes(path))
        let dense: [Float] = [0, 3, 1, 4, 2, 5]  // [3, 2] f32
        XCTAssertEqual(archive.data("view/data/0"), dense.withUnsafeBytes { Array($0) })
        // size (3, 2) then stride (2, 1): K 3 K 2 TUPLE2 BINPUT 9, K 2 K 1 TUPLE2 BINPUT 10.
        let pickle = try XCTUnwrap(archive.data("view/data.pkl"))
        XCTAssertNotNil(Self.find([0x4B, 3, 0x4B, 2, 0x86, 0x71, 9, 0x4B, 2, 0x4B, 1, 0x86, 0x71, 10], in: pickle))
    }

    func testStorageFailureNamesTheTensorAndLeavesNoFile() throws {
        let failing = ComputedStorage(byteCount: 8) { _ in throw CheckpointError("disk vanished", offset: 4096) }
        let good = try Tensor(dtype: .u8, shape: [1], storage: OwnedStorage([1]))
        let tensors = [NamedTensor(name: "ok", tensor: good), NamedTensor(name: "broken.weight", tensor: try Tensor(dtype: .f32, shape: [2], storage: failing))]
        let path = try temporaryDirectory() + "/fail.pt"
        XCTAssertThrowsError(try writeCheckpoint(tensors, to: path, format: .torchZip)) { error in
            let error = error as? CheckpointError
            XCTAssertEqual(error?.tensor, "broken.weight")
            XCTAssertEqual(error?.offset, 4096)
            XCTAssertEqual(error?.file, path)
            XCTAssertEqual(error?.message, "disk vanished")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    func testRejectsDuplicateNamesAndOverflowingStrides() throws {
        let path = try temporaryDirectory() + "/bad.pt"
        let one = try Tensor(dtype: .u8, shape: [1], storage: OwnedStorage([7]))
        XCTAssertThrowsError(try TorchZipWriter.write([NamedTensor(name: "w", tensor: one), NamedTensor(name: "w", tensor: one)], to: path, archiveName: "bad", layout: TorchZipLayout())) { error in
            XCTAssertEqual((error as? CheckpointError)?.tensor, "w")
            XCTAssertEqual((error as? CheckpointError)?.message, "duplicate tensor name")
        }
        // An empty tensor may declare dimensions whose row-major strides overflow Int64.
        let empty = try Tensor(dtype: .f32, shape: [0, 1 << 40, 1 << 40], strides: [0, 0, 0], storageOffset: 0, storage: OwnedStorage([]))
        XCTAssertThrowsError(try TorchZipWriter.write([NamedTensor(name: "e", tensor: empty)], to: path, archiveName: "bad", layout: TorchZipLayout())) { error in
            XCTAssertEqual((error as? CheckpointError)?.message, "row-major strides of shape [0, 1099511627776, 1099511627776] overflow")
        }
        XCTAssertEqual(try TorchStatePickle.rowMajorStrides([0, 4, 1, 3]), [12, 3, 3, 1])
    }

    func testRejectsArchiveNameWithSlash() throws {
        let path = try temporaryDirectory() + "/x.pt"
        XCTAssertThrowsError(try TorchZipWriter.write([], to: path, archiveName: "a/b", layout: TorchZipLayout())) { error in
            XCTAssertEqual((error as? CheckpointError)?.message, "invalid archive name 'a/b' (must be non-empty, without '/')")
        }
    }

    // MARK: read back through the package's own reader

    func testReadBackThroughReader() throws {
        for stem in Self.fixtures {
            let expected = try Fixtures.expected("torch-writer/\(stem).pt")
            let checkpoint = try Checkpoint(path: writeFixtureCopy(stem))
            XCTAssertEqual(checkpoint.format, .torchZip)
            let tensors = try checkpoint.tensors()
            XCTAssertEqual(tensors.map(\.name), expected.tensors.map(\.name), stem)
            for (actual, wanted) in zip(tensors, expected.tensors) {
                XCTAssertEqual(actual.tensor.dtype, wanted.dtype, wanted.name)
                XCTAssertEqual(actual.tensor.shape, wanted.shape, wanted.name)
                XCTAssertEqual(try actual.tensor.contiguousBytes(), wanted.bytes, wanted.name)
            }
        }
    }

    // MARK: helpers

    /// Writes the fixture's expected tensors under the same file stem; returns the path.
    private func writeFixtureCopy(_ stem: String) throws -> String {
        let path = try outputDirectory() + "/\(stem).pt"
        try writeCheckpoint(try Fixtures.expectedTensors("torch-writer/\(stem).pt"), to: path, format: .torchZip)
        return path
    }

    private func outputDirectory() throws -> String {
        if let kept = ProcessInfo.processInfo.environment["TORCH_WRITER_OUTPUT_DIR"] {
            try FileManager.default.createDirectory(atPath: kept, withIntermediateDirectories: true)
            return kept
        }
        return try temporaryDirectory()
    }


    static func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        return (0...(haystack.count - needle.count)).first { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }
}

/// A storage that logs when its bytes are opened/closed and when it is released.
private final class EventStorage: TensorStorage {
    let bytes: [UInt8]
    let log: (String) -> Void
    init(bytes: [UInt8], log: @escaping (String) -> Void) {
        self.bytes = bytes
        self.log = log
    }
    var byteCount: Int { bytes.count }
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        log("open")
        defer { log("close") }
        return try bytes.withUnsafeBytes(body)
    }
    func releaseCache() { log("release") }
}
