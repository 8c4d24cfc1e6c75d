import Foundation
import TestSupport
import XCTest
@testable import Checkpoint

/// Hostile safetensors and `.ckpt` files (fixtures/adversarial/{safetensors,mindspore}): each must be
/// refused with a one-line `CheckpointError` containing the manifest's substring.
final class AdversarialSTMSTests: XCTestCase {
    func testSafetensorsCorpus() throws { try check(folder: "adversarial/safetensors", format: .safetensors, minimum: 30) }

    func testMindSporeCorpus() throws { try check(folder: "adversarial/mindspore", format: .mindspore, minimum: 20) }

    private func check(folder: String, format: CheckpointFormat, minimum: Int) throws {
        let manifest = try STMS.manifest(folder)
        XCTAssertGreaterThanOrEqual(manifest.count, minimum)
        let files = try FileManager.default.contentsOfDirectory(atPath: Fixtures.path(folder)).filter { !$0.hasSuffix(".json") }
        XCTAssertEqual(Set(files), Set(manifest.keys), "every corpus file is in the manifest")
        for (name, expected) in manifest.sorted(by: { $0.key < $1.key }) {
            let path = Fixtures.path(folder + "/" + name)
            guard let error = STMS.openError(path, as: format) else { continue }
            XCTAssertTrue(error.description.contains(expected), "\(name): \(error.description)")
            XCTAssertFalse(error.description.contains("\n"), name)
            XCTAssertTrue(error.description.hasPrefix(path + ": "), "\(name): names the file")
            _ = STMS.openError(path)  // format detection must refuse too
        }
    }

    /// Seeded random byte flips of every fixture: each result is read or refused, never a crash.
    func testMutatedFixturesNeverCrash() throws {
        let directory = try STMS.temporaryDirectory(for: self)
        var generator = SplitMix64(seed: 0x5EED)
        var opened = 0, refused = 0
        for (folder, format) in [("safetensors", CheckpointFormat.safetensors), ("mindspore", .mindspore)] {
            for relative in Fixtures.withExpected(in: folder) {
                let original = try STMS.bytes(Fixtures.path(relative))
                for _ in 0..<60 {
                    var bytes = original
                    for _ in 0..<(1 + Int(generator.next() % 4)) {
                        let index = Int(generator.next() % UInt64(bytes.count))
                        bytes[index] = UInt8(truncatingIfNeeded: generator.next())
                    }
                    let path = directory + "/m"
                    try STMS.write(bytes, to: path)
                    do {
                        let checkpoint = try Checkpoint(path: path, as: format)
                        for named in try checkpoint.tensors() { _ = try named.tensor.contiguousBytes() }
                        opened += 1
                    } catch is CheckpointError {
                        refused += 1
                    }
                }
            }
        }
        XCTAssertGreaterThan(refused, 100)
        XCTAssertGreaterThan(opened + refused, 700)
    }
}

