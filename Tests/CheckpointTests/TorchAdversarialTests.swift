import Foundation
import XCTest
@testable import Checkpoint

/// Hostile PyTorch files (fixtures/generate/gen_adversarial_torch.py) must be refused with their
/// specific one-line error, never crash, hang or execute anything; plus VM limit and semantics checks
/// on small in-memory pickles.
final class TorchAdversarialTests: XCTestCase {
    static let folder = "adversarial/torch"
    static let marker = "/tmp/ditport_torch_reader_pwned_marker"

    static func manifest() throws -> [String: String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(folder + "/manifest.json")))
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: String])
    }

    func testEveryCorpusFileIsRefusedWithItsMessage() throws {
        let manifest = try Self.manifest()
        XCTAssertGreaterThanOrEqual(manifest.count, 60)
        for (file, expected) in manifest.sorted(by: { $0.key < $1.key }) {
            let path = Fixtures.path(Self.folder + "/" + file)
            XCTAssertTrue(FileManager.default.fileExists(atPath: path), "\(file) missing")
            do {
                _ = try Checkpoint(path: path)
                XCTFail("\(file) was accepted")
            } catch let error as CheckpointError {
                XCTAssertTrue(error.description.contains(expected), "\(file): '\(error.description)' does not contain '\(expected)'")
                XCTAssertFalse(error.description.contains("\n"), "\(file): error is not one line")
                XCTAssertEqual(error.file, path, "\(file): error names the file")
            } catch {
                XCTFail("\(file): not a CheckpointError: \(error)")
            }
        }
    }

    func testEveryCorpusFileIsInTheManifest() throws {
        let manifest = try Self.manifest()
        let files = try FileManager.default.contentsOfDirectory(atPath: Fixtures.path(Self.folder)).filter { $0.hasSuffix(".pt") }
        XCTAssertEqual(Set(files), Set(manifest.keys))
    }

    func testCodeExecutionProbeIsNeverRun() throws {
        try? FileManager.default.removeItem(atPath: Self.marker)
        let path = Fixtures.path(Self.folder + "/reduce_os_system.pt")
        XCTAssertThrowsError(try Checkpoint(path: path)) { error in
            let error = error as? CheckpointError
            XCTAssertNotNil(error?.offset, "the refusal names the byte offset of the GLOBAL")
            XCTAssertTrue(error?.message.contains("refused global 'os.system'") ?? false)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: Self.marker), "os.system was executed")
    }

    func testErrorsCarryAbsoluteOffsets() throws {
        // The CRC error points at the payload of data/0; the pickle errors point inside data.pkl.
        let crc = Fixtures.path(Self.folder + "/crc_mismatch.pt")
        let archive = try ZipArchive(file: try MappedFile(path: crc), verifyCRC: false)
        let record = try XCTUnwrap(archive.entry("data/0"))
        XCTAssertThrowsError(try Checkpoint(path: crc)) { error in
            XCTAssertEqual((error as? CheckpointError)?.offset, record.dataRange.lowerBound)
        }
        let oob = Fixtures.path(Self.folder + "/storage_offset_oob.pt")
        let pickle = try XCTUnwrap(try ZipArchive(file: try MappedFile(path: oob)).entry("data.pkl"))
        XCTAssertThrowsError(try Checkpoint(path: oob)) { error in
            let error = error as? CheckpointError
            XCTAssertEqual(error?.tensor, "w")
            XCTAssertTrue(pickle.dataRange.contains(error?.offset ?? -1), "offset \(String(describing: error?.offset)) inside data.pkl")
        }
    }

    // MARK: - The VM on in-memory pickles

    private func run(_ bytes: [UInt8], limits: UnpicklerLimits = .standard) throws -> Node {
        let semantics = TorchPickleSemantics { _, offset in throw CheckpointError("no storages here", offset: offset) }
        return try bytes.withUnsafeBytes { raw in
            try Unpickler.load(raw, baseOffset: 1000, semantics: semantics, limits: limits) { value, _ in
                try TorchTreeBuilder.build(value, limits: limits)
            }
        }
    }

    private func assertRefused(_ bytes: [UInt8], limits: UnpicklerLimits = .standard, _ expected: String, offset: Int? = nil,
                               line: UInt = #line) {
        XCTAssertThrowsError(try run(bytes, limits: limits), line: line) { error in
            guard let error = error as? CheckpointError else { return XCTFail("not a CheckpointError: \(error)", line: line) }
            XCTAssertTrue(error.message.contains(expected), "'\(error.message)' does not contain '\(expected)'", line: line)
            if let offset { XCTAssertEqual(error.offset, offset, line: line) }
        }
    }

    func testMillionDeepNestingIsRefusedWithoutRecursion() {
        // NONE then a million TUPLE1: built by the VM, refused by the tree builder, torn down iteratively.
        let bytes: [UInt8] = [0x80, 0x02, 0x4E] + [UInt8](repeating: 0x85, count: 1_000_000) + [0x2E]
        assertRefused(bytes, "containers nested deeper than 500 levels")
    }

    func testMillionDeepListChainViaMemo() {
        // ] q0 ; repeat: ] q1 0 h0 h1 a 0 h1 q0 0 ; then the outermost (memo 2).
        var bytes: [UInt8] = [0x80, 0x02, 0x5D, 0x71, 0, 0x71, 2, 0x30]
        let step: [UInt8] = [0x5D, 0x71, 1, 0x30, 0x68, 0, 0x68, 1, 0x61, 0x30, 0x68, 1, 0x71, 0, 0x30]
        for _ in 0..<300_000 { bytes += step }
        bytes += [0x68, 2, 0x2E]
        assertRefused(bytes, "containers nested deeper than 500 levels")
    }

    func testLimitsOnMemoStackAndValues() {
        var limits = UnpicklerLimits.standard
        limits.maxMemoEntries = 100
        assertRefused([0x80, 0x02] + Array(repeating: [0x4E, 0x94, 0x30], count: 101).flatMap { $0 } + [0x4E, 0x2E], limits: limits,
                      "more than 100 memo entries", offset: 1000 + 2 + 100 * 3 + 1)
        limits = .standard
        limits.maxValues = 50
        assertRefused([0x80, 0x02] + Array(repeating: [0x4E, 0x30], count: 60).flatMap { $0 } + [0x4E, 0x2E], limits: limits,
                      "more than 50 values")
        limits = .standard
        limits.maxTreeNodes = 10
        assertRefused([0x80, 0x02, 0x5D, 0x28] + [UInt8](repeating: 0x4E, count: 20) + [0x65, 0x2E], limits: limits, "expands to more than 10 nodes")
    }

    func testMemoHasReferenceSemantics() throws {
        // L = [] ; memo 0 ; (L, L) ; then L.append(7) through the memo: both tuple items see it.
        let node = try run([0x80, 0x02, 0x5D, 0x71, 0, 0x68, 0, 0x86, 0x68, 0, 0x4B, 7, 0x61, 0x30, 0x2E])
        XCTAssertEqual(node.summary, "(list[1], list[1])")
        guard case .tuple(let items) = node, case .list(let first) = items[0], case .int(7) = first[0],
              case .list(let second) = items[1], case .int(7) = second[0] else { return XCTFail(node.summary) }
    }

    func testDictKeysFollowPythonEquality() throws {
        // {1: 2, True: 3, 1.0: 4} is {1: 4} in Python; order of first insertion kept.
        let node = try run([0x80, 0x02, 0x7D, 0x28, 0x4B, 1, 0x4B, 2, 0x88, 0x4B, 3,
                            0x47, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0, 0x4B, 4, 0x75, 0x2E])
        guard case .dict(let entries) = node else { return XCTFail(node.summary) }
        XCTAssertEqual(entries.count, 1)
        XCTAssertEqual(entries.first?.key.summary, "1")
        XCTAssertEqual(entries.first?.value.summary, "4")
        assertRefused([0x80, 0x02, 0x7D, 0x5D, 0x4E, 0x73, 0x2E], "unhashable list")
    }

    func testNumbersDecodeLikePython() throws {
        XCTAssertEqual(try run([0x80, 0x02, 0x8A, 0x01, 0xFF, 0x2E]).summary, "-1")
        XCTAssertEqual(try run([0x80, 0x02, 0x8A, 0x02, 0xFF, 0x00, 0x2E]).summary, "255")
        XCTAssertEqual(try run([0x80, 0x02, 0x8A, 0x00, 0x2E]).summary, "0")
        XCTAssertEqual(try run([0x80, 0x02, 0x4A, 0xFE, 0xFF, 0xFF, 0xFF, 0x2E]).summary, "-2")
        guard case .bigInt(let big) = try run([0x80, 0x02, 0x8A, 0x09, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x00, 0x2E]) else { return XCTFail() }
        XCTAssertEqual(big, [0, 0, 0, 0, 0, 0, 0, 0x80, 0x00], "2^63 does not fit Int64")
        XCTAssertEqual(try run([0x80, 0x02, 0x47, 0x3F, 0xB9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9A, 0x2E]).summary, "0.1", "BINFLOAT is big-endian")
        XCTAssertEqual(try run(Array("I01\n.".utf8)).summary, "True")
        XCTAssertEqual(try run(Array("L-12345678901L\n.".utf8)).summary, "-12345678901")
        XCTAssertEqual(try run(Array("F2.5\n.".utf8)).summary, "2.5")
    }

    func testLessCommonOpcodes() throws {
        func p(_ body: [UInt8]) -> [UInt8] { [0x80, 0x02] + body + [0x2E] }
        XCTAssertEqual(try run(p([0x55, 3] + Array("abc".utf8))).summary, "'abc'")                      // SHORT_BINSTRING
        XCTAssertEqual(try run(p([0x54, 2, 0, 0, 0] + Array("hi".utf8))).summary, "'hi'")                // BINSTRING
        XCTAssertEqual(try run(p([0x8D, 3, 0, 0, 0, 0, 0, 0, 0] + Array("hé".utf8))).summary, "'hé'")     // BINUNICODE8
        guard case .bytes([1, 2]) = try run(p([0x42, 2, 0, 0, 0, 1, 2])) else { return XCTFail("BINBYTES") }
        guard case .bytes([0xFF]) = try run(p([0x43, 1, 0xFF])) else { return XCTFail("SHORT_BINBYTES") }
        guard case .bytes([9]) = try run(p([0x8E, 1, 0, 0, 0, 0, 0, 0, 0, 9])) else { return XCTFail("BINBYTES8") }
        guard case .bytes([7]) = try run(p([0x96, 1, 0, 0, 0, 0, 0, 0, 0, 7])) else { return XCTFail("BYTEARRAY8") }
        XCTAssertEqual(try run(p([0x28, 0x4B, 1, 0x4B, 2, 0x64])).summary, "dict[1]")                  // DICT
        XCTAssertEqual(try run(p([0x28, 0x4B, 1, 0x4B, 2, 0x6C])).summary, "list[2]")                  // LIST
        XCTAssertEqual(try run(p([0x28, 0x4B, 1, 0x74])).summary, "(1,)")                              // TUPLE
        XCTAssertEqual(try run(p([0x8F, 0x28, 0x4B, 1, 0x4B, 1, 0x90])).summary, "set[1]")             // EMPTY_SET + ADDITEMS
        XCTAssertEqual(try run(p([0x28, 0x4B, 1, 0x4B, 2, 0x91])).summary, "set[2]")                   // FROZENSET
        XCTAssertEqual(try run(p(Array("]p0\n0g0\n".utf8))).summary, "list[0]")                        // PUT / GET text
        XCTAssertEqual(try run([0x80, 0x04, 0x95, 2, 0, 0, 0, 0, 0, 0, 0, 0x4E, 0x2E]).summary, "None")   // FRAME
        // Python 2 module names: __builtin__ → builtins (allowed set), copy_reg → copyreg (refused).
        XCTAssertEqual(try run(p(Array("c__builtin__\nset\n]".utf8) + [0x4B, 1, 0x61, 0x85, 0x52])).summary, "set[1]")
        assertRefused(p(Array("ccopy_reg\n_reconstructor\n".utf8)), "refused global 'copyreg._reconstructor'", offset: 1002)
        assertRefused([0x80, 0x06, 0x4E, 0x2E], "unsupported pickle protocol 6")
        assertRefused(p([0x95, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0]), "FRAME length 65535 runs past the end")
    }

    func testPopMarkAndDupRespectFrames() throws {
        XCTAssertEqual(try run([0x80, 0x02, 0x4B, 1, 0x28, 0x4B, 2, 0x4B, 3, 0x31, 0x2E]).summary, "1")   // POP_MARK
        XCTAssertEqual(try run([0x80, 0x02, 0x4B, 1, 0x28, 0x30, 0x2E]).summary, "1")                    // POP of a bare MARK
        XCTAssertEqual(try run([0x80, 0x02, 0x4B, 4, 0x32, 0x86, 0x2E]).summary, "(4, 4)")               // DUP
        assertRefused([0x80, 0x02, 0x4B, 1, 0x28, 0x32, 0x2E], "pickle stack underflow", offset: 1005)  // DUP may not cross the MARK
    }
}
