import XCTest
@testable import Kernels

final class ConvolutionTests: XCTestCase {
    /// Direct float64 convolution with explicit zero padding (top, left, bottom, right).
    func reference(_ x: [Float], batch: Int, cin: Int, h: Int, w: Int, weight: [Float], bias: [Float]?, cout: Int, k: Int, s: Int,
                   pad: (Int, Int, Int, Int)) -> (values: [Double], oh: Int, ow: Int) {
        let oh = (h + pad.0 + pad.2 - k) / s + 1, ow = (w + pad.1 + pad.3 - k) / s + 1
        var out = [Double](repeating: 0, count: batch * cout * oh * ow)
        for n in 0..<batch {
            for o in 0..<cout {
                for y in 0..<oh {
                    for xo in 0..<ow {
                        var acc = Double(bias?[o] ?? 0)
                        for i in 0..<cin {
                            for u in 0..<k {
                                for v in 0..<k {
                                    let sy = y * s - pad.0 + u, sx = xo * s - pad.1 + v
                                    guard sy >= 0, sy < h, sx >= 0, sx < w else { continue }
                                    acc += Double(weight[((o * cin + i) * k + u) * k + v]) * Double(x[((n * cin + i) * h + sy) * w + sx])
                                }
                            }
                        }
                        out[((n * cout + o) * oh + y) * ow + xo] = acc
                    }
                }
            }
        }
        return (out, oh, ow)
    }

    func check(cin: Int, cout: Int, k: Int, s: Int, pad: (Int, Int, Int, Int), h: Int, w: Int, batch: Int = 2, bias: Bool = true,
               tileBudget: Int? = nil, file: StaticString = #filePath, line: UInt = #line) {
        var rng = TestRandom(seed: UInt64(cin * 1000 + cout * 10 + k))
        let x = rng.floats(batch * cin * h * w), weight = rng.floats(cout * cin * k * k, scale: 0.3), b = rng.floats(cout)
        let want = reference(x, batch: batch, cin: cin, h: h, w: w, weight: weight, bias: bias ? b : nil, cout: cout, k: k, s: s, pad: pad)
        let conv = Conv2D(inChannels: cin, outChannels: cout, kernel: k, stride: s, padding: pad)
        XCTAssertEqual(conv.outputSize(height: h, width: w).height, want.oh, file: file, line: line)
        let saved = Conv2D.tileBudget
        if let tileBudget { Conv2D.tileBudget = tileBudget }
        defer { Conv2D.tileBudget = saved }
        var got = [Float](repeating: .nan, count: want.values.count)
        x.withUnsafeBufferPointer { xp in got.withUnsafeMutableBufferPointer { yp in
            conv.forward(xp.baseAddress!, batch: batch, height: h, width: w, weight: Weight(shape: [cout, cin, k, k], values: weight),
                         bias: bias ? b : nil, output: yp.baseAddress!)
        } }
        XCTAssertLessThan(maxAbsDifference(got, want.values), 1e-5, "k\(k) s\(s) pad \(pad)", file: file, line: line)
    }

    func testThreeByThreeSamePadding() { check(cin: 5, cout: 7, k: 3, s: 1, pad: (1, 1, 1, 1), h: 9, w: 11) }
    /// Tiles smaller than a row and not aligned to rows (the im2col run splitting).
    func testThreeByThreeWithTinyTiles() { check(cin: 3, cout: 4, k: 3, s: 1, pad: (1, 1, 1, 1), h: 13, w: 70, tileBudget: 27 * 64) }
    func testPointwise() { check(cin: 6, cout: 9, k: 1, s: 1, pad: (0, 0, 0, 0), h: 5, w: 7) }
    func testPointwiseWithoutBias() { check(cin: 6, cout: 3, k: 1, s: 1, pad: (0, 0, 0, 0), h: 4, w: 4, bias: false) }
    /// The VAE downsampler: F.pad(x, (0, 1, 0, 1)) then a 3×3 stride-2 convolution without padding.
    func testStridedAsymmetricPadding() { check(cin: 4, cout: 4, k: 3, s: 2, pad: (0, 0, 1, 1), h: 8, w: 10) }
    func testOddSizeStrided() { check(cin: 2, cout: 3, k: 3, s: 2, pad: (0, 0, 1, 1), h: 7, w: 5) }
    /// DiT's patch embedding: kernel = stride = patch size.
    func testPatchEmbedding() { check(cin: 4, cout: 6, k: 2, s: 2, pad: (0, 0, 0, 0), h: 8, w: 8) }

    func testNearestUpsampling() {
        let x: [Float] = [1, 2, 3, 4, 5, 6]  // [1 plane, 2, 3]
        var y = [Float](repeating: 0, count: 24)
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { Resample.nearest2x(xp.baseAddress!, planes: 1, height: 2, width: 3, output: $0.baseAddress!) } }
        XCTAssertEqual(y, [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 4, 4, 5, 5, 6, 6])
    }
}

final class WinogradTests: XCTestCase {
    /// F(2×2, 3×3) against the im2col convolution (same padding), for even and odd sizes, partial tile
    /// vectors (widths not a multiple of 16), several chunks, accumulation onto a residual.
    func testWinogradMatchesDirectConvolution() {
        for (cin, cout, h, w, budget) in [(3, 5, 8, 8, 1 << 20), (4, 2, 7, 9, 1 << 20), (2, 3, 5, 37, 16 * 2 * 19), (6, 4, 1, 1, 1 << 20), (5, 7, 20, 18, 16 * 5 * 9)] {
            var rng = TestRandom(seed: UInt64(cin * 100 + h * 10 + w))
            let x = rng.floats(2 * cin * h * w), weight = Weight(shape: [cout, cin, 3, 3], values: rng.floats(cout * cin * 9, scale: 0.4))
            let bias = rng.floats(cout), residual = rng.floats(2 * cout * h * w)
            let direct = Conv2D(inChannels: cin, outChannels: cout, kernel: 3, stride: 1, padding: 1)
            let winograd = Winograd3x3(weight: weight)
            let saved = Winograd3x3.chunkBudget
            Winograd3x3.chunkBudget = budget
            defer { Winograd3x3.chunkBudget = saved }
            for accumulate in [false, true] {
                var want = accumulate ? residual : [Float](repeating: .nan, count: residual.count)
                var got = want
                x.withUnsafeBufferPointer { xp in
                    want.withUnsafeMutableBufferPointer { direct.forward(xp.baseAddress!, batch: 2, height: h, width: w, weight: weight, bias: bias, output: $0.baseAddress!, accumulate: accumulate) }
                    got.withUnsafeMutableBufferPointer { winograd.forward(xp.baseAddress!, batch: 2, height: h, width: w, bias: bias, output: $0.baseAddress!, accumulate: accumulate) }
                }
                XCTAssertLessThan(maxAbsDifference(got, want.map(Double.init)), 2e-5, "\(cin)→\(cout) \(h)×\(w) accumulate \(accumulate)")
            }
        }
    }
}
