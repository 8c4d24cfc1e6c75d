import Foundation
import XCTest
@testable import Checkpoint

/// safetensors reader and writer against files written by safetensors 0.8 itself.
final class SafetensorsTests: XCTestCase {
    let folder = "safetensors"

    func testEveryFixtureMatchesLibraryValues() throws {
        let fixtures = Fixtures.withExpected(in: folder)
        XCTAssertGreaterThanOrEqual(fixtures.count, 8)
        for relative in fixtures {
            try Fixtures.assertMatchesExpected(relative)
            let checkpoint = try Checkpoint(path: Fixtures.path(relative))
            XCTAssertEqual(checkpoint.metadata, try STMS.libraryMetadata(relative), "\(relative): metadata")
        }
    }

    func testDtypeSpellingsAndSpecialValues() throws {
        let checkpoint = try Checkpoint(path: Fixtures.path("safetensors/dtypes_torch.safetensors"))
        let byName = Dictionary(uniqueKeysWithValues: try checkpoint.tensors().map { ($0.name, $0.tensor) })
        XCTAssertEqual(byName["f8_e4m3"]?.dtype, .f8e4m3)
        XCTAssertEqual(byName["f8_e5m2"]?.dtype, .f8e5m2)
        XCTAssertEqual(byName["bool"]?.dtype, .bool)
        XCTAssertEqual(try byName["bool"]?.contiguousBytes(), [1, 0, 1, 1, 0])
        // f32 = [0, -0, 1, -2.5, inf, -inf, nan, ...] as torch wrote them.
        let f32 = try XCTUnwrap(byName["f32"]).contiguousBytes()
        let floats = stride(from: 0, to: 28, by: 4).map { i in Float(bitPattern: UInt32(f32[i]) | UInt32(f32[i + 1]) << 8 | UInt32(f32[i + 2]) << 16 | UInt32(f32[i + 3]) << 24) }
        XCTAssertEqual(floats[0].bitPattern, 0)
        XCTAssertEqual(floats[1].bitPattern, 0x8000_0000)
        XCTAssertEqual(Array(floats[2...5]), [1, -2.5, .infinity, -.infinity])
        XCTAssertTrue(floats[6].isNaN)
        XCTAssertEqual(checkpoint.metadata, ["format": "pt"])
    }

    func testTensorsComeBackInHeaderOrderWithMappedStorage() throws {
        let path = Fixtures.path("safetensors/unsorted_offsets.safetensors")
        let checkpoint = try Checkpoint(path: path)
        let tensors = try checkpoint.tensors()
        XCTAssertEqual(tensors.map(\.name), ["c", "a", "b"])
        let raw = try STMS.bytes(path)
        let headerLength = raw[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let dataStart = 8 + headerLength
        // c is [28, 33), a is [16, 28), b is [0, 16) (from the header the generator wrote).
        let ranges = try tensors.map { named -> Range<Int> in
            let storage = try XCTUnwrap(named.tensor.storage as? MappedStorage, "\(named.name) must be zero-copy")
            return storage.range
        }
        XCTAssertEqual(ranges, [(dataStart + 28)..<(dataStart + 33), (dataStart + 16)..<(dataStart + 28), dataStart..<(dataStart + 16)])
    }

    func testWriterIsByteIdenticalToLibrary() throws {
        let directory = try STMS.temporaryDirectory(for: self)
        for name in ["dtypes_torch", "dtypes_numpy", "shapes", "names", "roundtrip"] {
            let relative = "safetensors/\(name).safetensors"
            let tensors = try Fixtures.expectedTensors(relative)
            let output = directory + "/\(name).safetensors"
            try writeCheckpoint(tensors, metadata: try STMS.libraryMetadata(relative), to: output, format: .safetensors)
            let written = try STMS.bytes(output), reference = try STMS.bytes(Fixtures.path(relative))
            XCTAssertEqual(written.count, reference.count, "\(name): size")
            XCTAssertTrue(written == reference, "\(name): bytes differ from safetensors' save_file output")
        }
    }

    /// The reference writes metadata from a HashMap (random order), so only the order may differ.
    func testWriterWithSeveralMetadataKeysMatchesLibraryUpToKeyOrder() throws {
        let relative = "safetensors/metadata.safetensors"
        let output = try STMS.temporaryDirectory(for: self) + "/metadata.safetensors"
        try writeCheckpoint(try Fixtures.expectedTensors(relative), metadata: try STMS.libraryMetadata(relative), to: output, format: .safetensors)
        let written = try STMS.bytes(output), reference = try STMS.bytes(Fixtures.path(relative))
        XCTAssertEqual(written.count, reference.count)
        XCTAssertEqual(written[0..<8], reference[0..<8])
        let n = written[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        func header(_ bytes: [UInt8]) throws -> NSDictionary {
            try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)])) as! NSDictionary
        }
        XCTAssertEqual(try header(written), try header(reference))
        XCTAssertEqual(written[(8 + n)...], reference[(8 + n)...])
        // Sorted metadata keys, compact JSON.
        let text = String(decoding: written[8..<(8 + n)], as: UTF8.self)
        XCTAssertTrue(text.hasPrefix(#"{"__metadata__":{"author":"gen_safetensors","empty":"","format":"np","json":"{\"a\": [1, 2]}"},"w":"#), text)
    }

    func testWriterRefusesComplex128() throws {
        let tensor = try Tensor(dtype: .c128, shape: [1], storage: OwnedStorage([UInt8](repeating: 0, count: 16)))
        let output = try STMS.temporaryDirectory(for: self) + "/c128.safetensors"
        XCTAssertThrowsError(try writeCheckpoint([NamedTensor(name: "z", tensor: tensor)], to: output, format: .safetensors)) { error in
            let message = (error as? CheckpointError)?.description ?? ""
            XCTAssertTrue(message.contains("safetensors has no c128 (complex128) dtype"), message)
            XCTAssertTrue(message.contains("tensor 'z'"), message)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: output))
    }

    func testEmptyTensorListWritesTheMinimalFile() throws {
        let output = try STMS.temporaryDirectory(for: self) + "/empty.safetensors"
        try writeCheckpoint([], to: output, format: .safetensors)
        // safetensors: serialize({}) == 8-byte length 8, then "{}" padded with spaces.
        XCTAssertEqual(try STMS.bytes(output), [8, 0, 0, 0, 0, 0, 0, 0] + Array("{}      ".utf8))
        XCTAssertEqual(try Checkpoint(path: output).tensors().count, 0)
    }

    /// Header forms the reference accepts (README / serde semantics), built as raw bytes.
    func testLenientHeaderFormsTheReferenceAccepts() throws {
        let directory = try STMS.temporaryDirectory(for: self)
        func file(_ header: String, data: [UInt8] = []) throws -> Checkpoint {
            let text = Array(header.utf8)
            let path = directory + "/h\(UUID().uuidString).safetensors"
            try STMS.write((0..<8).map { UInt8(truncatingIfNeeded: text.count >> (8 * $0)) } + text + data, to: path)
            return try Checkpoint(path: path, as: .safetensors)
        }
        // `__metadata__: null` is absent; unknown fields are ignored; escapes decode; numbers are exact.
        let a = try file(#"{"__metadata__":null,"n\u00e9\ud83d\ude00":{"extra":{"x":[1,{"y":null}]},"dtype":"U8","shape":[2],"data_offsets":[0,2]}}"#, data: [7, 9])
        XCTAssertEqual(a.metadata, [:])
        let tensors = try a.tensors()
        XCTAssertEqual(tensors.map(\.name), ["né😀"])
        XCTAssertEqual(try tensors[0].tensor.contiguousBytes(), [7, 9])
        // Fields in any order, whitespace everywhere.
        let b = try file("\t{ \"t\" : { \"data_offsets\" : [ 0 , 4 ] , \"shape\" : [ ] , \"dtype\" : \"I32\" } }\r\n", data: [1, 0, 0, 0])
        XCTAssertEqual(try b.tensors()[0].tensor.shape, [])
        // Empty file: `{}`.
        XCTAssertEqual(try file("{}").tensors().count, 0)
    }

    func testEveryFixtureTruncatedIsRefused() throws {
        let directory = try STMS.temporaryDirectory(for: self)
        for relative in Fixtures.withExpected(in: folder) {
            let bytes = try STMS.bytes(Fixtures.path(relative))
            let points = STMS.truncationPoints(bytes.count)
            XCTAssertGreaterThanOrEqual(points.count, 12, relative)
            for cut in points {
                let path = directory + "/cut.safetensors"
                try STMS.write(Array(bytes[0..<cut]), to: path)
                let error = STMS.openError(path, as: .safetensors)
                XCTAssertNotNil(error, "\(relative) cut at \(cut)")
                XCTAssertFalse(error?.description.contains("\n") ?? true)
            }
        }
    }
}
