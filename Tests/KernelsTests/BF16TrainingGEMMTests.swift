import CKernels
import XCTest
@testable import Kernels

/// The general bf16 GEMM that training and attention use with `precision: .bf16` (`GEMM.multiply` →
/// `dk_bf16gemm`: A row-major, transposed or strided; B row-major or transposed, rounded to bf16 as each panel
/// is packed; C overwritten, scaled by α or accumulated; bias; any m, n, k), against float64 sums.
///
/// Bound per element, S = α·Σ|a·b| over the exact f32 inputs, P = |prior C| when accumulating, |bias| with a bias:
/// - vs the exact inputs: |Δ| ≤ (2·2⁻⁸ + 2⁻¹⁶)·S + T·2⁻²⁴·(P + |bias| + S′). Each bf16 operand is within 2⁻⁸
///   relative of its f32 value (8 significant bits, round to nearest even), so each product is within
///   (2·2⁻⁸ + 2⁻¹⁶)|ab|; vdpbf16ps forms each bf16 product exactly in f32 and rounds once per addition — T = k (+1 for
///   the prior C, +1 for the bias; the partial sums between k blocks are kept in C unrounded) — on partial sums
///   ≤ S′ = (1 + 2⁻⁷ + 2⁻¹⁶)·S (first order, 1 % margin for higher orders). α is a power of two: scaling is exact.
/// - vs the bf16-rounded inputs (torch's rounding): |Δ| ≤ T·2⁻²⁴·(P + |bias| + S′), only accumulation left — which
///   shows the kernel rounds A and B exactly as torch's `.bfloat16()` does.
final class BF16TrainingGEMMTests: XCTestCase {
    /// m across the 8-row tile, k odd and across the 2304-value k block, n with a partial last 48-column panel.
    static let shapes: [(m: Int, k: Int, n: Int)] = [(8, 5, 48), (13, 41, 96), (1, 3, 1), (70, 2305, 144), (9, 2400, 50),
                                                      (19, 64, 256), (33, 73, 72), (16, 4611, 49)]

    func testGeneralBF16GEMMWithinBoundForEveryOperandLayout() {
        guard ComputePrecision.bf16Available else { return testWithoutTheUnitBF16IsTheF32GEMM() }
        var rng = TestRandom(seed: 17)
        func wide(_ x: Float) -> Double {
            var bits: UInt16 = 0
            var value = x
            dk_f32_to_bf16(&value, 1, &bits)
            return Double(Float(bitPattern: UInt32(bits) << 16))
        }
        let u8 = 0x1p-8, u24 = 0x1p-24, growth = (1 + 0x1p-7 + 0x1p-16) * 1.01
        for (m, k, n) in Self.shapes {
            let operands = GEMMOperands(m: m, k: k, n: n, rng: &rng)
            let (ldb, ldbT, ldc, a, aT, b, bT, start) = (operands.ldb, operands.ldbT, operands.ldc, operands.a, operands.aT, operands.b,
                                                         operands.bT, operands.start)
            let bias = rng.floats(n)  // [n] f32
            let aRounded = a.map(wide), bRounded = b.map(wide)  // [m, k], [k, ldb] f64: torch's bf16 values
            for transposedA in [false, true] {
                for transposedB in [false, true] {
                    for (accumulate, alpha, withBias) in [(false, Float(1), false), (true, 1, false), (false, 0.125, true), (false, 1, true)] {
                        var c = start
                        (transposedA ? aT : a).withUnsafeBufferPointer { ap in (transposedB ? bT : b).withUnsafeBufferPointer { bp in
                            bias.withUnsafeBufferPointer { biasp in c.withUnsafeMutableBufferPointer { cp in
                                let matrix = GEMM.Matrix(ap.baseAddress!, rowStride: transposedA ? 1 : k, columnStride: transposedA ? m : 1)
                                GEMM.multiply(m: m, n: n, k: k, a: matrix, b: bp.baseAddress!, ldb: transposedB ? ldbT : ldb,
                                              bTransposed: transposedB, c: cp.baseAddress!, ldc: ldc, accumulate: accumulate, alpha: alpha,
                                              bias: withBias ? biasp.baseAddress! : nil, precision: .bf16)
                            } }
                        } }
                        let what = "\(m)×\(k)×\(n) A\(transposedA ? "ᵀ" : "") B\(transposedB ? "ᵀ" : "") accumulate \(accumulate) α \(alpha) bias \(withBias)"
                        if let cell = operands.writtenBeyond(n: n, in: c) { return XCTFail("\(what): \(cell) beyond n written") }
                        var worstExact = 0.0, worstRounded = 0.0
                        for i in 0..<m {
                            for j in 0..<n {
                                let got = Double(c[i * ldc + j])
                                var exact = 0.0, rounded = 0.0, magnitude = 0.0
                                for kk in 0..<k {
                                    exact += Double(a[i * k + kk]) * Double(b[kk * ldb + j])
                                    rounded += aRounded[i * k + kk] * bRounded[kk * ldb + j]
                                    magnitude += abs(Double(a[i * k + kk]) * Double(b[kk * ldb + j]))
                                }
                                let prior = accumulate ? Double(start[i * ldc + j]) : 0, offset = withBias ? Double(bias[j]) : 0
                                let s = Double(alpha) * magnitude
                                let terms = Double(k + (accumulate ? 1 : 0) + (withBias ? 1 : 0))
                                let accumulation = terms * u24 * (abs(prior) + abs(offset) + growth * s)
                                let boundExact = (2 * u8 + u8 * u8) * s + accumulation
                                worstExact = max(worstExact, abs(got - (prior + Double(alpha) * exact + offset)) / boundExact)
                                worstRounded = max(worstRounded, abs(got - (prior + Double(alpha) * rounded + offset)) / accumulation)
                                if got.isNaN { worstExact = .infinity }
                            }
                        }
                        XCTAssertLessThanOrEqual(worstExact, 1, "vs exact inputs: \(what)")
                        XCTAssertLessThanOrEqual(worstRounded, 1, "vs bf16-rounded inputs: \(what)")
                    }
                }
            }
        }
    }

    /// The backward's entry points in bf16 (`LinearGradient.weights` dW = Gᵀ·X with db = Σ G in f32, `.input` dX = G·W),
    /// split over the workers, within the bound above (no prior, no bias; db within f32's γ_rows).
    func testLinearGradientInBF16WithinBound() {
        guard ComputePrecision.bf16Available else { return testWithoutTheUnitBF16IsTheF32GEMM() }
        var rng = TestRandom(seed: 18)
        let rows = 67, outF = 96, inF = 145
        let g = rng.floats(rows * outF), x = rng.floats(rows * inF), w = rng.floats(outF * inF)  // [rows, out], [rows, in], [out, in]
        var dw = [Float](repeating: .nan, count: outF * inF), db = [Float](repeating: .nan, count: outF)  // [out, in], [out]
        var dx = [Float](repeating: .nan, count: rows * inF)  // [rows, in]
        g.withUnsafeBufferPointer { gp in x.withUnsafeBufferPointer { xp in w.withUnsafeBufferPointer { wp in
            dw.withUnsafeMutableBufferPointer { dwp in db.withUnsafeMutableBufferPointer { dbp in
                LinearGradient.weights(gp.baseAddress!, rows: rows, outFeatures: outF, input: xp.baseAddress!, inFeatures: inF,
                                       weightGradient: dwp.baseAddress!, biasGradient: dbp.baseAddress!, precision: .bf16)
            } }
            dx.withUnsafeMutableBufferPointer {
                LinearGradient.input(gp.baseAddress!, rows: rows, outFeatures: outF, weight: wp.baseAddress!, inFeatures: inF,
                                     inputGradient: $0.baseAddress!, precision: .bf16)
            }
        } } }
        let u8 = 0x1p-8, u24 = 0x1p-24, growth = (1 + 0x1p-7 + 0x1p-16) * 1.01
        func bound(_ magnitude: Double, terms: Int) -> Double { (2 * u8 + u8 * u8) * magnitude + Double(terms) * u24 * growth * magnitude }
        let reference = LinearGradientReference(g: g, x: x, w: w, rows: rows, outFeatures: outF, inFeatures: inF)
        var dwRatio = 0.0, dxRatio = 0.0, dwRelative = 0.0
        for (j, exact) in reference.dw.enumerated() {
            let error = abs(Double(dw[j]) - exact)
            dwRatio = max(dwRatio, error / bound(reference.dwMagnitude[j], terms: rows))
            dwRelative = max(dwRelative, error / reference.dwMagnitude[j])
        }
        for o in 0..<outF {
            XCTAssertLessThanOrEqual(abs(Double(db[o]) - reference.db[o]), Double(rows) * u24 / (1 - Double(rows) * u24) * reference.dbMagnitude[o],
                                     "db[\(o)] (f32)")
        }
        for (j, exact) in reference.dx.enumerated() {
            dxRatio = max(dxRatio, abs(Double(dx[j]) - exact) / bound(reference.dxMagnitude[j], terms: outF))
        }
        XCTAssertLessThanOrEqual(dwRatio, 1, "dW")
        XCTAssertLessThanOrEqual(dxRatio, 1, "dX")
        // It really is bf16: f32 would be ~2⁻²⁴·rows relative, bf16 rounding shows errors far above that.
        XCTAssertGreaterThan(dwRelative, 1e-4, "dW in bf16 is as exact as f32: the bf16 path did not run")
    }

    /// With AVX512_BF16 turned off (or absent), `precision: .bf16` is the f32 GEMM bit for bit (the note that says so
    /// is `ComputePrecision.resolve`'s, checked by BF16GEMMTests).
    func testWithoutTheUnitBF16IsTheF32GEMM() {
        let level = dk_bf16_level()
        defer { dk_limit_bf16_level(level) }
        dk_limit_bf16_level(0)
        var rng = TestRandom(seed: 19)
        let m = 13, k = 41, n = 50
        let a = rng.floats(m * k), b = rng.floats(n * k)  // [m, k], [n, k] (Bᵀ) f32
        func run(_ precision: ComputePrecision) -> [Float] {
            var c = [Float](repeating: 0, count: m * n)  // [m, n] f32
            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                GEMM.multiply(m: m, n: n, k: k, a: GEMM.Matrix(ap.baseAddress!, rowStride: k), b: bp.baseAddress!, ldb: k, bTransposed: true,
                              c: cp.baseAddress!, ldc: n, alpha: 0.5, precision: precision)
            } } }
            return c
        }
        XCTAssertEqual(run(.bf16).map(\.bitPattern), run(.f32).map(\.bitPattern))
    }
}
