import TestSupport
import XCTest
@testable import Kernels

/// Deterministic pseudo-random values for kernel tests.
typealias TestRandom = SplitMix64

/// Largest |a - b| over two equally long arrays.
func maxAbsDifference(_ a: [Float], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "\(a.count) vs \(b.count) values")
    return zip(a, b).map { abs(Double($0) - $1) }.max() ?? 0
}

func maxAbs(_ a: [Double]) -> Double { a.map(abs).max() ?? 0 }
