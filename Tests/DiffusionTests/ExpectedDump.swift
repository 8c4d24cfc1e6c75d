import Foundation

/// Reads a `FILE.expected.{json,bin}` dump written by fixtures/generate/common.py (torch/numpy output).
struct ExpectedDump {
    struct Entry { let name: String; let dtype: String; let shape: [Int]; let bytes: [UInt8] }
    let entries: [Entry]

    init(_ relative: String) throws {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let base = root.appendingPathComponent("fixtures/" + relative).path
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: base + ".expected.json"))) as! [String: Any]
        let blob = [UInt8](try Data(contentsOf: URL(fileURLWithPath: base + ".expected.bin")))
        entries = (json["tensors"] as! [[String: Any]]).map { e in
            let offset = e["offset"] as! Int, count = e["nbytes"] as! Int
            return Entry(name: e["name"] as! String, dtype: e["dtype"] as! String, shape: e["shape"] as! [Int], bytes: Array(blob[offset..<(offset + count)]))
        }
    }

    /// Float32 values of an f32 entry.
    static func floats(_ entry: Entry) -> [Float] {
        entry.bytes.withUnsafeBytes { raw in (0..<(entry.bytes.count / 4)).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) } }
    }
}
