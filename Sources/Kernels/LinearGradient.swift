/// Backward of `Linear` (`Y = X·Wᵀ + b`, W `[out, in]` row-major): the two GEMMs run through OpenBLAS
/// with transposed operands (no copies), split over the workers.
public enum LinearGradient {
    /// `dW = Gᵀ·X` (`[out, in]`, overwritten) and `db = Σ_rows G` (`[out]`, overwritten, when given).
    /// - Parameters: `g` `[rows, out]` (row stride `gradientStride`), `x` `[rows, in]` (row stride `inputStride`).
    public static func weights(_ g: UnsafePointer<Float>, rows: Int, outFeatures: Int, gradientStride: Int? = nil,
                               input x: UnsafePointer<Float>, inFeatures: Int, inputStride: Int? = nil,
                               weightGradient dw: UnsafeMutablePointer<Float>, biasGradient db: UnsafeMutablePointer<Float>?) {
        Profile.measure("linear dW") {
            let ldg = gradientStride ?? outFeatures, ldx = inputStride ?? inFeatures
            Parallel.forRanges(outFeatures, grain: 8, alignment: 8) { cols in
                if rows == 0 {
                    dw.advanced(by: cols.lowerBound * inFeatures).update(repeating: 0, count: cols.count * inFeatures)
                } else {
                    BLAS.sgemm(transA: true, m: cols.count, n: inFeatures, k: rows, a: g + cols.lowerBound, lda: ldg, b: x, ldb: ldx,
                               beta: 0, c: dw + cols.lowerBound * inFeatures, ldc: inFeatures)
                }
                if let db { columnSums(g, rows: rows, stride: ldg, columns: cols, into: db) }
            }
        }
    }

    /// `dX = G·W` (`[rows, in]`, row stride `outputStride`), added to `dx` when `accumulate`, else overwritten.
    /// - Parameters: `g` `[rows, out]`, `w` the f32 weight `[out, in]`.
    public static func input(_ g: UnsafePointer<Float>, rows: Int, outFeatures: Int, gradientStride: Int? = nil,
                             weight w: UnsafePointer<Float>, inFeatures: Int, inputGradient dx: UnsafeMutablePointer<Float>,
                             outputStride: Int? = nil, accumulate: Bool = false) {
        Profile.measure("linear dX") {
            let ldg = gradientStride ?? outFeatures, ldc = outputStride ?? inFeatures
            let beta: Float = accumulate ? 1 : 0
            if rows >= 64 * Parallel.threadCount {
                Parallel.forRanges(rows, grain: 32) { r in
                    BLAS.sgemm(m: r.count, n: inFeatures, k: outFeatures, a: g + r.lowerBound * ldg, lda: ldg, b: w, ldb: inFeatures,
                               beta: beta, c: dx + r.lowerBound * ldc, ldc: ldc)
                }
            } else {
                Parallel.forRanges(inFeatures, grain: 16, alignment: 16) { cols in
                    BLAS.sgemm(m: rows, n: cols.count, k: outFeatures, a: g, lda: ldg, b: w + cols.lowerBound, ldb: inFeatures,
                               beta: beta, c: dx + cols.lowerBound, ldc: ldc)
                }
            }
        }
    }

    /// `out[j] = Σ_r g[r·stride + j]` for j in `columns`.
    static func columnSums(_ g: UnsafePointer<Float>, rows: Int, stride: Int, columns: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        var j = columns.lowerBound
        while j + 8 <= columns.upperBound {
            var acc = Float8.zero
            for r in 0..<rows { acc += load8(g + r * stride + j) }
            store8(acc, out + j)
            j += 8
        }
        while j < columns.upperBound {
            var acc: Float = 0
            for r in 0..<rows { acc += g[r * stride + j] }
            out[j] = acc
            j += 1
        }
    }
}
