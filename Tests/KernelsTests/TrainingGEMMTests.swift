import CKernels
import XCTest
@testable import Kernels

/// The runtime's general GEMM (`GEMM.multiply` → `dk_sgemm`: B row-major or transposed, packed panel by panel
/// into a per-thread buffer; A row-major or transposed; C overwritten, scaled or accumulated; any n) that
/// training's forward and backward and attention use, against float64 sums, on both vector units.
///
/// Bound: each C element is a sum of k f32 products accumulated in f32 (fma), so
/// |c − exact| ≤ γ_k · Σ|a·b| with γ_k = k·u / (1 − k·u), u = 2⁻²⁴ (Higham, Thm. 3.1) — asserted per element
/// with that Σ|a·b| computed in float64.
final class TrainingGEMMTests: XCTestCase {
    override func tearDown() { VectorUnit.limit(to: .avx512) }

    /// m rows (tails of the 8- and 6-row tiles), k across the 1152 k-block, n with and without a partial last panel.
    static let shapes: [(m: Int, k: Int, n: Int)] = [(8, 5, 48), (13, 40, 96), (1, 3, 48), (70, 1300, 144), (64, 1152, 48), (9, 2400, 96),
                                                      (19, 64, 256), (33, 72, 72), (5, 7, 1), (16, 1153, 50)]

    func testGEMMMatchesFloat64ForEveryOperandLayout() {
        var rng = TestRandom(seed: 11)
        for unit in [VectorUnit.avx512, .avx2, .portable] where VectorUnit.limit(to: unit) == unit {
            for (m, k, n) in Self.shapes {
                let operands = GEMMOperands(m: m, k: k, n: n, rng: &rng)
                let (ldb, ldbT, ldc, a, aT, b, bT, start) = (operands.ldb, operands.ldbT, operands.ldc, operands.a, operands.aT, operands.b,
                                                             operands.bT, operands.start)
                for transposedA in [false, true] {
                    for transposedB in [false, true] {
                        for (accumulate, alpha) in [(false, Float(1)), (true, 1), (false, 0.125)] {
                            var c = start
                            (transposedA ? aT : a).withUnsafeBufferPointer { ap in (transposedB ? bT : b).withUnsafeBufferPointer { bp in
                                c.withUnsafeMutableBufferPointer { cp in
                                    let matrix = GEMM.Matrix(ap.baseAddress!, rowStride: transposedA ? 1 : k, columnStride: transposedA ? m : 1)
                                    GEMM.multiply(m: m, n: n, k: k, a: matrix, b: bp.baseAddress!, ldb: transposedB ? ldbT : ldb, bTransposed: transposedB,
                                                  c: cp.baseAddress!, ldc: ldc, accumulate: accumulate, alpha: alpha)
                                }
                            } }
                            let what = "\(unit) \(m)×\(k)×\(n) A\(transposedA ? "ᵀ" : "") B\(transposedB ? "ᵀ" : "") accumulate \(accumulate) α \(alpha)"
                            if let cell = operands.writtenBeyond(n: n, in: c) { return XCTFail("\(what): \(cell) beyond n written") }
                            for i in 0..<m {
                                for j in 0..<n {
                                    let got = Double(c[i * ldc + j])
                                    var sum = 0.0, magnitude = 0.0
                                    for kk in 0..<k {
                                        let product = Double(a[i * k + kk]) * Double(b[kk * ldb + j])
                                        sum += product
                                        magnitude += abs(product)
                                    }
                                    let prior = accumulate ? Double(start[i * ldc + j]) : 0
                                    let exact = prior + Double(alpha) * sum  // α is a power of two: scaling is exact
                                    let terms = Double(k + (accumulate ? 1 : 0)), u = 0x1p-24
                                    let bound = terms * u / (1 - terms * u) * (abs(prior) + Double(alpha) * magnitude)
                                    if abs(got - exact) > bound { return XCTFail("\(what) (\(i), \(j)): \(got) vs \(exact), bound \(bound)") }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The backward's own entry points, split over the workers: `LinearGradient.weights` (dW = Gᵀ·X, db = Σ G) and
    /// `.input` (dX = G·W) must equal float64 within γ_k.
    func testLinearGradientEntryPointsMatchFloat64WithinBound() {
        var rng = TestRandom(seed: 12)
        let rows = 67, outF = 96, inF = 144
        let g = rng.floats(rows * outF), x = rng.floats(rows * inF), w = rng.floats(outF * inF)  // [rows, out], [rows, in], [out, in]
        var dw = [Float](repeating: .nan, count: outF * inF), db = [Float](repeating: .nan, count: outF)
        var dx = [Float](repeating: .nan, count: rows * inF)
        g.withUnsafeBufferPointer { gp in x.withUnsafeBufferPointer { xp in w.withUnsafeBufferPointer { wp in
            dw.withUnsafeMutableBufferPointer { dwp in db.withUnsafeMutableBufferPointer { dbp in
                LinearGradient.weights(gp.baseAddress!, rows: rows, outFeatures: outF, input: xp.baseAddress!, inFeatures: inF,
                                       weightGradient: dwp.baseAddress!, biasGradient: dbp.baseAddress!)
            } }
            dx.withUnsafeMutableBufferPointer { LinearGradient.input(gp.baseAddress!, rows: rows, outFeatures: outF, weight: wp.baseAddress!, inFeatures: inF, inputGradient: $0.baseAddress!) }
        } } }
        let u = 0x1p-24
        let reference = LinearGradientReference(g: g, x: x, w: w, rows: rows, outFeatures: outF, inFeatures: inF)
        func γ(_ terms: Int) -> Double { Double(terms) * u / (1 - Double(terms) * u) }
        for (j, exact) in reference.dw.enumerated() {
            XCTAssertLessThanOrEqual(abs(Double(dw[j]) - exact), γ(rows) * reference.dwMagnitude[j], "dW[\(j / inF), \(j % inF)]")
        }
        for (o, sum) in reference.db.enumerated() {
            XCTAssertLessThanOrEqual(abs(Double(db[o]) - sum), γ(rows) * reference.dbMagnitude[o], "db[\(o)]")
        }
        for (j, exact) in reference.dx.enumerated() {
            XCTAssertLessThanOrEqual(abs(Double(dx[j]) - exact), γ(outF) * reference.dxMagnitude[j], "dX[\(j / inF), \(j % inF)]")
        }
    }

    /// Packing each panel of a transposed B on the fly computes exactly what packing the weight first does (same
    /// kernel, same order), with bias and GELU in the epilogue, on both vector units.
    func testTransposedBIsBitIdenticalToPackedWeight() {
        var rng = TestRandom(seed: 13)
        for unit in [VectorUnit.avx512, .avx2] where VectorUnit.limit(to: unit) == unit {
            for (m, k, n) in Self.shapes where n % 48 == 0 {
                let ldw = k + 3
                let a = rng.floats(m * k), w = rng.floats(n * ldw), bias = rng.floats(n)  // [m, k], [n, ldw], [n]
                var packed = [Float](repeating: 0, count: n * k)  // [n/48, k, 48]
                w.withUnsafeBufferPointer { dk_pack_weight($0.baseAddress!, n, k, ldw, &packed) }
                for activation in [Activation.none, .geluTanh] {
                    var viaPacked = [Float](repeating: .nan, count: m * n), onTheFly = viaPacked
                    a.withUnsafeBufferPointer { ap in bias.withUnsafeBufferPointer { bp in
                        dk_sgemm_packed(m, k, ap.baseAddress!, k, packed, 0, n / 48, &viaPacked, n, bp.baseAddress!, activation.rawValue)
                        w.withUnsafeBufferPointer { wp in
                            XCTAssertEqual(dk_sgemm(m, n, k, ap.baseAddress!, k, 1, wp.baseAddress!, ldw, 1, 0, n / 48, &onTheFly, n, 0, 1,
                                                    bp.baseAddress!, activation.rawValue), 0)
                        }
                    } }
                    XCTAssertTrue(viaPacked.map(\.bitPattern) == onTheFly.map(\.bitPattern), "\(unit) \(m)×\(k)×\(n) \(activation)")
                }
            }
        }
    }

    /// `Linear.forward` on an unpacked f32 weight (training's forward) gives the bits of the same weight packed at load.
    func testLinearOnUnpackedWeightEqualsPackedWeight() {
        var rng = TestRandom(seed: 14)
        let rows = 37, inF = 72, outF = 192
        let x = rng.floats(rows * inF), w = rng.floats(outF * inF), b = rng.floats(outF)
        let plain = Weight(shape: [outF, inF], values: w), packed = plain.packedForGEMM()
        guard case .packedF32 = packed.elements else { return XCTFail("weight not packed on \(VectorUnit.current)") }
        var y1 = [Float](repeating: .nan, count: rows * outF), y2 = y1
        x.withUnsafeBufferPointer { xp in
            y1.withUnsafeMutableBufferPointer { Linear.forward(xp.baseAddress!, rows: rows, weight: plain, bias: b, output: $0.baseAddress!, activation: .geluTanh) }
            y2.withUnsafeMutableBufferPointer { Linear.forward(xp.baseAddress!, rows: rows, weight: packed, bias: b, output: $0.baseAddress!, activation: .geluTanh) }
        }
        XCTAssertTrue(y1.map(\.bitPattern) == y2.map(\.bitPattern), "unpacked and packed weights differ")
    }
}
