import Foundation
import XCTest
@testable import Kernels

final class VectorMathTests: XCTestCase {
    /// vexp against f64 exp on a dense grid: ≤ 2 ulp relative, and clamped (never inf/denormal) outside.
    func testExpIsAccurateToTwoUlps() {
        var worst = 0.0
        var x: Float = -87
        while x < 88.5 {
            let got = Double(sexp(x)), want = Foundation.exp(Double(x))
            worst = max(worst, abs(got - want) / want)
            x += 0.0137
        }
        XCTAssertLessThan(worst, 2.5e-7)
        XCTAssertEqual(sexp(0), 1)
        XCTAssertEqual(Double(sexp(-1000)), Foundation.exp(-87.33654), accuracy: 1e-44)
        XCTAssertTrue(sexp(1000).isFinite)
        XCTAssertGreaterThan(sexp(1000), 3.4e38)
    }

    func testGELUTanhMatchesTheTanhFormula() {
        var worst = 0.0
        for i in -4000...4000 {
            let x = Float(i) * 0.003
            let xd = Double(x)
            let want = 0.5 * xd * (1 + tanh(0.7978845608028654 * (xd + 0.044715 * xd * xd * xd)))
            worst = max(worst, abs(Double(sgeluTanh(x)) - want) / max(abs(want), 1e-3))
        }
        XCTAssertLessThan(worst, 1e-6)
        XCTAssertEqual(sgeluTanh(-200), 0, accuracy: 1e-30)
        XCTAssertEqual(sgeluTanh(200), 200)
    }

    func testSiLUAndSigmoid() {
        for i in -300...300 {
            let x = Float(i) * 0.05, xd = Double(x)
            let want = xd / (1 + exp(-xd))
            XCTAssertEqual(Double(ssilu(x)), want, accuracy: 1e-6 * max(1, abs(want)))
        }
    }

    func testVectorMinMaxSelectExactly() {
        let a = Float8(1, -2, 3.5, -0.0, 7, .infinity, -.infinity, 1e-30)
        let b = Float8(2, -3, 3.5, 0, -7, 5, 6, -1e-30)
        XCTAssertEqual(vmax(a, b), Float8(2, -2, 3.5, 0, 7, .infinity, 6, 1e-30))
        XCTAssertEqual(vmin(a, b), Float8(1, -3, 3.5, -0.0, -7, 5, -.infinity, -1e-30))
    }

    /// Every one of the 65,536 binary16 patterns widens to the same bits as Swift's Float(Float16)
    /// (NaNs: still NaN, same sign and payload).
    func testHalfWideningIsExactForEveryPattern() {
        let halves = (0...0xFFFF).map { UInt16($0) }
        var out = [Float](repeating: 0, count: halves.count)
        halves.withUnsafeBufferPointer { h in out.withUnsafeMutableBufferPointer { HalfConversion.widenHalf(h.baseAddress!, $0.baseAddress!, count: h.count) } }
        for (h, f) in zip(halves, out) {
            let want = Float(Float16(bitPattern: h))
            if want.isNaN {
                XCTAssertTrue(f.isNaN, "\(h)")
                XCTAssertEqual(f.bitPattern >> 31, UInt32(h >> 15))
                XCTAssertEqual((f.bitPattern >> 13) & 0x1FF, UInt32(h & 0x1FF), "payload of \(h)")
            } else {
                XCTAssertEqual(f.bitPattern, want.bitPattern, "pattern \(String(h, radix: 16))")
            }
        }
    }

    func testBFloat16WideningKeepsTheTopHalf() {
        let patterns: [UInt16] = [0, 0x3F80, 0xBF80, 0x7F80, 0xFF80, 0x7FC1, 0x0001, 0x4049, 0xC2F7, 0x1234, 0xFFFF]
        var out = [Float](repeating: 0, count: patterns.count)
        patterns.withUnsafeBufferPointer { h in out.withUnsafeMutableBufferPointer { HalfConversion.widenBFloat16(h.baseAddress!, $0.baseAddress!, count: h.count) } }
        XCTAssertEqual(out.map(\.bitPattern), patterns.map { UInt32($0) << 16 })
    }
}
