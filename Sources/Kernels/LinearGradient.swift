/// Backward of `Linear` (`Y = X·Wᵀ + b`, W `[out, in]` row-major): both GEMMs go through `GEMM.multiply`, reading
/// G, W and X in place (the weight gradient transposes G once, `[rows, out]` → `[out, rows]`, so that both of its
/// operands stream row by row), split over the workers. `precision: .bf16`: both GEMMs with bf16 operands and f32
/// accumulation (torch.autocast's backward of a bf16 linear, but with f32 results), the bias sum in f32.
public enum LinearGradient {
    /// `dW = Gᵀ·X` (`[out, in]`, overwritten) and `db = Σ_rows G` (`[out]`, overwritten, when given).
    /// - Parameters: `g` `[rows, out]` (row stride `gradientStride`), `x` `[rows, in]` (row stride `inputStride`).
    public static func weights(_ g: UnsafePointer<Float>, rows: Int, outFeatures: Int, gradientStride: Int? = nil,
                               input x: UnsafePointer<Float>, inFeatures: Int, inputStride: Int? = nil,
                               weightGradient dw: UnsafeMutablePointer<Float>, biasGradient db: UnsafeMutablePointer<Float>?,
                               precision: ComputePrecision = .f32) {
        Profile.measure("linear dW") {
            let ldg = gradientStride ?? outFeatures, ldx = inputStride ?? inFeatures
            guard rows > 0 else {
                dw.update(repeating: 0, count: outFeatures * inFeatures)
                db?.update(repeating: 0, count: outFeatures)
                return
            }
            let gT = UnsafeMutablePointer<Float>.allocate(capacity: outFeatures * rows)  // [out, rows] f32: Gᵀ
            defer { gT.deallocate() }
            GEMM.transpose(g, rows: rows, columns: outFeatures, sourceStride: ldg, into: gT, destinationStride: rows)
            GEMM.multiply(m: outFeatures, n: inFeatures, k: rows, a: GEMM.Matrix(gT, rowStride: rows), b: x, ldb: ldx, bTransposed: false,
                          c: dw, ldc: inFeatures, precision: precision)
            if let db { Parallel.forRanges(outFeatures, grain: 64, alignment: 16) { columnSums(g, rows: rows, stride: ldg, columns: $0, into: db) } }
        }
    }

    /// `dX = G·W` (`[rows, in]`, row stride `outputStride`), added to `dx` when `accumulate`, else overwritten.
    /// - Parameters: `g` `[rows, out]`, `w` the f32 weight `[out, in]`.
    public static func input(_ g: UnsafePointer<Float>, rows: Int, outFeatures: Int, gradientStride: Int? = nil,
                             weight w: UnsafePointer<Float>, inFeatures: Int, inputGradient dx: UnsafeMutablePointer<Float>,
                             outputStride: Int? = nil, accumulate: Bool = false, precision: ComputePrecision = .f32) {
        Profile.measure("linear dX") {
            GEMM.multiply(m: rows, n: inFeatures, k: outFeatures, a: GEMM.Matrix(g, rowStride: gradientStride ?? outFeatures), b: w,
                          ldb: inFeatures, bTransposed: false, c: dx, ldc: outputStride ?? inFeatures, accumulate: accumulate,
                          precision: precision)
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
