import Foundation
import XCTest
@testable import Checkpoint

/// `.npz` archives read as tensor stores (fixtures/generate/gen_npz_read.py: written by numpy 2.4.6's
/// np.savez / np.savez_compressed; expected values from np.load(allow_pickle=False)).
final class NumpyArchiveReaderTests: XCTestCase {
    func testArchivesWrittenByNumpyMatchNpLoad() throws {
        let fixtures = Fixtures.withExpected(in: "npz_read")
        XCTAssertEqual(fixtures, ["npz_read/positional.npz", "npz_read/savez.npz", "npz_read/savez_compressed.npz", "npz_read/slash_keys.npz", "npz_read/zip64.npz"])
        for fixture in fixtures {
            try Fixtures.assertMatchesExpected(fixture)
            XCTAssertEqual(try Checkpoint(path: Fixtures.path(fixture)).format, .numpyArchive, fixture)
        }
    }

    func testStoredMembersAreReadInPlaceAndDeflatedOnesInflated() throws {
        let stored = try Checkpoint(path: Fixtures.path("npz_read/savez.npz")).tensors()
        let deflated = try Checkpoint(path: Fixtures.path("npz_read/savez_compressed.npz")).tensors()
        XCTAssertEqual(stored.map(\.name), ["weight", "bias", "step", "mask", "big_endian", "fortran"])
        XCTAssertEqual(deflated.map(\.name), stored.map(\.name))
        // Little-endian stored members map the file; the big-endian one is swapped into memory.
        for entry in stored {
            let mapped = try entry.tensor.storage.withFileRange { _, _ in true } ?? false
            XCTAssertEqual(mapped, entry.name != "big_endian", entry.name)
        }
        for entry in deflated { XCTAssertNil(try entry.tensor.storage.withFileRange { _, _ in true }, entry.name) }
    }

    func testKeysHoldingSlashesAreNamedAsNpLoadNamesThem() throws {
        // np.savez(f, **{"encoder/layer0/weight": w, "bias": b}): the first member is
        // `encoder/layer0/weight.npy`, np.load's key `encoder/layer0/weight` (not a torch archive folder).
        let checkpoint = try Checkpoint(path: Fixtures.path("npz_read/slash_keys.npz"))
        XCTAssertEqual(checkpoint.format, .numpyArchive)
        XCTAssertEqual(try checkpoint.tensors().map(\.name), ["encoder/layer0/weight", "bias"])
    }

    func testObjectMemberIsRefusedNamingFileAndMember() throws {
        let path = Fixtures.path("npz_read/object_member.npz")
        // np.load(allow_pickle=False) says (recorded by the generator):
        let numpy = try String(contentsOfFile: path + ".refusal.txt", encoding: .utf8)
        XCTAssertTrue(numpy.contains("Object arrays cannot be loaded when allow_pickle=False"), numpy)
        XCTAssertThrowsError(try Checkpoint(path: path)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix(path + ": tensor 'objects': byte "), text)
            XCTAssertTrue(text.contains("npz member 'objects.npy': object array (dtype '|O') refused"), text)
        }
    }

    func testNonArrayMembersAndImpossibleSizesAreRefused() throws {
        let cases = [("npz_read/stray_member.npz", "npz member 'readme.txt' is not a .npy array"),
                     ("npz_read/oversized_claim.npz", "declares 2147483647 bytes from")]
        for (fixture, expected) in cases {
            XCTAssertThrowsError(try Checkpoint(path: Fixtures.path(fixture)), fixture) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(fixture): \(error)")
            }
        }
    }

    func testCorruptDeflatedDataIsRefused() throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("npz_read/savez_compressed.npz"))))
        // First member's payload: 30-byte local header + name + extra, then deflate data; flip a byte in it.
        let payload = 30 + (Int(bytes[26]) | Int(bytes[27]) << 8)
        let start = payload + (Int(bytes[28]) | Int(bytes[29]) << 8)
        bytes[start + 20] ^= 0xFF
        let path = NSTemporaryDirectory() + "npz-corrupt-\(getpid()).npz"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertThrowsError(try Checkpoint(path: path)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("tensor 'weight'") && text.contains("'weight.npy'"), text)
            XCTAssertTrue(text.contains("corrupt") || text.contains("CRC-32 mismatch") || text.contains("inflates to"), text)
        }
    }

    func testTorchZipIsStillDetectedAsTorch() throws {
        XCTAssertEqual(try Checkpoint(path: Fixtures.path("torch/state_dict.pt")).format, .torchZip)
    }
}
