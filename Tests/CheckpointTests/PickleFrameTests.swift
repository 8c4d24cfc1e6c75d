import Foundation
import XCTest
@testable import Checkpoint

/// FRAME-exact unpickling (fixtures/generate/gen_frame_straddle.py): every pickle in which an opcode
/// or argument crosses the end of its frame, a frame is opened inside another, or a frame runs past the
/// end is refused with the byte offset — these are the pickles CPython's own unpicklers read
/// differently (check_frame_straddle.py, docs/security.md). Well-framed pickles still read.
final class PickleFrameTests: XCTestCase {
    static let folder = "adversarial/pickle-frames"

    func testEveryFrameFixtureIsRefusedWithItsMessageAndOffset() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(Self.folder + "/manifest.json")))
        let manifest = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: String])
        XCTAssertEqual(manifest.count, 6)
        for (file, expected) in manifest.sorted(by: { $0.key < $1.key }) {
            let path = Fixtures.path(Self.folder + "/" + file)
            let pickle = try XCTUnwrap(try ZipArchive(file: try MappedFile(path: path)).entry("data.pkl"))
            XCTAssertThrowsError(try Checkpoint(path: path), file) { error in
                guard let error = error as? CheckpointError else { return XCTFail("\(file): \(error)") }
                XCTAssertTrue(error.message.contains(expected), "\(file): '\(error.message)' lacks '\(expected)'")
                XCTAssertTrue(pickle.dataRange.contains(error.offset ?? -1), "\(file): offset \(String(describing: error.offset)) inside data.pkl")
                XCTAssertEqual(error.file, path)
            }
        }
    }

    private func load(_ bytes: [UInt8]) throws -> Node {
        let semantics = TorchPickleSemantics { _, offset in throw CheckpointError("no storages", offset: offset) }
        return try bytes.withUnsafeBytes { raw in
            try Unpickler.load(raw, baseOffset: 0, semantics: semantics) { value, _ in try TorchTreeBuilder.build(value) }
        }
    }

    private func frame(_ body: [UInt8]) -> [UInt8] {
        [0x95] + withUnsafeBytes(of: UInt64(body.count).littleEndian, Array.init) + body
    }

    func testStraddlesAreRefusedAtTheCrossingRead() throws {
        // PROTO 4 | FRAME(3) [ ']'  'J' 01 ] 00 00 00 '.' : BININT's argument starts 2 bytes before the end.
        let bytes: [UInt8] = [0x80, 0x04] + frame([0x5D, 0x4A, 0x01]) + [0x00, 0x00, 0x00, 0x61, 0x2E]
        XCTAssertThrowsError(try load(bytes)) { error in
            let error = error as? CheckpointError
            XCTAssertEqual(error?.offset, 2 + 9 + 2, "offset of BININT's argument")
            XCTAssertTrue(error?.message.contains("crosses the end of the FRAME opened at byte 2, which ends at byte 14") ?? false, "\(String(describing: error))")
        }
    }

    func testReadsThatEndExactlyAtTheFrameEndThenContinueOutside() throws {
        // FRAME [ ']' 'K' 07 ] 'a' '.': the frame ends after BININT1; APPEND and STOP lie outside it, as
        // CPython reads them (a read starting at the frame end leaves the frame). Then a second frame.
        let one: [UInt8] = [0x80, 0x04] + frame([0x5D, 0x4B, 0x07]) + [0x61, 0x2E]
        XCTAssertTrue(isListOfSeven(try load(one)))
        let two: [UInt8] = [0x80, 0x04] + frame([0x5D, 0x4B, 0x07]) + frame([0x61]) + [0x2E]
        XCTAssertTrue(isListOfSeven(try load(two)))
    }

    private func isListOfSeven(_ node: Node) -> Bool {
        guard case .list(let items) = node, items.count == 1, case .int(7) = items[0] else { return false }
        return true
    }

    func testNestedFrameStopInsideFrameAndFramePastEndAreRefused() throws {
        let nested: [UInt8] = [0x80, 0x04] + frame([0x5D] + frame([0x2E]) + [0x4E]) + [0x2E]
        XCTAssertThrowsError(try load(nested)) { XCTAssertTrue("\($0)".contains("a nested frame"), "\($0)") }
        let stopInside: [UInt8] = [0x80, 0x04] + frame([0x4E, 0x2E, 0x4E])
        XCTAssertThrowsError(try load(stopInside)) { XCTAssertTrue("\($0)".contains("STOP inside a FRAME that still has 1 unread bytes"), "\($0)") }
        let pastEnd: [UInt8] = [0x80, 0x04, 0x95, 0x40, 0, 0, 0, 0, 0, 0, 0, 0x4E, 0x2E]
        XCTAssertThrowsError(try load(pastEnd)) { XCTAssertTrue("\($0)".contains("FRAME length 64 runs past the end"), "\($0)") }
        let line: [UInt8] = [0x80, 0x04] + frame([0x63, 0x63, 0x6F]) + Array("llections\nOrderedDict\n)R.".utf8)
        XCTAssertThrowsError(try load(line)) { XCTAssertTrue("\($0)".contains("GLOBAL module crosses the end of the FRAME"), "\($0)") }
    }

    func testFrameHeavyProtocol4And5FixturesStillRead() throws {
        for name in ["torch/protocol4.pt", "torch/protocol5.pt"] {
            try Fixtures.assertMatchesExpected(name)
        }
    }
}
