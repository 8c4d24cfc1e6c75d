import CKernels
import XCTest
@testable import Kernels

/// The VAE's convolutions in bf16 (`Weight.packedForBF16Convolution` for im2col / pointwise, `packedForBF16Winograd`
/// for 3×3 stride 1; both through `dk_bf16gemm_weight_left`, the bf16 GEMM's micro-kernel with the weight on the
/// left) against f64 references, every output element, on shapes with tails: odd channel counts and depths,
/// output channels not a multiple of the 8-row tile, pixel counts not a multiple of the 48-column panel, depths
/// above the 2304-value k block, odd spatial sizes, several tiles / chunks per worker, 1, 2 and 7 workers.
///
/// Bounds (u = 2⁻⁸, the unit roundoff of bf16's 8 significant bits — 1 + 2⁻⁸ lies halfway between 1 and the next
/// bf16, 1 + 2⁻⁷ — so round to nearest is off by ≤ u relative; ε = 2⁻²⁴ the same for f32; first order, 1 % margin):
/// - im2col / pointwise, S = Σ|w||x| + |bias| + |residual| per output:
///   1. vs the exact inputs: |Δ| ≤ (2u + u²)·S + (depth + 2)·ε·(1 + 2⁻⁷)·S — each product of two bf16-rounded
///      operands is off by ≤ (2u + u²)|wx| (round to nearest: relative error ≤ u each); vdpbf16ps forms each
///      bf16 product exactly and rounds once per addition (depth of them, + the bias pre-fill and the residual).
///   2. vs the bf16-rounded inputs (torch's rounding, `dk_f32_to_bf16`): |Δ| ≤ (depth + 2)·ε·S′ — only the f32
///      accumulation is left, which shows both operands are rounded as torch rounds them.
/// - Winograd F(2×2, 3×3): the products are U·V of the transformed weights U = G g Gᵀ and tiles V = Bᵀ d B, so
///   S becomes T = Σ_i Σ_ξ |A_ξ|·(|G||g_i||G|ᵀ)_ξ·(|Bᵀ||d_i||B|)_ξ + |bias| + |residual| (|A_ξ| the output fold's
///   coefficient, 0 or 1), which bounds every transform's partial sums:
///   1. vs the exact direct convolution: |Δ| ≤ (2u + u²)·T + (in + 12)·ε·(1 + 2⁻⁷)·T — the bf16 rounding of each U
///      and V (≤ u relative each), plus f32 roundings: 4 in U's transform, 2 in V's, `in` in the GEMM, 4 in the
///      output fold, the bias and the residual.
///   2. vs U, V transformed in f32 as the kernel does, rounded to bf16, then multiplied and folded exactly:
///      |Δ| ≤ (in + 6)·ε·T′ (T′ the same sum over the rounded |U′||V′|): accumulation and fold only.
/// Both paths must also be visibly bf16: the error against the exact inputs is ≥ 16× the error against the
/// rounded ones (in f32 it would be the other way round).
final class BF16ConvolutionTests: XCTestCase {
    static let u = 0x1p-8, eps = 0x1p-24

    static func wide(_ bits: UInt16) -> Double { Double(Float(bitPattern: UInt32(bits) << 16)) }

    /// `values` rounded to bf16 by torch's rule and widened back.
    static func roundedToBF16(_ values: [Float]) -> [Float] {
        var bits = [UInt16](repeating: 0, count: values.count)  // [count] bf16
        dk_f32_to_bf16(values, values.count, &bits)
        return bits.map { Float(bitPattern: UInt32($0) << 16) }
    }

    // MARK: im2col / pointwise

    func testIm2colAndPointwiseWithinBF16BoundOfF64Reference() throws {
        let workers = Parallel.threadCount, budget = Conv2D.tileBudget
        defer { Parallel.threadCount = workers; Conv2D.tileBudget = budget }
        var rng = TestRandom(seed: 151)
        guard ComputePrecision.bf16Available else {
            let w = Weight(shape: [4, 3, 3, 3], values: rng.floats(108))
            XCTAssertFalse(w.packedForBF16Convolution().isPacked, "no AVX512_BF16: f32 weights kept")
            XCTAssertFalse(w.packedForBF16Winograd().isPacked, "no AVX512_BF16: f32 weights kept")
            return
        }
        // (batch, in, out, kernel, stride, padding, height, width, bias, accumulate, workers, tile budget)
        let cases: [(Int, Int, Int, Int, Int, (Int, Int, Int, Int), Int, Int, Bool, Bool, Int, Int)] = [
            (2, 5, 7, 3, 2, (0, 0, 1, 1), 9, 11, true, false, 2, budget),     // the VAE downsampler, odd sizes
            (1, 3, 50, 1, 1, (0, 0, 0, 0), 7, 9, true, false, 1, budget),     // pointwise: 63 pixels = 1 panel + tail
            (1, 17, 9, 3, 2, (0, 0, 1, 1), 13, 7, false, true, 7, budget),    // depth 153 (odd), onto a residual
            (2, 129, 13, 1, 1, (0, 0, 0, 0), 5, 21, false, true, 2, budget),  // odd depth 129, 105 pixels, residual
            (1, 260, 8, 3, 2, (0, 0, 1, 1), 6, 6, true, false, 2, budget),    // depth 2340 > one 2304-value k block
            (1, 4, 5, 3, 1, (1, 1, 1, 1), 20, 30, true, true, 2, 36 * 64),    // 3×3 same through im2col, many tiles
        ]
        for (batch, cin, cout, k, s, pad, h, w, hasBias, accumulate, threads, tiles) in cases {
            Parallel.threadCount = threads
            Conv2D.tileBudget = tiles
            let x = rng.floats(batch * cin * h * w), g = rng.floats(cout * cin * k * k, scale: 0.5)
            let bias = hasBias ? rng.floats(cout) : nil
            let conv = Conv2D(inChannels: cin, outChannels: cout, kernel: k, stride: s, padding: pad)
            let (oh, ow) = conv.outputSize(height: h, width: w)
            let residual = accumulate ? rng.floats(batch * cout * oh * ow) : [Float](repeating: 0, count: batch * cout * oh * ow)
            let packed = Weight(shape: [cout, cin, k, k], values: g).packedForBF16Convolution()
            guard case .packedBF16Rows = packed.elements else { return XCTFail("not packed for the bf16 convolution GEMM") }
            var got = residual  // [N, out, oh, ow] f32
            x.withUnsafeBufferPointer { xp in got.withUnsafeMutableBufferPointer { yp in
                conv.forward(xp.baseAddress!, batch: batch, height: h, width: w, weight: packed, bias: bias, output: yp.baseAddress!,
                             accumulate: accumulate)
            } }
            let xr = Self.roundedToBF16(x), gr = Self.roundedToBF16(g)
            let depth = cin * k * k, accumulation = Double(depth + 2) * Self.eps * (1 + 0x1p-7) * 1.01
            var worst = (exact: 0.0, rounded: 0.0, exactAbs: 0.0, roundedAbs: 0.0)
            for n in 0..<batch {
                for o in 0..<cout {
                    for y in 0..<oh {
                        for xo in 0..<ow {
                            let at = ((n * cout + o) * oh + y) * ow + xo
                            let start = Double(residual[at]) + Double(bias?[o] ?? 0)
                            var exact = start, rounded = start, magnitude = abs(Double(residual[at])) + abs(Double(bias?[o] ?? 0))
                            for i in 0..<cin {
                                for a in 0..<k {
                                    for b in 0..<k {
                                        let sy = y * s - pad.0 + a, sx = xo * s - pad.1 + b
                                        guard sy >= 0, sy < h, sx >= 0, sx < w else { continue }
                                        let wi = ((o * cin + i) * k + a) * k + b, xi = ((n * cin + i) * h + sy) * w + sx
                                        exact += Double(g[wi]) * Double(x[xi])
                                        rounded += Double(gr[wi]) * Double(xr[xi])
                                        magnitude += abs(Double(g[wi]) * Double(x[xi]))
                                    }
                                }
                            }
                            let value = Double(got[at])
                            let dExact = value.isNaN ? .infinity : abs(value - exact), dRounded = abs(value - rounded)
                            worst.exact = max(worst.exact, dExact / (((2 * Self.u + Self.u * Self.u) + accumulation) * magnitude))
                            worst.rounded = max(worst.rounded, dRounded / (accumulation * magnitude))
                            worst.exactAbs = max(worst.exactAbs, dExact)
                            worst.roundedAbs = max(worst.roundedAbs, dRounded)
                        }
                    }
                }
            }
            let shape = "\(batch)×\(cin)×\(h)×\(w) k\(k) s\(s) → \(cout), \(threads) workers"
            XCTAssertLessThanOrEqual(worst.exact, 1, "vs exact inputs: \(shape)")
            XCTAssertLessThanOrEqual(worst.rounded, 1, "vs bf16-rounded inputs: \(shape)")
            XCTAssertGreaterThan(worst.exactAbs, 16 * worst.roundedAbs, "bf16 rounding visible: \(shape)")
        }
    }

    // MARK: Winograd

    /// Bᵀ on four values, in the kernel's f32 order: (d0 − d2, d1 + d2, d2 − d1, d1 − d3).
    static func inputLift(_ d: [Float]) -> [Float] { [d[0] - d[2], d[1] + d[2], d[2] - d[1], d[1] - d[3]] }
    /// |Bᵀ| on four magnitudes.
    static func inputLiftMagnitude(_ d: [Double]) -> [Double] { [d[0] + d[2], d[1] + d[2], d[2] + d[1], d[1] + d[3]] }
    /// Aᵀ's coefficients: output row / column a ∈ {0, 1} of the tile takes M's rows / columns r with coefficient
    /// `fold[a][r]` (1, 1, 1, 0) and (0, 1, −1, −1).
    static let fold: [[Double]] = [[1, 1, 1, 0], [0, 1, -1, -1]]

    /// Per output `[N, out, H, W]` of `residual + bias + conv3x3(x, g)`: the exact f64 value, the value from U′ and V′
    /// (the kernel's f32 transforms rounded to bf16) multiplied and folded in f64, and the magnitudes T and T′.
    static func winogradReference(_ x: [Float], _ g: [Float], bias: [Float], residual: [Float], batch: Int, cin: Int, cout: Int,
                                  h: Int, w: Int) -> [(exact: Double, rounded: Double, magnitude: Double, roundedMagnitude: Double)] {
        // U in f32 by the kernel's own transform, then rounded: [16, out, in]; magnitudes |G||g||G|ᵀ in f64.
        let uF32 = Winograd3x3.transformKernels(Weight(shape: [cout, cin, 3, 3], values: g))
        let uRounded = roundedToBF16(Array(UnsafeBufferPointer(start: uF32.pointer, count: 16 * cout * cin)))
        var uMagnitude = [Double](repeating: 0, count: 16 * cout * cin)  // [16, out, in]
        let gMatrix: [[Double]] = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
        for o in 0..<cout {
            for i in 0..<cin {
                for r in 0..<4 {
                    for c in 0..<4 {
                        var sum = 0.0
                        for a in 0..<3 { for b in 0..<3 { sum += abs(gMatrix[r][a] * gMatrix[c][b]) * abs(Double(g[(o * cin + i) * 9 + a * 3 + b])) } }
                        uMagnitude[(r * 4 + c) * cout * cin + o * cin + i] = sum
                    }
                }
            }
        }
        var out = [(exact: Double, rounded: Double, magnitude: Double, roundedMagnitude: Double)](repeating: (0, 0, 0, 0), count: batch * cout * h * w)  // [N, out, H, W]
        for n in 0..<batch {
            for ty in 0..<((h + 1) / 2) {
                for tx in 0..<((w + 1) / 2) {
                    // Per input channel: V′ (f32 transform as the kernel, rounded) and |Bᵀ||d||B|, ξ = row·4 + column.
                    var v = [[Double]](repeating: [Double](repeating: 0, count: 16), count: cin)  // [in, 16]
                    var vMagnitude = v  // [in, 16]
                    for i in 0..<cin {
                        func d(_ r: Int, _ c: Int) -> Float {
                            let sy = 2 * ty - 1 + r, sx = 2 * tx - 1 + c
                            return sy >= 0 && sy < h && sx >= 0 && sx < w ? x[((n * cin + i) * h + sy) * w + sx] : 0
                        }
                        let rows = (0..<4).map { r in inputLift((0..<4).map { d(r, $0) }) }
                        let rowMagnitudes = (0..<4).map { r in inputLiftMagnitude((0..<4).map { Double(abs(d(r, $0))) }) }
                        for c in 0..<4 {
                            let column = roundedToBF16(inputLift((0..<4).map { rows[$0][c] }))
                            let columnMagnitude = inputLiftMagnitude((0..<4).map { rowMagnitudes[$0][c] })
                            for r in 0..<4 {
                                v[i][r * 4 + c] = Double(column[r])
                                vMagnitude[i][r * 4 + c] = columnMagnitude[r]
                            }
                        }
                    }
                    for o in 0..<cout {
                        for a in 0..<2 {
                            for b in 0..<2 {
                                let oy = 2 * ty + a, ox = 2 * tx + b
                                guard oy < h, ox < w else { continue }
                                let at = ((n * cout + o) * h + oy) * w + ox
                                let start = Double(residual[at]) + Double(bias[o])
                                var exact = start, rounded = start
                                var magnitude = abs(Double(residual[at])) + abs(Double(bias[o])), roundedMagnitude = magnitude
                                for i in 0..<cin {
                                    for sy in 0..<3 {
                                        for sx in 0..<3 {
                                            let py = oy - 1 + sy, px = ox - 1 + sx
                                            guard py >= 0, py < h, px >= 0, px < w else { continue }
                                            exact += Double(g[(o * cin + i) * 9 + sy * 3 + sx]) * Double(x[((n * cin + i) * h + py) * w + px])
                                        }
                                    }
                                    for r in 0..<4 {
                                        for c in 0..<4 where fold[a][r] != 0 && fold[b][c] != 0 {
                                            let xi = r * 4 + c, ui = xi * cout * cin + o * cin + i
                                            rounded += fold[a][r] * fold[b][c] * Double(uRounded[ui]) * v[i][xi]
                                            roundedMagnitude += abs(Double(uRounded[ui]) * v[i][xi])
                                            magnitude += uMagnitude[ui] * vMagnitude[i][xi]
                                        }
                                    }
                                }
                                out[at] = (exact, rounded, magnitude, roundedMagnitude)
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    func testWinogradWithinBF16BoundOfF64Reference() throws {
        let workers = Parallel.threadCount, budget = Winograd3x3.chunkBudget
        defer { Parallel.threadCount = workers; Winograd3x3.chunkBudget = budget }
        guard ComputePrecision.bf16Available else { return }
        var rng = TestRandom(seed: 152)
        // (batch, in, out, height, width, accumulate, workers, chunk budget)
        let cases: [(Int, Int, Int, Int, Int, Bool, Int, Int)] = [
            (1, 3, 5, 7, 9, false, 1, budget),            // odd sizes, out < 8 rows
            (2, 17, 50, 6, 5, false, 2, budget),          // odd in (odd k pair), out = 6 row tiles + 2
            (1, 8, 97, 13, 1, true, 7, budget),           // width 1, onto a residual, 7 workers
            (1, 33, 16, 10, 31, true, 2, budget),         // 80 tiles per plane: 1 panel + tail
            (2, 4, 9, 20, 18, false, 2, 16 * 4 * 9),      // chunks of one tile row
            (1, 1, 1, 1, 1, false, 1, budget),            // a single pixel
        ]
        let boundRounded = { (cin: Int) in Double(cin + 6) * Self.eps * 1.01 }
        for (batch, cin, cout, h, w, accumulate, threads, chunk) in cases {
            Parallel.threadCount = threads
            Winograd3x3.chunkBudget = chunk
            let x = rng.floats(batch * cin * h * w), g = rng.floats(cout * cin * 9, scale: 0.5), bias = rng.floats(cout)
            let residual = accumulate ? rng.floats(batch * cout * h * w) : [Float](repeating: 0, count: batch * cout * h * w)
            let packed = Weight(shape: [cout, cin, 3, 3], values: g).packedForBF16Winograd()
            guard case .winogradBF16 = packed.elements else { return XCTFail("not packed as bf16 Winograd planes") }
            let winograd = Winograd3x3(weight: packed)
            XCTAssertTrue(winograd.computesInBF16)
            var got = residual  // [N, out, H, W] f32
            x.withUnsafeBufferPointer { xp in got.withUnsafeMutableBufferPointer { yp in
                winograd.forward(xp.baseAddress!, batch: batch, height: h, width: w, bias: bias, output: yp.baseAddress!, accumulate: accumulate)
            } }
            let reference = Self.winogradReference(x, g, bias: bias, residual: residual, batch: batch, cin: cin, cout: cout, h: h, w: w)
            var worst = (exact: 0.0, rounded: 0.0, exactAbs: 0.0, roundedAbs: 0.0)
            for (value, want) in zip(got.map(Double.init), reference) {
                let dExact = value.isNaN ? .infinity : abs(value - want.exact), dRounded = abs(value - want.rounded)
                worst.exact = max(worst.exact, dExact / (Self.winogradBound(cin) * want.magnitude))
                worst.rounded = max(worst.rounded, dRounded / (boundRounded(cin) * want.roundedMagnitude))
                worst.exactAbs = max(worst.exactAbs, dExact)
                worst.roundedAbs = max(worst.roundedAbs, dRounded)
            }
            let shape = "\(batch)×\(cin)×\(h)×\(w) → \(cout)\(accumulate ? " + residual" : ""), \(threads) workers"
            XCTAssertLessThanOrEqual(worst.exact, 1, "vs the exact convolution: \(shape)")
            XCTAssertLessThanOrEqual(worst.rounded, 1, "vs bf16-rounded U, V: \(shape)")
            XCTAssertGreaterThan(worst.exactAbs, 16 * worst.roundedAbs, "bf16 rounding visible: \(shape)")
        }
    }

    /// Bound 1 for Winograd, per unit of T: (2u + u²) + (in + 12)·ε·(1 + 2⁻⁷), 1 % margin.
    static func winogradBound(_ cin: Int) -> Double { (2 * u + u * u) + Double(cin + 12) * eps * (1 + 0x1p-7) * 1.01 }

    // MARK: fallbacks

    /// With the unit turned off after packing, packed weights still compute (in f32, from the bf16-rounded
    /// weights: im2col rows widened, Winograd planes widened for sgemm; only the weight rounding is left,
    /// |Δ| ≤ u·S + f32 GEMM rounding, bounded by 2⁻¹⁶·S here; Winograd ≤ u·T + its f32 roundings), new packing is declined, and the weight's f32
    /// view of the Winograd planes recovers the kernel (g = H U′ Hᵀ, within u·Σ|U| of the values used).
    func testPackedWeightsWithUnitOffComputeInF32() throws {
        guard ComputePrecision.bf16Available else { return }
        defer { dk_limit_bf16_level(1) }
        var rng = TestRandom(seed: 153)
        let (cin, cout, h, w) = (5, 11, 7, 6)
        let x = rng.floats(cin * h * w), g = rng.floats(cout * cin * 9, scale: 0.5)
        let weight = Weight(shape: [cout, cin, 3, 3], values: g)
        let rows = weight.packedForBF16Convolution(), planes = weight.packedForBF16Winograd()
        let direct = Conv2D(inChannels: cin, outChannels: cout, kernel: 3, stride: 1, padding: 1)
        dk_limit_bf16_level(0)
        XCTAssertFalse(weight.packedForBF16Convolution().isPacked)
        XCTAssertFalse(weight.packedForBF16Winograd().isPacked)
        let winograd = Winograd3x3(weight: planes)
        XCTAssertFalse(winograd.computesInBF16)
        var viaRows = [Float](repeating: .nan, count: cout * h * w), viaPlanes = viaRows  // [1, out, H, W] f32 each
        x.withUnsafeBufferPointer { xp in
            viaRows.withUnsafeMutableBufferPointer {
                direct.forward(xp.baseAddress!, batch: 1, height: h, width: w, weight: rows, bias: nil, output: $0.baseAddress!)
            }
            viaPlanes.withUnsafeMutableBufferPointer {
                winograd.forward(xp.baseAddress!, batch: 1, height: h, width: w, bias: nil, output: $0.baseAddress!)
            }
        }
        for o in 0..<cout {
            for y in 0..<h {
                for xo in 0..<w {
                    var exact = 0.0, magnitude = 0.0
                    for i in 0..<cin {
                        for a in 0..<3 {
                            for b in 0..<3 {
                                let py = y - 1 + a, px = xo - 1 + b
                                guard py >= 0, py < h, px >= 0, px < w else { continue }
                                let term = Double(g[(o * cin + i) * 9 + a * 3 + b]) * Double(x[(i * h + py) * w + px])
                                exact += term
                                magnitude += abs(term)
                            }
                        }
                    }
                    let at = (o * h + y) * w + xo
                    XCTAssertLessThanOrEqual(abs(Double(viaRows[at]) - exact), (Self.u + 0x1p-16) * magnitude, "rows: \(o), \(y), \(xo)")
                }
            }
        }
        // Winograd from bf16 planes in f32: only U is rounded, so ≤ u·T + the f32 roundings (bound 1 less one u).
        let reference = Self.winogradReference(x, g, bias: [Float](repeating: 0, count: cout), residual: [Float](repeating: 0, count: cout * h * w),
                                               batch: 1, cin: cin, cout: cout, h: h, w: w)
        for (at, want) in reference.enumerated() {
            XCTAssertLessThanOrEqual(abs(Double(viaPlanes[at]) - want.exact), (Self.winogradBound(cin) - Self.u) * want.magnitude, "planes: \(at)")
        }
        let recovered = planes.floats(), uF32 = Winograd3x3.transformKernels(weight)
        let h3: [[Int]] = [[0], [1, 2], [3]]
        for o in 0..<cout {
            for i in 0..<cin {
                for a in 0..<3 {
                    for b in 0..<3 {
                        var used = 0.0
                        for r in h3[a] { for c in h3[b] { used += abs(Double(uF32.pointer[(r * 4 + c) * cout * cin + o * cin + i])) } }
                        let at = (o * cin + i) * 9 + a * 3 + b
                        XCTAssertLessThanOrEqual(abs(Double(recovered[at]) - Double(g[at])), Self.u * used * 1.01 + 0x1p-22, "g[\(o), \(i), \(a), \(b)]")
                    }
                }
            }
        }
    }
}
