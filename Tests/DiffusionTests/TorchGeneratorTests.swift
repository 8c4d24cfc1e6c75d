import XCTest
@testable import Diffusion

/// `TorchGenerator` against `torch.manual_seed(s); torch.randn(...)` streams made by torch itself.
final class TorchGeneratorTests: XCTestCase {
    func testStreamsEqualTorchRandnBitForBit() throws {
        let dump = try ExpectedDump("rng/randn")
        var generators: [String: TorchGenerator] = [:]
        var checked = 0
        for entry in dump.entries {
            let seedText = entry.name.split(separator: ".")[0].dropFirst("seed".count)
            let seed = try XCTUnwrap(UInt64(seedText))
            var generator = generators[String(seedText)] ?? TorchGenerator(seed: seed)
            let count = entry.shape.reduce(1, *)
            let values = generator.randn(count: count)
            generators[String(seedText)] = generator
            let expected = ExpectedDump.floats(entry)
            let mismatches = zip(values, expected).enumerated().filter { $0.element.0.bitPattern != $0.element.1.bitPattern }
            XCTAssertEqual(values.count, expected.count, entry.name)
            XCTAssertTrue(mismatches.isEmpty, "\(entry.name) \(entry.shape): \(mismatches.count) of \(count) differ, first \(mismatches.first.map { "#\($0.offset): \($0.element.0) vs \($0.element.1)" } ?? "")")
            checked += 1
        }
        XCTAssertEqual(checked, 14)
    }
}
