import Foundation
import XCTest
@testable import Kernels

/// The AVX-512, AVX2 and portable paths of the pointwise kernels and of the linear layer's fused
/// epilogue each match a float64 reference (every unit this CPU has is run; odd sizes hit the masked tails).
final class VectorUnitTests: XCTestCase {
    static let units: [VectorUnit] = [.portable, .avx2, .avx512]

    /// Runs `body` once per vector unit the CPU offers, then restores the default.
    func forEachUnit(_ body: (VectorUnit) throws -> Void) rethrows {
        defer { VectorUnit.limit(to: .avx512) }
        var seen = Set<VectorUnit>()
        for unit in Self.units {
            let got = VectorUnit.limit(to: unit)
            guard seen.insert(got).inserted else { continue }
            try body(got)
        }
    }

    static func gelu(_ x: Double) -> Double { 0.5 * x * (1 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x))) }

    func testLinearWithFusedBiasAndGELUOnEveryUnit() {
        var rng = TestRandom(seed: 11)
        forEachUnit { unit in
            // Few-row shapes (≤ 4 rows) reach every loop of the weight-streaming kernel: 32/16-wide pairs, the
            // single-vector loop (1160 = 72·16 + 8) and the masked tail.
            for (rows, inF, outF) in [(1, 37, 50), (2, 64, 300), (4, 19, 33), (3, 1160, 20), (2, 1155, 17), (5, 40, 24), (64, 21, 129)] {
                let x = rng.floats(rows * inF), w = rng.floats(outF * inF, scale: 0.5), b = rng.floats(outF)
                for activation in [Activation.none, .geluTanh, .silu] {
                    var want = [Double](repeating: 0, count: rows * outF)
                    for r in 0..<rows {
                        for o in 0..<outF {
                            var acc = Double(b[o])
                            for i in 0..<inF { acc += Double(x[r * inF + i]) * Double(w[o * inF + i]) }
                            switch activation {
                            case .none: want[r * outF + o] = acc
                            case .geluTanh: want[r * outF + o] = Self.gelu(acc)
                            case .silu: want[r * outF + o] = acc / (1 + Foundation.exp(-acc))
                            }
                        }
                    }
                    var got = [Float](repeating: .nan, count: rows * outF)
                    x.withUnsafeBufferPointer { xp in got.withUnsafeMutableBufferPointer { yp in
                        Linear.forward(xp.baseAddress!, rows: rows, weight: Weight(shape: [outF, inF], values: w), bias: b,
                                       output: yp.baseAddress!, activation: activation)
                    } }
                    XCTAssertLessThan(maxAbsDifference(got, want), 1e-5, "\(unit): \(rows)×\(inF)→\(outF) \(activation)")
                }
            }
        }
    }

    func testSoftmaxAndActivationsOnEveryUnit() {
        var rng = TestRandom(seed: 12)
        forEachUnit { unit in
            for length in [1, 7, 37, 256] {
                let rows = 3
                var x = rng.floats(rows * length, scale: 6)
                x[0] = 88.5  // near the exp clamp
                let copy = x.map(Double.init)
                var want = [Double](repeating: 0, count: x.count)
                for r in 0..<rows {
                    let row = copy[(r * length)..<((r + 1) * length)], m = row.max()!
                    let s = row.map { Foundation.exp($0 - m) }.reduce(0, +)
                    for j in 0..<length { want[r * length + j] = Foundation.exp(copy[r * length + j] - m) / s }
                }
                x.withUnsafeMutableBufferPointer { Softmax.rows($0.baseAddress!, rows: rows, length: length) }
                XCTAssertLessThan(maxAbsDifference(x, want), 2e-7, "\(unit): softmax over \(length)")
            }
            for count in [5, 16, 1000, 40_003] {
                let x = (0..<count).map { Float($0 % 4001 - 2000) * 0.004 }
                var g = x, s = x
                g.withUnsafeMutableBufferPointer { Elementwise.geluTanh($0.baseAddress!, count: count) }
                s.withUnsafeMutableBufferPointer { Elementwise.silu($0.baseAddress!, count: count) }
                let gWant = x.map { Self.gelu(Double($0)) }, sWant = x.map { Double($0) / (1 + Foundation.exp(-Double($0))) }
                XCTAssertLessThan(maxAbsDifference(g, gWant), 2e-6, "\(unit): gelu over \(count)")
                XCTAssertLessThan(maxAbsDifference(s, sWant), 2e-6, "\(unit): silu over \(count)")
            }
        }
    }

    /// Packed weights (AVX-512 and AVX2 GEMMs): row tails (m not a multiple of 8 or 6), k above and not a multiple of the 1152 block,
    /// several panels split over the workers (and rows too when there are few panels per worker), bias +
    /// activation in the epilogue, input rows read in place
    /// with a row stride wider than the row (the kernel broadcasts straight from A); the same weight still
    /// works (unpacked on use) when a narrower unit is in use, and unpacks to the original rows.
    func testPackedWeightGEMMMatchesReference() {
        var rng = TestRandom(seed: 13)
        defer { VectorUnit.limit(to: .avx512) }
        let workers = Parallel.threadCount
        defer { Parallel.threadCount = workers }
        // (rows, in, out, workers): 7 workers on 200 rows × 2 panels split rows as well as panels.
        for (rows, inF, outF, threads) in [(1, 7, 48, 2), (5, 130, 96, 2), (13, 1200, 144, 2), (64, 2500, 48, 2), (3, 256, 192, 2),
                                           (200, 96, 96, 7), (129, 50, 48, 1)] {
            Parallel.threadCount = threads
            let x = rng.floats(rows * inF), w = rng.floats(outF * inF, scale: 0.5), b = rng.floats(outF)
            VectorUnit.limit(to: .avx512)
            let plain = Weight(shape: [outF, inF], values: w)
            let packed = plain.packedForGEMM()
            if VectorUnit.current != .portable { XCTAssertTrue(packed.isPacked) }
            let unpacked = packed.withFloatRows(0..<outF) { Array(UnsafeBufferPointer(start: $0, count: outF * inF)) }
            XCTAssertEqual(unpacked, w, "unpacked rows \(outF)×\(inF)")
            for unit in [VectorUnit.avx512, .avx2, .portable] {
                VectorUnit.limit(to: unit)
                for activation in [Activation.none, .geluTanh] {
                    var want = [Double](repeating: 0, count: rows * outF)
                    var magnitude = 0.0  // largest Σ|x·w| + |b| of an output: what f32 rounding scales with
                    for r in 0..<rows {
                        for o in 0..<outF {
                            var acc = Double(b[o]), absolute = Double(abs(b[o]))
                            for i in 0..<inF {
                                acc += Double(x[r * inF + i]) * Double(w[o * inF + i])
                                absolute += abs(Double(x[r * inF + i]) * Double(w[o * inF + i]))
                            }
                            want[r * outF + o] = activation == .geluTanh ? Self.gelu(acc) : acc
                            magnitude = max(magnitude, absolute)
                        }
                    }
                    let tolerance = max(2e-5, 5e-7 * magnitude)
                    for stride in [inF, inF + 3] {
                        // [rows, stride] f32: x in the first inF columns, NaN in the gap (must not be read)
                        var strided = [Float](repeating: .nan, count: rows * stride)
                        for r in 0..<rows { for i in 0..<inF { strided[r * stride + i] = x[r * inF + i] } }
                        var got = [Float](repeating: .nan, count: rows * outF)
                        strided.withUnsafeBufferPointer { xp in got.withUnsafeMutableBufferPointer { yp in
                            Linear.forward(xp.baseAddress!, rows: rows, weight: packed, bias: b, output: yp.baseAddress!,
                                           inputStride: stride, activation: activation)
                        } }
                        XCTAssertLessThan(maxAbsDifference(got, want), tolerance, "\(unit): packed \(rows)×\(inF)→\(outF) \(activation), stride \(stride), \(threads) workers")
                    }
                }
            }
        }
    }
}
