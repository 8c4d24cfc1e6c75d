import XCTest
@testable import Checkpoint

/// Compares the Swift casts with torch's own CPU casts, bit for bit (fixtures/dtype, made by
/// fixtures/generate/gen_dtype_conversion.py).
final class DTypeConversionTests: XCTestCase {
    func testEveryCastMatchesTorchBitForBit() throws {
        let expected = try Fixtures.expected("dtype/casts")
        let byName = Dictionary(uniqueKeysWithValues: expected.tensors.map { ($0.name, $0) })
        var checked = 0
        for entry in expected.tensors where entry.name.contains("_to_") {
            let parts = entry.name.components(separatedBy: "_to_")
            let source = try XCTUnwrap(byName[parts[0]])
            let input = try Tensor(dtype: source.dtype, shape: source.shape, storage: OwnedStorage(source.bytes))
            let output = try input.converted(to: entry.dtype)
            XCTAssertEqual(output.dtype, entry.dtype)
            XCTAssertEqual(output.shape, entry.shape)
            let bytes = try output.contiguousBytes()
            let size = entry.dtype.byteSize
            var mismatches: [String] = []
            for i in 0..<(bytes.count / size) where bytes[(i * size)..<((i + 1) * size)] != entry.bytes[(i * size)..<((i + 1) * size)] {
                let inBits = source.bytes[(i * source.dtype.byteSize)..<((i + 1) * source.dtype.byteSize)].reversed().map { String(format: "%02x", $0) }.joined()
                let got = bytes[(i * size)..<((i + 1) * size)].reversed().map { String(format: "%02x", $0) }.joined()
                let want = entry.bytes[(i * size)..<((i + 1) * size)].reversed().map { String(format: "%02x", $0) }.joined()
                mismatches.append("\(inBits)→\(got) want \(want)")
            }
            XCTAssertEqual(bytes.count, entry.bytes.count, entry.name)
            XCTAssertTrue(mismatches.isEmpty, "\(entry.name): \(mismatches.count) mismatches, e.g. \(mismatches.prefix(5))")
            checked += 1
        }
        XCTAssertEqual(checked, 12)
    }

    func testSameDTypeIsIdentity() throws {
        let t = try Tensor(dtype: .f32, shape: [2], storage: OwnedStorage([0, 0, 128, 63, 0, 0, 0, 64]))
        XCTAssertEqual(try t.converted(to: .f32).contiguousBytes(), [0, 0, 128, 63, 0, 0, 0, 64])
    }
}
