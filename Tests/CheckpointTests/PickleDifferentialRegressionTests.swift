import Foundation
import XCTest
@testable import Checkpoint

/// The differential-fuzz findings that were resolved (docs/fuzzing.md): the VM's canonical reading of
/// each input must equal CPython's verdict, recorded by the oracle in
/// fixtures/adversarial/pickle-differential/cpython_verdicts.json
/// (`scripts/pickle_differential.py --replay FILES --record ...`: pickle._Unpickler and pickle.Unpickler,
/// agreeing; null = CPython refuses, so the VM must refuse too).
final class PickleDifferentialRegressionTests: XCTestCase {
    static let folder = Fixtures.path("adversarial/pickle-differential")

    func testResolvedFindingsReadAsCPythonReadsThem() throws {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.folder + "/cpython_verdicts.json")))
        let verdicts = try XCTUnwrap(json as? [String: Any])
        // 0013 SETITEMS on a list; 0015/0024 BUILD with a None state on a plain value (a no-op in CPython);
        // 0003 a bytearray dict key (unhashable); 0011/0016 REDUCE with str arguments (the C unpickler
        // refuses: not a tuple); 0026 NEWOBJ read alike once the oracle's placeholders are types;
        // frame_past_end: a FRAME length past the end (the C unpickler refuses it, "pickle data was
        // truncated"; the pure-Python one reads a dict), after a LONG_BINPUT index the C one cannot size.
        XCTAssertEqual(verdicts.keys.sorted(), ["0003.pkl", "0011.pkl", "0013.pkl", "0015.pkl", "0016.pkl", "0024.pkl", "0026.pkl", "frame_past_end.pkl"])
        for (name, verdict) in verdicts {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.folder + "/" + name)))
            let reading = bytes.withUnsafeBytes { PickleDifferential.canonical($0) }
            if let expected = verdict as? String {
                XCTAssertEqual(reading, expected, name)
            } else {
                XCTAssertTrue(reading.hasPrefix("!"), "\(name): CPython refuses, the VM read \(reading.prefix(200))")
            }
        }
    }

    func testFramePastTheEndIsRefusedAtTheFrameOpcode() throws {
        // frame_past_end.pkl: the FRAME at byte 91 declares 43 bytes and 14 are left (the opcodes stop
        // inside them). CPython's C unpickler refuses it ("pickle data was truncated"), the pure-Python
        // one reads a dict: the two disagree, so the bare-pickle reader refuses it at the FRAME opcode.
        let path = Self.folder + "/frame_past_end.pkl"
        XCTAssertThrowsError(try Checkpoint(path: path, as: .pickle)) { error in
            let error = error as? CheckpointError
            XCTAssertEqual(error?.offset, 91)
            XCTAssertEqual(error?.file, path)
            XCTAssertTrue(error?.message.contains("FRAME length 43 runs past the end of the pickle (14 bytes left)") ?? false, "\(String(describing: error))")
        }
    }

    func testBuildNoOpStatesAndUnhashableByteArrays() throws {
        func read(_ bytes: [UInt8]) -> String { bytes.withUnsafeBytes { PickleDifferential.canonical($0) } }
        // BUILD on a str: state None and (None, {}) leave it unchanged in both CPythons; {} (no __dict__ in
        // CPython's C unpickler) and (None, None) ("slot state is not a dictionary") fail in one of them.
        let str: [UInt8] = [0x80, 0x02, 0x58, 0x01, 0x00, 0x00, 0x00, 0x61]  // X 'a'
        XCTAssertEqual(read(str + [0x4E, 0x62, 0x2E]), "s61")
        XCTAssertEqual(read(str + [0x4E, 0x7D, 0x86, 0x62, 0x2E]), "s61")
        XCTAssertTrue(read(str + [0x7D, 0x62, 0x2E]).hasPrefix("!"))
        XCTAssertTrue(read(str + [0x4E, 0x4E, 0x86, 0x62, 0x2E]).hasPrefix("!"))
        // BYTEARRAY8 as a set member is unhashable; as a value it reads as its bytes.
        let byteArray: [UInt8] = [0x96, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x62]
        XCTAssertTrue(read([0x80, 0x05, 0x8F, 0x28] + byteArray + [0x90, 0x2E]).hasPrefix("!unhashable bytearray"))
        XCTAssertEqual(read([0x80, 0x05] + byteArray + [0x2E]), "b62")
    }
}
