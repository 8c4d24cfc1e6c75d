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

/// Float64 references of a linear layer's backward (`Y = X·Wᵀ`) with each sum's Σ|term| for the error bounds.
struct LinearGradientReference {
    let dw: [Double], dwMagnitude: [Double]  // [out, in]: Gᵀ·X
    let db: [Double], dbMagnitude: [Double]  // [out]: Σ_rows G
    let dx: [Double], dxMagnitude: [Double]  // [rows, in]: G·W

    /// `g` `[rows, out]`, `x` `[rows, in]`, `w` `[out, in]`, all row-major.
    init(g: [Float], x: [Float], w: [Float], rows: Int, outFeatures outF: Int, inFeatures inF: Int) {
        var dw = [Double](repeating: 0, count: outF * inF), dwMagnitude = dw
        var db = [Double](repeating: 0, count: outF), dbMagnitude = db
        var dx = [Double](repeating: 0, count: rows * inF), dxMagnitude = dx
        for r in 0..<rows {
            for o in 0..<outF {
                let gro = Double(g[r * outF + o])
                db[o] += gro
                dbMagnitude[o] += abs(gro)
                for i in 0..<inF {
                    let forW = gro * Double(x[r * inF + i]), forX = gro * Double(w[o * inF + i])
                    dw[o * inF + i] += forW
                    dwMagnitude[o * inF + i] += abs(forW)
                    dx[r * inF + i] += forX
                    dxMagnitude[r * inF + i] += abs(forX)
                }
            }
        }
        (self.dw, self.dwMagnitude, self.db, self.dbMagnitude, self.dx, self.dxMagnitude) = (dw, dwMagnitude, db, dbMagnitude, dx, dxMagnitude)
    }
}

/// Random operands of an `m × k × n` GEMM in every layout `GEMM.multiply` takes, with padded strides.
struct GEMMOperands {
    let ldb: Int, ldbT: Int, ldc: Int
    let a: [Float]  // [m, k] row-major
    let aT: [Float]  // [k, m]: the same matrix transposed
    let b: [Float]  // [k, ldb], the first n columns used
    let bT: [Float]  // [n, ldbT]: Bᵀ, the first k columns used
    let start: [Float]  // [m, ldc]: what C holds before the call

    init(m: Int, k: Int, n: Int, rng: inout TestRandom) {
        (ldb, ldbT, ldc) = (n + 48, k + 5, n + 16)
        let a = rng.floats(m * k)
        self.a = a
        aT = (0..<(k * m)).map { a[($0 % m) * k + $0 / m] }
        let b = rng.floats(k * (n + 48))
        self.b = b
        var bT = [Float](repeating: 0, count: n * (k + 5))
        for kk in 0..<k { for j in 0..<n { bT[j * (k + 5) + kk] = b[kk * (n + 48) + j] } }
        self.bT = bT
        start = rng.floats(m * (n + 16))
    }

    /// The first (row, column) beyond the n computed columns that a GEMM wrote into `c` `[m, ldc]`, or nil.
    func writtenBeyond(n: Int, in c: [Float]) -> (row: Int, column: Int)? {
        for i in 0..<(c.count / ldc) {
            for j in n..<ldc where c[i * ldc + j].bitPattern != start[i * ldc + j].bitPattern { return (i, j) }
        }
        return nil
    }
}
