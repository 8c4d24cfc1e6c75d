import TestSupport
import XCTest
@testable import Kernels

/// Deterministic pseudo-random values for kernel tests.
typealias TestRandom = SplitMix64

/// Largest |a - b| over two equally long arrays.
func maxAbsDifference(_ a: [Float], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "\(a.count) vs \(b.count) values")
    // A NaN anywhere is an infinite difference (Swift's max() would skip it).
    return zip(a, b).map { let d = abs(Double($0) - $1); return d.isNaN ? .infinity : d }.max() ?? 0
}

func maxAbs(_ a: [Double]) -> Double { a.map(abs).max() ?? 0 }
