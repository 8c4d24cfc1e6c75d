import Foundation
import XCTest
@testable import Checkpoint

/// Protocol 0/1 text opcodes, bare pickles and `.npy` files (fixtures/generate/gen_pickle_protocols.py:
/// written by CPython's pickle, numpy and torch; expected values from pickle.load / np.load / torch.load).
final class PickleProtocolTests: XCTestCase {
    func testBarePicklesOfEveryProtocolMatchPython() throws {
        let fixtures = Fixtures.withExpected(in: "pickle")
        XCTAssertEqual(fixtures.count, 6, "protocol 0, 1, 2, 4, 5 and the Python 2 text pickle")
        for fixture in fixtures {
            try Fixtures.assertMatchesExpected(fixture)
        }
        let text = try Checkpoint(path: Fixtures.path("pickle/python2_text.pkl"))
        guard case .bigInt(let long)? = text.root["long"] else { return XCTFail("LONG text is not a big int") }
        // 123456789012345678901234567890 = 0x18EE90FF6C373E0EE4E3F0AD2, two's complement little-endian.
        XCTAssertEqual(long, [0xD2, 0x0A, 0x3F, 0x4E, 0xEE, 0xE0, 0x73, 0xC3, 0xF6, 0x0F, 0xE9, 0x8E, 0x01])
    }

    func testNpyFilesMatchNumpyAndObjectArraysAreRefused() throws {
        let fixtures = Fixtures.withExpected(in: "numpy")
        XCTAssertEqual(fixtures.count, 6)
        for fixture in fixtures { try Fixtures.assertMatchesExpected(fixture) }
        for (path, expected) in [("numpy/object.npy", "object array (dtype '|O') refused"),
                                 ("pickle/object_array.pkl", "numpy object dtype refused"),
                                 ("pickle/legacy_protocol0.pt", "text persistent id (PERSID) refused (protocol 0)")] {
            XCTAssertThrowsError(try Checkpoint(path: Fixtures.path(path)), path) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(path): \(error)")
            }
        }
    }

    func testNpyWriterIsByteIdenticalToNumpySave() throws {
        let dir = NSTemporaryDirectory() + "npy-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for name in ["c_order", "flags", "zero_d", "u8"] {
            let source = Fixtures.path("numpy/\(name).npy")
            let tensors = try Checkpoint(path: source).tensors()
            let target = dir + "/\(name).npy"
            try writeCheckpoint(tensors, to: target, format: .numpy)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: target)), try Data(contentsOf: URL(fileURLWithPath: source)), name)
        }
    }

    func testLegacyProtocol1IsDetectedByItsTextMagic() throws {
        let checkpoint = try Checkpoint(path: Fixtures.path("torch/legacy_protocol1.pt"))
        XCTAssertEqual(checkpoint.format, .torchLegacy)
        try Fixtures.assertMatchesExpected("torch/legacy_protocol1.pt")
    }

    // MARK: - Text arguments where CPython's unpicklers agree (and only there)

    private func load(_ text: String) throws -> Node { try load(Array(text.utf8)) }

    private func load(_ bytes: [UInt8]) throws -> Node {
        let semantics = TorchPickleSemantics { _, offset in throw CheckpointError("no storages", offset: offset) }
        return try bytes.withUnsafeBytes { raw in
            try Unpickler.load(raw, baseOffset: 0, semantics: semantics) { value, _ in try TorchTreeBuilder.build(value) }
        }
    }

    func testIntTextFollowsBothCPythonUnpicklers() throws {
        // Values checked with CPython 3.11: pickle.loads and pickle._loads agree on these.
        let agreed: [(String, Int64)] = [("I0x1f\n.", 31), ("I-42\n.", -42), ("I1_000\n.", 1000), ("I0o17\n.", 15), ("I 12 \n.", 12)]
        for (text, value) in agreed {
            guard case .int(let got) = try load(text) else { return XCTFail(text) }
            XCTAssertEqual(got, value, text)
        }
        guard case .bool(true) = try load("I01\n.") else { return XCTFail("I01 is True") }
        guard case .bigInt(let big) = try load("I18446744073709551616\n.") else { return XCTFail("2**64") }
        XCTAssertEqual(big, [0, 0, 0, 0, 0, 0, 0, 0, 1])
        // C strtol reads 010 as 8 and +1 / " 1" as True; Python's int() reads 010 as an error, +1 as 1.
        for text in ["I010\n.", "I+1\n.", "I 1\n.", "I-0\n.", "I12\u{0}x\n.", "Iabc\n."] {
            XCTAssertThrowsError(try load(text), text) { XCTAssertTrue("\($0)".contains("INT argument"), "\($0)") }
        }
    }

    func testFloatStringAndUnicodeText() throws {
        guard case .float(let f) = try load("F-2.5e-3\n.") else { return XCTFail("FLOAT") }
        XCTAssertEqual(f, -2.5e-3)
        for text in ["F1e999\n.", "F 1.5\n.", "F1_0.5\n.", "F0x1p3\n."] {
            XCTAssertThrowsError(try load(text), text)  // C refuses what Python's float() accepts, or both refuse
        }
        guard case .string(let s) = try load("S'a\\x41\\101\\q'\n.") else { return XCTFail("STRING") }
        XCTAssertEqual(s, "aAA\\q")  // codecs.escape_decode(b"a\\x41\\101\\q")
        guard case .string(let u) = try load("V\\\\u0041 \\\\\\u0041 \\u00e9\n.") else { return XCTFail("UNICODE") }
        XCTAssertEqual(u, "\\\\u0041 \\\\A é")  // raw-unicode-escape: odd backslash counts escape
        XCTAssertThrowsError(try load("V\\ud800\n."))  // a lone surrogate: no checkpoint holds one
        XCTAssertThrowsError(try load("S'abc\n."))
        XCTAssertThrowsError(try load("S'a\\x4'\n."))
    }

    func testPython2ModuleNamesAreMappedOnlyBelowProtocol3() throws {
        guard case .set = try load("c__builtin__\nset\n)R.") else { return XCTFail("protocol 0 maps __builtin__") }
        XCTAssertThrowsError(try load([0x80, 0x03] + Array("c__builtin__\nset\n)R.".utf8))) { XCTAssertTrue("\($0)".contains("refused global '__builtin__.set'"), "\($0)") }
    }

    func testDifferentialFindingsAreFixed() throws {
        // fixtures/adversarial/pickle-differential/0013.pkl: SETITEMS with no items on a list, which both
        // CPython unpicklers accept (they touch nothing); the VM refused it before.
        guard case .list(let items) = try load([0x80, 0x02, 0x5D, 0x28, 0x75, 0x2E]), items.isEmpty else { return XCTFail("empty SETITEMS") }
        XCTAssertThrowsError(try load([0x80, 0x02, 0x28, 0x75, 0x2E]))  // ... but a value must sit below the MARK
        // FROZENSET cannot be extended by ADDITEMS (CPython: frozenset has no add) and is hashable.
        XCTAssertThrowsError(try load([0x80, 0x04, 0x28, 0x4B, 0x01, 0x91, 0x28, 0x4B, 0x02, 0x90, 0x2E]))
        guard case .dict(let entries) = try load([0x80, 0x04, 0x7D, 0x28, 0x4B, 0x01, 0x91, 0x4E, 0x73, 0x2E]), entries.count == 1 else {
            return XCTFail("frozenset key")
        }
    }
}
