import Foundation
import TestSupport
import XCTest
@testable import Checkpoint

/// HDF5 reader and writer against files written by real h5py (fixtures/generate/gen_hdf5.py,
/// gen_adversarial_hdf5.py).
///
/// Opt-in: with `HDF5_WRITER_OUT=DIR`, `testSwiftWrittenFixturesReadBackIdentically` also leaves the
/// Swift-written copies in DIR for `fixtures/generate/verify_hdf5_writer.py DIR/*.h5` (h5py check).
final class HDF5Tests: XCTestCase {
    static let fixtureFolder = "hdf5"

    /// Root string attributes as h5py decoded them (FILE.metadata.json), or nil when not dumped.
    func expectedMetadata(_ relative: String) throws -> [String: String]? {
        let url = URL(fileURLWithPath: Fixtures.path(relative) + ".metadata.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: String]
    }

    // MARK: reading h5py files

    func testEveryFixtureMatchesH5pyValues() throws {
        let fixtures = Fixtures.withExpected(in: Self.fixtureFolder)
        XCTAssertEqual(fixtures.count, 7, "fixtures: \(fixtures)")
        for fixture in fixtures {
            try Fixtures.assertMatchesExpected(fixture)
            if let metadata = try expectedMetadata(fixture) {
                XCTAssertEqual(try Checkpoint(path: Fixtures.path(fixture)).metadata, metadata, "\(fixture) metadata")
            }
        }
    }

    func testFlatFileNamesDtypesAndOrder() throws {
        let checkpoint = try Checkpoint(path: Fixtures.path("hdf5/flat.h5"))
        XCTAssertEqual(checkpoint.format, .hdf5)
        let tensors = try checkpoint.tensors()
        let byName = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0.tensor) })
        // Name order (no track_order), depth first; nested groups give slash paths; a dotted key is one dataset.
        XCTAssertEqual(Array(tensors.map(\.name).prefix(3)), ["alias_of_bias", "bf16_weight", "big_endian/f2"])
        XCTAssertEqual(byName["encoder/layer0/weight"]?.shape, [4, 3])
        XCTAssertEqual(byName["blocks.0.attn.qkv.weight"]?.shape, [6, 2])
        XCTAssertEqual(byName["scalar"]?.shape, [])
        XCTAssertEqual(try byName["scalar"].map { try $0.contiguousBytes() }, [0x00, 0x00, 0x50, 0x40])  // 3.25f
        XCTAssertEqual(byName["empty"]?.shape, [0, 3])
        let expectedDTypes: [String: DType] = [
            "dtypes/f2": .f16, "dtypes/f4": .f32, "dtypes/f8": .f64, "dtypes/i1": .i8, "dtypes/i2": .i16, "dtypes/i4": .i32,
            "dtypes/i8": .i64, "dtypes/u1": .u8, "dtypes/u2": .u16, "dtypes/u4": .u32, "dtypes/u8": .u64, "dtypes/bool": .bool,
            "big_endian/f2": .f16, "big_endian/f8": .f64, "big_endian/u8": .u64, "bf16_weight": .bf16,
        ]
        for (name, dtype) in expectedDTypes { XCTAssertEqual(byName[name]?.dtype, dtype, name) }
        // The soft link resolves to the same values as its target.
        XCTAssertEqual(try byName["alias_of_bias"]?.contiguousBytes(), try byName["encoder/layer0/bias"]?.contiguousBytes())
        XCTAssertEqual(try byName["dtypes/bool"]?.contiguousBytes(), [1, 0, 1, 0, 0, 1])
    }

    func testContiguousLittleEndianDataIsMappedInPlaceAndTheRestIsReadOnAccess() throws {
        let flat = try Checkpoint(path: Fixtures.path("hdf5/flat.h5"))
        let tensors = Dictionary(uniqueKeysWithValues: try flat.tensors().map { ($0.name, $0.tensor) })
        let mapped = try XCTUnwrap(tensors["dtypes/f4"]?.storage as? MappedStorage)
        XCTAssertEqual(mapped.range.count, 24)
        XCTAssertTrue(tensors["big_endian/f4"]?.storage is ComputedStorage)
        let chunked = Dictionary(uniqueKeysWithValues: try Checkpoint(path: Fixtures.path("hdf5/chunked.h5")).tensors().map { ($0.name, $0.tensor) })
        XCTAssertTrue(chunked["gzip"]?.storage is ComputedStorage)
        XCTAssertTrue(chunked["compact"]?.storage is ComputedStorage)
        // With a 512-byte user block, H5Dget_offset is absolute: the mapped bytes are the data.
        let userblock = try Checkpoint(path: Fixtures.path("hdf5/userblock.h5"))
        let ids = try XCTUnwrap(try userblock.tensors().first { $0.name == "ids" }?.tensor)
        let idsStorage = try XCTUnwrap(ids.storage as? MappedStorage)
        XCTAssertGreaterThan(idsStorage.range.lowerBound, 512)
        XCTAssertEqual(try ids.contiguousBytes(), (0..<5).flatMap { [UInt8($0), 0, 0, 0, 0, 0, 0, 0] })
    }

    func testChunkedFixtureValues() throws {
        let tensors = Dictionary(uniqueKeysWithValues: try Checkpoint(path: Fixtures.path("hdf5/chunked.h5")).tensors().map { ($0.name, $0.tensor) })
        // fill_value: a 4×4 int32 with only the top-left 2×2 chunk written, the rest the fill value -9.
        let fill = try XCTUnwrap(tensors["fill_value"]).contiguousBytes().withUnsafeBytes { Array($0.bindMemory(to: Int32.self)) }
        XCTAssertEqual(fill, [1, 2, -9, -9, 3, 4, -9, -9, -9, -9, -9, -9, -9, -9, -9, -9])
        let bigEndian = try XCTUnwrap(tensors["gzip_big_endian"]).contiguousBytes().withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
        XCTAssertEqual(bigEndian, (0..<12).map(Double.init))
        let compact = try XCTUnwrap(tensors["compact"]).contiguousBytes().withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
        XCTAssertEqual(compact, [1.5, -2.5, 4.0])
    }

    func testKerasLayoutsFollowLayerNamesThenWeightNames() throws {
        let expected = [
            "zeta_dense/zeta_dense/kernel:0", "zeta_dense/zeta_dense/bias:0",
            "alpha_norm/alpha_norm/gamma:0", "alpha_norm/alpha_norm/beta:0", "alpha_norm/alpha_norm/moving_mean:0",
        ]
        for fixture in ["hdf5/keras_model.h5", "hdf5/keras_split_attrs.h5"] {
            let checkpoint = try Checkpoint(path: Fixtures.path(fixture))
            XCTAssertEqual(try checkpoint.tensors().map(\.name), expected, fixture)
        }
        let model = try Checkpoint(path: Fixtures.path("hdf5/keras_model.h5"))
        XCTAssertEqual(model.metadata["keras_version"], "2.15.0")
        XCTAssertNil(model.root["Adam/iter:0"], "optimizer weights are not model tensors")
    }

    // MARK: refusing hostile or unsupported files

    func testAdversarialFilesAreRefusedWithSpecificMessages() throws {
        let folder = Fixtures.path("adversarial/hdf5")
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/manifest.json"))) as! [String: String]
        XCTAssertEqual(manifest.count, 22)
        // global_heap_loop.h5 hangs libhdf5: let the sandboxed pre-pass give up after 3 s, not 30.
        let timeout = HDF5Preflight.timeoutMilliseconds
        HDF5Preflight.timeoutMilliseconds = 3_000
        defer { HDF5Preflight.timeoutMilliseconds = timeout }
        for (name, substring) in manifest.sorted(by: { $0.key < $1.key }) {
            let path = folder + "/" + name
            do {
                let checkpoint = try Checkpoint(path: path)
                for named in try checkpoint.tensors() { _ = try named.tensor.contiguousBytes() }
                XCTFail("\(name): read without error")
            } catch let error as CheckpointError {
                XCTAssertTrue(error.description.contains(substring), "\(name): '\(error.description)' lacks '\(substring)'")
                XCTAssertTrue(error.description.hasPrefix(path), "\(name): error does not name the file: \(error)")
                XCTAssertFalse(error.description.contains("\n"), "\(name): multi-line error")
            }
        }
    }

    func testRefusalsNameTheDataset() throws {
        func error(_ file: String) -> CheckpointError? {
            do { _ = try Checkpoint(path: Fixtures.path("adversarial/hdf5/" + file)); return nil } catch { return error as? CheckpointError }
        }
        XCTAssertEqual(error("lzf.h5")?.tensor, "packed")
        XCTAssertEqual(error("virtual.h5")?.tensor, "view")
        XCTAssertEqual(error("external_storage.h5")?.tensor, "outside")
        XCTAssertEqual(error("external_link.h5")?.tensor, "stolen")
        XCTAssertEqual(error("compound_complex.h5")?.tensor, "z")
        XCTAssertEqual(error("declared_huge.h5")?.message.hasPrefix("declares 8796093022208 bytes"), true)
        XCTAssertEqual(error("soft_link_cycle.h5")?.tensor, "g/loop")
        XCTAssertEqual(error("hard_link_cycle.h5")?.tensor, "g/back")
    }

    /// libhdf5 1.10 segfaults on this fuzz-found file (global_heap_overrun.h5 did too, until the pre-pass
    /// child's own global-heap check refused it first); the forked pre-pass takes the hit.
    func testLibhdf5CrashOnMalformedFileBecomesAnError() throws {
        let path = Fixtures.path("adversarial/hdf5/libhdf5_segfault.h5")
        XCTAssertThrowsError(try Checkpoint(path: path)) { error in
            let text = (error as? CheckpointError)?.description ?? "\(error)"
            if HDF5Library.version.hasPrefix("1.10.") {
                XCTAssertTrue(text.contains("libhdf5 crashed (signal 11)"), text)
            } else {
                XCTAssertTrue(text.contains("libhdf5"), text)
            }
        }
        // The process is intact: a good file still reads.
        XCTAssertEqual(try Checkpoint(path: Fixtures.path("hdf5/userblock.h5")).tensors().count, 2)
    }

    /// The pre-pass child's report of variable-length string attributes is parsed with bounds checks:
    /// a truncated or inconsistent report is an error, and values are found by object and name.
    func testPreflightReportParsing() throws {
        func record(_ tag: UInt32, key: UInt64 = 7, name: String = "note", strings: [String] = []) -> [UInt8] {
            var bytes = withUnsafeBytes(of: tag) { Array($0) } + withUnsafeBytes(of: key) { Array($0) }
            bytes += withUnsafeBytes(of: UInt32(name.utf8.count)) { Array($0) } + Array(name.utf8)
            guard tag == 1 else { return bytes }
            bytes += withUnsafeBytes(of: UInt32(strings.count)) { Array($0) }
            for string in strings { bytes += withUnsafeBytes(of: UInt32(string.utf8.count)) { Array($0) } + Array(string.utf8) }
            return bytes
        }
        let end = withUnsafeBytes(of: UInt32(5)) { Array($0) }
        let good = record(1, strings: ["a", "ünï"]) + record(2, name: "bad") + record(3, key: 8, name: "big") + end
        let parsed = try good.withUnsafeBytes { try HDF5PreflightStrings(parsing: $0) }
        XCTAssertTrue(parsed.complete)
        XCTAssertEqual(parsed.value(object: 7, attribute: "note"), .strings(["a", "ünï"]))
        XCTAssertEqual(parsed.value(object: 7, attribute: "bad"), .unreadable)
        XCTAssertEqual(parsed.value(object: 8, attribute: "big"), .tooLarge)
        XCTAssertNil(parsed.value(object: 8, attribute: "note"))
        let boundaries = [record(1, strings: ["a", "ünï"]).count, record(1, strings: ["a", "ünï"]).count + record(2, name: "bad").count]
        for cut in 1..<good.count - end.count {
            let prefix = Array(good.prefix(cut))
            if boundaries.contains(cut) {  // whole records, no end: parsed, but not complete
                XCTAssertEqual(try prefix.withUnsafeBytes { try HDF5PreflightStrings(parsing: $0) }.complete, false)
            } else {
                XCTAssertThrowsError(try prefix.withUnsafeBytes { try HDF5PreflightStrings(parsing: $0) }, "cut at \(cut)")
            }
        }
        let hugeLength = Array(record(1, strings: ["x"]).dropLast(5)) + withUnsafeBytes(of: UInt32.max) { Array($0) }
        XCTAssertThrowsError(try hugeLength.withUnsafeBytes { try HDF5PreflightStrings(parsing: $0) })
        XCTAssertThrowsError(try (end + end).withUnsafeBytes { try HDF5PreflightStrings(parsing: $0) }, "records after the end")
        XCTAssertThrowsError(try withUnsafeBytes(of: UInt32(99)) { try HDF5PreflightStrings(parsing: $0) }, "unknown tag")
    }

    // MARK: writing

    /// Every dtype the writer stores, with names that need groups, a dotted name, 0-d and empty tensors,
    /// and a transposed (non-contiguous) view.
    static func allDTypeTensors() throws -> [NamedTensor] {
        var tensors: [NamedTensor] = []
        for (index, dtype) in DType.allCases.enumerated() where dtype != .c64 && dtype != .c128 {
            let count = 6 * dtype.byteSize
            let bytes = (0..<count).map { dtype == .bool ? UInt8($0 % 2) : UInt8(truncatingIfNeeded: $0 * 37 + index * 11 + 3) }  // [2, 3] dtype
            tensors.append(NamedTensor(name: "by_dtype/\(dtype.rawValue)", tensor: try Tensor(dtype: dtype, shape: [2, 3], storage: OwnedStorage(bytes))))
        }
        let floats: [Float] = [1, 2, 3, 4, 5, 6]  // [2, 3] f32, read as its transpose [3, 2]
        let transposed = try Tensor(dtype: .f32, shape: [3, 2], strides: [1, 3], storageOffset: 0,
                                    storage: OwnedStorage(floats.withUnsafeBytes { Array($0) }))
        tensors.append(NamedTensor(name: "blocks.0.attn.proj.weight", tensor: transposed))
        tensors.append(NamedTensor(name: "a/b/c/deep", tensor: try Tensor(dtype: .f64, shape: [], storage: OwnedStorage([0, 0, 0, 0, 0, 0, 0xF0, 0x3F]))))
        tensors.append(NamedTensor(name: "empty", tensor: try Tensor(dtype: .i32, shape: [0, 4], storage: OwnedStorage([]))))
        tensors.append(NamedTensor(name: "a/first_after_deep", tensor: try Tensor(dtype: .u8, shape: [1], storage: OwnedStorage([9]))))
        return tensors
    }

    func testSwiftWrittenFileReadsBackBitIdenticalForAllDTypes() throws {
        let path = try temporaryDirectory() + "/all.h5"
        let tensors = try Self.allDTypeTensors()
        try writeCheckpoint(tensors, metadata: ["framework": "DiTPort", "note": "ünïcödé"], to: path, format: .hdf5)
        let checkpoint = try Checkpoint(path: path)
        XCTAssertEqual(checkpoint.metadata, ["framework": "DiTPort", "note": "ünïcödé"])
        let back = try checkpoint.tensors()
        // Creation order survives, except that a group's members are listed together where its group
        // was first created: "a/first_after_deep" follows "a/b/c/deep", before "empty".
        var grouped = tensors.map(\.name)
        grouped.swapAt(grouped.count - 2, grouped.count - 1)
        XCTAssertEqual(Array(grouped.suffix(3)), ["a/b/c/deep", "a/first_after_deep", "empty"])
        XCTAssertEqual(back.map(\.name), grouped)
        let writtenByName = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0) })
        for read in back {
            let written = try XCTUnwrap(writtenByName[read.name])
            XCTAssertEqual(read.tensor.dtype, written.tensor.dtype, written.name)
            XCTAssertEqual(read.tensor.shape, written.tensor.shape, written.name)
            XCTAssertEqual(try read.tensor.contiguousBytes(), try written.tensor.contiguousBytes(), written.name)
            if read.tensor.byteCount > 0 {
                XCTAssertTrue(read.tensor.storage is MappedStorage, "\(written.name): contiguous LE data is mapped")
            }
        }
        let transposed = try XCTUnwrap(back.first { $0.name == "blocks.0.attn.proj.weight" }?.tensor)
        XCTAssertEqual(try transposed.contiguousBytes().withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }, [1, 4, 2, 5, 3, 6])
    }

    /// Keras `model_config` strings can pass HDF5's 64 KiB object-header limit for compact attributes.
    func testLargeMetadataValuesRoundTrip() throws {
        let path = try temporaryDirectory() + "/big-meta.h5"
        let config = String(repeating: "{\"layer\": \"dense\"}, ", count: 20_000)  // 400 KB
        let tensor = try Tensor(dtype: .u8, shape: [2], storage: OwnedStorage([1, 2]))
        try writeCheckpoint([NamedTensor(name: "w", tensor: tensor)], metadata: ["model_config": config, "small": "x"], to: path, format: .hdf5)
        XCTAssertEqual(try Checkpoint(path: path).metadata, ["model_config": config, "small": "x"])
    }

    func testWriterOutputIsDeterministic() throws {
        let dir = try temporaryDirectory()
        let tensors = try Self.allDTypeTensors()
        try writeCheckpoint(tensors, metadata: ["k": "v"], to: dir + "/one.h5", format: .hdf5)
        // Across a second boundary: libhdf5 would otherwise store the root group's creation time.
        Thread.sleep(forTimeInterval: 1.05)
        try writeCheckpoint(tensors, metadata: ["k": "v"], to: dir + "/two.h5", format: .hdf5)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/one.h5")), try Data(contentsOf: URL(fileURLWithPath: dir + "/two.h5")))
    }

    /// Each h5py fixture's tensors (read lazily through libhdf5, so writing re-enters the library) are
    /// written by Swift and read back identical; with HDF5_WRITER_OUT set the copies are kept for h5py.
    func testSwiftWrittenFixturesReadBackIdentically() throws {
        let keep = ProcessInfo.processInfo.environment["HDF5_WRITER_OUT"]
        let dir = try keep ?? temporaryDirectory()
        if let keep { try FileManager.default.createDirectory(atPath: keep, withIntermediateDirectories: true) }
        for fixture in Fixtures.withExpected(in: Self.fixtureFolder) {
            let source = try Checkpoint(path: Fixtures.path(fixture))
            let target = dir + "/" + (fixture as NSString).lastPathComponent
            try writeCheckpoint(try source.tensors(), metadata: source.metadata, to: target, format: .hdf5)
            let expected = try Fixtures.expected(fixture)
            let back = try Checkpoint(path: target)
            XCTAssertEqual(back.metadata, source.metadata, fixture)
            let tensors = try back.tensors()
            XCTAssertEqual(tensors.map(\.name), expected.tensors.map(\.name), fixture)
            for (read, entry) in zip(tensors, expected.tensors) {
                XCTAssertEqual(read.tensor.dtype, entry.dtype, "\(fixture): \(entry.name)")
                XCTAssertEqual(read.tensor.shape, entry.shape, "\(fixture): \(entry.name)")
                XCTAssertEqual(try read.tensor.contiguousBytes(), entry.bytes, "\(fixture): \(entry.name)")
            }
        }
    }

    func testWriterRefusesNameCollisionsAndUnstorableDTypes() throws {
        let dir = try temporaryDirectory()
        let scalar = try Tensor(dtype: .f32, shape: [], storage: OwnedStorage([0, 0, 0x80, 0x3F]))
        let cases: [([String], String, String)] = [
            (["a/b", "a/b/c"], "a/b/c", "'a/b' is already a tensor"),
            (["a/b/c", "a/b"], "a/b", "already a group"),
            (["a//b"], "a//b", "empty or '.' path component"),
            (["./x"], "./x", "empty or '.' path component"),
            (["trailing/"], "trailing/", "empty or '.' path component"),
        ]
        for (names, culprit, message) in cases {
            let path = dir + "/collide.h5"
            XCTAssertThrowsError(try writeCheckpoint(names.map { NamedTensor(name: $0, tensor: scalar) }, to: path, format: .hdf5)) { error in
                let error = error as? CheckpointError
                XCTAssertEqual(error?.tensor, culprit, "\(names)")
                XCTAssertTrue(error?.message.contains(message) == true, "\(names): \(String(describing: error))")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: path), "no partial file for \(names)")
        }
        let complex = try Tensor(dtype: .c64, shape: [1], storage: OwnedStorage([UInt8](repeating: 0, count: 8)))
        XCTAssertThrowsError(try writeCheckpoint([NamedTensor(name: "z", tensor: complex)], to: dir + "/c.h5", format: .hdf5)) { error in
            XCTAssertEqual((error as? CheckpointError)?.tensor, "z")
            XCTAssertTrue((error as? CheckpointError)?.message.contains("c64 cannot be stored") == true, "\(error)")
        }
    }
}
