import CKernels

/// The runtime's general matrix product `C = act(α·A·op(B) + bias)` (or `C += A·op(B)`), through the AVX-512 /
/// AVX2 micro-kernels of the packed inference GEMM (`dk_sgemm`: each panel of B copied or packed into an
/// L2-resident per-thread buffer just before use) on CPUs with one of those units, else OpenBLAS. Used where
/// the B operand changes every call — training's forward and backward GEMMs, attention — so OpenBLAS's own kernel
/// choice (which can be a generic SSE3 one on CPUs it does not know) is off the hot path. With `precision: .bf16`
/// the same loop nest runs the AVX512_BF16 micro-kernel (`dk_bf16gemm`).
public enum GEMM {
    /// An operand A `[m, k]`: element (i, kk) at `base[i·rowStride + kk·columnStride]` (row-major: `columnStride` 1;
    /// the transpose of a row-major `[k, m]` matrix: `rowStride` 1).
    public struct Matrix {
        public var base: UnsafePointer<Float>
        public var rowStride: Int
        public var columnStride: Int

        public init(_ base: UnsafePointer<Float>, rowStride: Int, columnStride: Int = 1) {
            self.base = base
            self.rowStride = rowStride
            self.columnStride = columnStride
        }
    }

    /// - Parameters:
    ///   - a: `[m, k]`.
    ///   - b: B `[k, n]` row-major with row stride `ldb`, or with `bTransposed` Bᵀ for a row-major `[n, k]` matrix
    ///     with row stride `ldb` (a Linear weight, attention's keys).
    ///   - c: `[m, n]` with row stride `ldc`; overwritten, or added to when `accumulate` (then `alpha` must be 1).
    ///   - bias: `[n]` or nil, added after the scaling; `activation` after it.
    ///   - parallel: split over the workers (false: this thread only, for callers that parallelise around it).
    ///   - precision: `.bf16` rounds A and B to bf16 as it packs them and accumulates in f32 (`dk_bf16gemm`, AVX512_BF16;
    ///     torch.autocast's matmul) when `ComputePrecision.bf16Available`, else computes in f32.
    public static func multiply(m: Int, n: Int, k: Int, a: Matrix, b: UnsafePointer<Float>, ldb: Int, bTransposed: Bool,
                                c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool = false, alpha: Float = 1,
                                bias: UnsafePointer<Float>? = nil, activation: Activation = .none, parallel: Bool = true,
                                precision: ComputePrecision = .f32) {
        precondition(!accumulate || alpha == 1, "an accumulating GEMM takes no scale")
        guard m > 0, n > 0 else { return }
        guard VectorUnit.current != .portable else {
            precondition(bias == nil && activation == .none, "the portable GEMM takes no bias or activation")
            precondition(a.columnStride == 1 || a.rowStride == 1, "A needs unit row or column stride")
            let transA = a.columnStride != 1
            let lda = transA ? a.columnStride : (m == 1 ? max(k, 1) : a.rowStride)  // one row: any stride, but BLAS wants lda ≥ k
            BLAS.sgemm(transA: transA, transB: bTransposed, m: m, n: n, k: k, alpha: alpha, a: a.base, lda: lda,
                       b: b, ldb: ldb, beta: accumulate ? 1 : 0, c: c, ldc: ldc)
            return
        }
        let panels = (n + Int(DK_PANEL) - 1) / Int(DK_PANEL)
        let gemm = precision == .bf16 && dk_bf16_level() > 0 ? dk_bf16gemm : dk_sgemm
        func run(_ rows: Range<Int>, _ panelRange: Range<Int>) {
            let status = gemm(rows.count, n, k, a.base + rows.lowerBound * a.rowStride, a.rowStride, a.columnStride, b, ldb,
                                  bTransposed ? 1 : 0, panelRange.lowerBound, panelRange.upperBound, c + rows.lowerBound * ldc, ldc,
                                  accumulate ? 1 : 0, alpha, bias, activation.rawValue)
            precondition(status == 0, "GEMM: out of memory for its per-thread operand buffers")
        }
        if parallel {
            Parallel.forGrid(rows: m, columns: panels, rowAlignment: 8, minimumRows: 64, columnsPerWorker: 8, run)
        } else {
            run(0..<m, 0..<panels)
        }
    }

    /// `dst[j, i] = src[i, j]` for a `[rows, columns]` matrix (row strides `sourceStride`, `destinationStride`), in
    /// 32×32 blocks, split over the workers by source columns.
    public static func transpose(_ src: UnsafePointer<Float>, rows: Int, columns: Int, sourceStride: Int,
                                 into dst: UnsafeMutablePointer<Float>, destinationStride: Int) {
        Parallel.forRanges(columns, grain: 32, alignment: 32) { cols in
            var j0 = cols.lowerBound
            while j0 < cols.upperBound {
                let j1 = min(j0 + 32, cols.upperBound)
                var i0 = 0
                while i0 < rows {
                    let i1 = min(i0 + 32, rows)
                    for j in j0..<j1 {
                        let out = dst + j * destinationStride
                        for i in i0..<i1 { out[i] = src[i * sourceStride + j] }
                    }
                    i0 = i1
                }
                j0 = j1
            }
        }
    }
}
