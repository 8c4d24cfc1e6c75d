import Foundation
import XCTest
@testable import Checkpoint

/// Locates committed fixtures and compares what the Swift readers return with the expected values the
/// generators wrote through torch/numpy (`FILE.expected.json` + `FILE.expected.bin`).
enum Fixtures {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("fixtures").path
    }()

    static func path(_ relative: String) -> String { root + "/" + relative }

    /// Every fixture under `folder` that has an expected-value dump.
    static func withExpected(in folder: String) -> [String] {
        let dir = path(folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasSuffix(".expected.json") }
            .map { folder + "/" + String($0.dropLast(".expected.json".count)) }
            .sorted()
    }

    struct Expected {
        struct Entry { let name: String; let dtype: DType; let shape: [Int]; let bytes: [UInt8] }
        let tensors: [Entry]
        let values: [String: Any]
        let select: String?
        let format: String?
    }

    static func expected(_ relative: String) throws -> Expected {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path(relative) + ".expected.json"))) as! [String: Any]
        let blob = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path(relative) + ".expected.bin")))
        let entries = (json["tensors"] as! [[String: Any]]).map { e -> Expected.Entry in
            let offset = e["offset"] as! Int, count = e["nbytes"] as! Int
            return .init(name: e["name"] as! String, dtype: DType(rawValue: e["dtype"] as! String)!,
                         shape: e["shape"] as! [Int], bytes: Array(blob[offset..<(offset + count)]))
        }
        return Expected(tensors: entries, values: json["values"] as? [String: Any] ?? [:],
                        select: json["select"] as? String, format: json["format"] as? String)
    }

    /// The expected tensors as in-memory `NamedTensor`s (the same ordered list the generator gave the
    /// real library's writer), for byte-identity tests of the Swift writers.
    static func expectedTensors(_ relative: String) throws -> [NamedTensor] {
        try expected(relative).tensors.map {
            NamedTensor(name: $0.name, tensor: try Tensor(dtype: $0.dtype, shape: $0.shape, storage: OwnedStorage($0.bytes)))
        }
    }

    /// Opens `relative` with `Checkpoint` and checks every tensor (order, name, dtype, shape, every
    /// byte) and every listed non-tensor value against the expected dump.
    static func assertMatchesExpected(_ relative: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = try expected(relative)
        let checkpoint = try Checkpoint(path: path(relative))
        if let format = expected.format {
            XCTAssertEqual(checkpoint.format.rawValue, format, "\(relative): format", file: file, line: line)
        }
        let actual = try checkpoint.tensors(select: expected.select)
        XCTAssertEqual(actual.map(\.name), expected.tensors.map(\.name), "\(relative): tensor names/order", file: file, line: line)
        for (a, e) in zip(actual, expected.tensors) {
            XCTAssertEqual(a.tensor.dtype, e.dtype, "\(relative): \(e.name) dtype", file: file, line: line)
            XCTAssertEqual(a.tensor.shape, e.shape, "\(relative): \(e.name) shape", file: file, line: line)
            let bytes = try a.tensor.contiguousBytes()
            if bytes != e.bytes {
                let first = zip(bytes, e.bytes).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset
                XCTFail("\(relative): \(e.name) bytes differ (count \(bytes.count) vs \(e.bytes.count), first at \(first.map(String.init) ?? "-"))", file: file, line: line)
            }
        }
        for (path, value) in expected.values {
            guard let node = checkpoint.root.value(atPath: path) else {
                XCTFail("\(relative): no value at \(path)", file: file, line: line)
                continue
            }
            assertNode(node, equals: value, "\(relative): \(path)", file: file, line: line)
        }
    }

    static func assertNode(_ node: Node, equals value: Any, _ message: String, file: StaticString, line: UInt) {
        switch (node, value) {
        case (.string(let s), let v as String): XCTAssertEqual(s, v, message, file: file, line: line)
        case (.bool(let b), let v as Bool): XCTAssertEqual(b, v, message, file: file, line: line)
        case (.int(let i), let v as NSNumber): XCTAssertEqual(i, v.int64Value, message, file: file, line: line)
        case (.float(let f), let v as NSNumber): XCTAssertEqual(f, v.doubleValue, message, file: file, line: line)
        case (.none, is NSNull): break
        case (.list(let items), let v as [Any]), (.tuple(let items), let v as [Any]):
            XCTAssertEqual(items.count, v.count, message, file: file, line: line)
            for (n, x) in zip(items, v) { assertNode(n, equals: x, message, file: file, line: line) }
        default: XCTFail("\(message): \(node.summary) vs \(value)", file: file, line: line)
        }
    }
}
