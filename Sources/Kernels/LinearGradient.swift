import CKernels

/// Backward of `Linear` (`Y = X·Wᵀ + b`, W `[out, in]` row-major): the two GEMMs read their operands in place
/// (no copies, no packing) — through the AVX-512 / AVX2 micro-kernels of the inference GEMM
/// (`dk_sgemm_strided`) when `in` is a multiple of its 48-column panel and there are at least 8 rows,
/// else through OpenBLAS with transposed operands — split over the workers.
public enum LinearGradient {
    /// True when `dk_sgemm_strided` takes a GEMM with `columns` output columns and `rows` output rows.
    static func usesStridedKernel(rows: Int, columns: Int) -> Bool {
        VectorUnit.current != .portable && columns % Int(DK_PANEL) == 0 && columns > 0 && rows >= 8
    }

    /// `c[rows, columns] (+)= A·B` through `dk_sgemm_strided`, A(i, kk) at `a[i·rsa + kk·csa]`, B row-major
    /// `[k, columns]` (row stride `ldb`), split over the workers in panel and row ranges.
    static func strided(rows: Int, columns: Int, k: Int, a: UnsafePointer<Float>, rsa: Int, csa: Int, b: UnsafePointer<Float>, ldb: Int,
                        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        Parallel.forGrid(rows: rows, columns: columns / Int(DK_PANEL), rowAlignment: 8, minimumRows: 64, columnsPerWorker: 8) { r, panels in
            dk_sgemm_strided(r.count, k, a + r.lowerBound * rsa, rsa, csa, b, ldb, panels.lowerBound, panels.upperBound,
                             c + r.lowerBound * ldc, ldc, accumulate ? 1 : 0)
        }
    }

    /// `dW = Gᵀ·X` (`[out, in]`, overwritten) and `db = Σ_rows G` (`[out]`, overwritten, when given).
    /// - Parameters: `g` `[rows, out]` (row stride `gradientStride`), `x` `[rows, in]` (row stride `inputStride`).
    public static func weights(_ g: UnsafePointer<Float>, rows: Int, outFeatures: Int, gradientStride: Int? = nil,
                               input x: UnsafePointer<Float>, inFeatures: Int, inputStride: Int? = nil,
                               weightGradient dw: UnsafeMutablePointer<Float>, biasGradient db: UnsafeMutablePointer<Float>?) {
        Profile.measure("linear dW") {
            let ldg = gradientStride ?? outFeatures, ldx = inputStride ?? inFeatures
            if rows > 0 && usesStridedKernel(rows: outFeatures, columns: inFeatures) {
                // dW[out, in] = Gᵀ·X: A = Gᵀ (element (o, r) at g[r·ldg + o]), B = X.
                strided(rows: outFeatures, columns: inFeatures, k: rows, a: g, rsa: 1, csa: ldg, b: x, ldb: ldx,
                        c: dw, ldc: inFeatures, accumulate: false)
                if let db { Parallel.forRanges(outFeatures, grain: 64, alignment: 16) { columnSums(g, rows: rows, stride: ldg, columns: $0, into: db) } }
                return
            }
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
            if usesStridedKernel(rows: rows, columns: inFeatures) {
                strided(rows: rows, columns: inFeatures, k: outFeatures, a: g, rsa: ldg, csa: 1, b: w, ldb: inFeatures,
                        c: dx, ldc: ldc, accumulate: accumulate)
            } else if rows >= 64 * Parallel.threadCount {
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
