import Foundation
import XCTest
@testable import Checkpoint

/// Helpers shared by the safetensors and MindSpore tests.
enum STMS {
    /// A fresh temporary directory, removed when `test` finishes.
    static func temporaryDirectory(for test: XCTestCase) throws -> String {
        let path = NSTemporaryDirectory() + "stms-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    static func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// The metadata the generator read back with `safe_open(...).metadata()`.
    static func libraryMetadata(_ relative: String) throws -> [String: String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(relative) + ".metadata.json"))
        return try JSONSerialization.jsonObject(with: data) as? [String: String] ?? [:]
    }

    /// `manifest.json` of an adversarial folder: file name → expected error substring.
    static func manifest(_ folder: String) throws -> [String: String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(folder + "/manifest.json")))
        return try JSONSerialization.jsonObject(with: data) as? [String: String] ?? [:]
    }

    /// Opens `path` and returns the thrown `CheckpointError`, failing the test if it opens or throws
    /// something else.
    static func openError(_ path: String, as format: CheckpointFormat? = nil,
                          file: StaticString = #filePath, line: UInt = #line) -> CheckpointError? {
        do {
            _ = try Checkpoint(path: path, as: format)
            XCTFail("\(path) opened without error", file: file, line: line)
        } catch let error as CheckpointError {
            return error
        } catch {
            XCTFail("\(path): not a CheckpointError: \(error)", file: file, line: line)
        }
        return nil
    }

    /// The 16 cut points `i × count / 17` (i = 1…16), deduplicated, each strictly inside the file.
    static func truncationPoints(_ count: Int) -> [Int] {
        Array(Set((1...16).map { $0 * count / 17 })).filter { $0 > 0 && $0 < count }.sorted()
    }

    /// Every tensor of a checkpoint as (name, dtype, shape, bytes).
    static func dump(_ checkpoint: Checkpoint) throws -> [(String, DType, [Int], [UInt8])] {
        try checkpoint.tensors().map { ($0.name, $0.tensor.dtype, $0.tensor.shape, try $0.tensor.contiguousBytes()) }
    }
}
