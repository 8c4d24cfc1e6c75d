import Foundation
import XCTest
@testable import Checkpoint

/// NumpyArchiveWriter against archives numpy 2.4.6's np.savez wrote (fixtures/generate/gen_npz.py),
/// byte for byte, including the large-file layout (zipfile's ZIP64_LIMIT lowered to 100 bytes).
final class NumpyArchiveWriterTests: XCTestCase {
    func testArchivesAreByteIdenticalToNumpySavez() throws {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("npz/cases.json")))) as! [String: Any]
        let cases = json["cases"] as! [[String: Any]]
        XCTAssertEqual(cases.count, 6)
        let dir = NSTemporaryDirectory() + "npz-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for entry in cases {
            let name = entry["file"] as! String, shape = entry["shape"] as! [Int]
            let limit = UInt64(entry["zip64_limit"] as! Int)
            let count = shape.reduce(1, *)
            let content = (0..<count).map { UInt8((37 * $0 + 11) % 256) }  // [Π shape] u8, the generator's rule
            let target = dir + "/" + name
            try NumpyArchiveWriter.write(to: target, dtype: .u8, shape: shape, zip64Limit: limit) { stream in
                // Streamed in uneven pieces, as images arrive.
                var start = 0
                while start < content.count {
                    let end = min(content.count, start + 7)
                    try stream.append(Array(content[start..<end]))
                    start = end
                }
            }
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: target)), try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("npz/" + name))), name)
        }
    }

    func testTooFewOrTooManyBytesLeaveNoFile() throws {
        let dir = NSTemporaryDirectory() + "npz-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let target = dir + "/x.npz"
        XCTAssertThrowsError(try NumpyArchiveWriter.write(to: target, dtype: .u8, shape: [2, 3]) { try $0.append([1, 2, 3]) }) { error in
            XCTAssertTrue("\(error)".contains("3 of 6 data bytes"), "\(error)")
        }
        XCTAssertThrowsError(try NumpyArchiveWriter.write(to: target, dtype: .u8, shape: [2]) { try $0.append([1, 2, 3]) })
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
    }
}
