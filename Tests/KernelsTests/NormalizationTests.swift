import XCTest
@testable import Kernels

final class NormalizationTests: XCTestCase {
    func testLayerNormModulateMatchesReference() {
        var rng = TestRandom(seed: 5)
        let rows = 6, dim = 37  // not a multiple of 8: exercises the tails
        let x = rng.floats(rows * dim, scale: 3).map { $0 + 10 }  // offset mean: tests the two-pass variance
        let shift = rng.floats(2 * dim), scale = rng.floats(2 * dim)
        var want = [Double](repeating: 0, count: rows * dim)
        for r in 0..<rows {
            let row = (0..<dim).map { Double(x[r * dim + $0]) }
            let mean = row.reduce(0, +) / Double(dim)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(dim)
            let c = r / 3  // rows 0-2 use batch item 0, rows 3-5 item 1
            for j in 0..<dim {
                want[r * dim + j] = (row[j] - mean) / (variance + 1e-6).squareRoot() * (1 + Double(scale[c * dim + j])) + Double(shift[c * dim + j])
            }
        }
        var got = [Float](repeating: .nan, count: rows * dim)
        x.withUnsafeBufferPointer { xp in shift.withUnsafeBufferPointer { sh in scale.withUnsafeBufferPointer { sc in got.withUnsafeMutableBufferPointer { y in
            Normalization.layerNormModulate(xp.baseAddress!, y.baseAddress!, rows: rows, dim: dim, eps: 1e-6,
                                            shift: { sh.baseAddress! + ($0 / 3) * dim }, scale: { sc.baseAddress! + ($0 / 3) * dim })
        } } } }
        XCTAssertLessThan(maxAbsDifference(got, want), 5e-6)
    }

    func testGroupNormWithAffineAndSiLU() {
        var rng = TestRandom(seed: 6)
        let batch = 2, channels = 8, spatial = 21, groups = 4
        let x = rng.floats(batch * channels * spatial, scale: 2)
        let gamma = rng.floats(channels), beta = rng.floats(channels)
        for silu in [false, true] {
            var want = [Double](repeating: 0, count: x.count)
            for n in 0..<batch {
                for g in 0..<groups {
                    let start = (n * channels + g * 2) * spatial
                    let values = (start..<(start + 2 * spatial)).map { Double(x[$0]) }
                    let mean = values.reduce(0, +) / Double(values.count)
                    let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
                    for (offset, v) in values.enumerated() {
                        let c = g * 2 + offset / spatial
                        var y = (v - mean) / (variance + 1e-6).squareRoot() * Double(gamma[c]) + Double(beta[c])
                        if silu { y = y / (1 + Foundation.exp(-y)) }
                        want[start + offset] = y
                    }
                }
            }
            var got = x
            got.withUnsafeMutableBufferPointer { p in
                Normalization.groupNorm(p.baseAddress!, p.baseAddress!, batch: batch, channels: channels, spatial: spatial, groups: groups,
                                        eps: 1e-6, gamma: gamma, beta: beta, silu: silu)
            }
            XCTAssertLessThan(maxAbsDifference(got, want), 5e-6, "silu \(silu)")
        }
    }

    func testGatedResidualAndElementwise() {
        var x: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
        let branch: [Float] = [1, 1, 1, 1, 1, 2, 2, 2, 2, 2]
        let gate: [Float] = [0.5, -1, 2, 0, 1, 3, 3, 3, 3, 3]  // [2 rows, 5]
        x.withUnsafeMutableBufferPointer { xp in branch.withUnsafeBufferPointer { b in gate.withUnsafeBufferPointer { g in
            Elementwise.gatedResidual(xp.baseAddress!, b.baseAddress!, rows: 2, dim: 5, gate: { g.baseAddress! + $0 * 5 })
        } } }
        XCTAssertEqual(x, [1.5, 1, 5, 4, 6, 12, 13, 14, 15, 16])
        var y = [Float](repeating: 0, count: 10)
        x.withUnsafeBufferPointer { a in branch.withUnsafeBufferPointer { b in y.withUnsafeMutableBufferPointer { Elementwise.add(a.baseAddress!, b.baseAddress!, $0.baseAddress!, count: 10) } } }
        XCTAssertEqual(y, [2.5, 2, 6, 5, 7, 14, 15, 16, 17, 18])
    }
}
