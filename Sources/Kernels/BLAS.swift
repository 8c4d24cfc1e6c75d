import COpenBLAS
import Foundation

/// OpenBLAS `sgemm`, single-threaded by default: the runtime parallelises around it (`Parallel`), because
/// OpenBLAS's own workers spin after each call and slow the elementwise passes in between.
/// `DITPORT_OPENBLAS_THREADS=n` switches to OpenBLAS threading instead (for comparison, docs/benchmarks.md).
public enum BLAS {
    /// OpenBLAS's own thread count: 1 unless `DITPORT_OPENBLAS_THREADS` asks for more.
    public static let internalThreads: Int = {
        ProcessInfo.processInfo.environment["DITPORT_OPENBLAS_THREADS"].flatMap { Int($0) }.map { max(1, $0) } ?? 1
    }()

    private static let setup: Void = { openblas_set_num_threads(Int32(internalThreads)) }()

    /// Sets OpenBLAS's thread count (idempotent; called by every entry point below).
    @inline(__always) public static func configure() { _ = setup }

    /// The OpenBLAS kernel family picked for this CPU (e.g. `Haswell`, `Zen`, `SkylakeX`).
    public static var coreName: String {
        configure()
        return String(cString: openblas_get_corename())
    }

    /// `C = alpha · op(A) · op(B) + beta · C`, row-major; `op` transposes when asked.
    /// A is `[m, k]` (`[k, m]` if `transA`), B is `[k, n]` (`[n, k]` if `transB`), C is `[m, n]`.
    @inline(__always)
    public static func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
                             a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        configure()
        guard m > 0, n > 0 else { return }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

/// `y = x · Wᵀ + b` for a PyTorch Linear weight `W [out, in]`, parallel over output features (each
/// worker reads only its rows of W) or, for narrow outputs, over input rows.
public enum Linear {
    /// - Parameters:
    ///   - input: `[rows, in]` f32, row stride `inputStride` (default `in`).
    ///   - output: `[rows, out]` f32, row stride `outputStride` (default `out`).
    ///   - accumulate: add to `output` instead of overwriting it (then `bias` is added too).
    public static func forward(_ input: UnsafePointer<Float>, rows: Int, weight: Weight, bias: [Float]?,
                               output: UnsafeMutablePointer<Float>, inputStride: Int? = nil, outputStride: Int? = nil,
                               accumulate: Bool = false) {
        Profile.measure(rows < 16 ? "linear (rows < 16)" : "linear") {
            let outFeatures = weight.shape[0], inFeatures = weight.rowLength
            let lda = inputStride ?? inFeatures, ldc = outputStride ?? outFeatures
            if let bias { precondition(bias.count == outFeatures, "bias \(bias.count) for \(outFeatures) outputs") }
            func prefill(_ r: Range<Int>, _ cols: Range<Int>) {
                guard let bias else { return }
                bias.withUnsafeBufferPointer { b in
                    for row in r {
                        let y = output + row * ldc
                        if accumulate {
                            for j in cols { y[j] += b[j] }
                        } else {
                            for j in cols { y[j] = b[j] }
                        }
                    }
                }
            }
            let beta: Float = (bias != nil || accumulate) ? 1 : 0
            if BLAS.internalThreads > 1 {
                prefill(0..<rows, 0..<outFeatures)
                weight.withFloatRows(0..<outFeatures) { w in
                    BLAS.sgemm(transB: true, m: rows, n: outFeatures, k: inFeatures, a: input, lda: lda, b: w, ldb: inFeatures,
                               beta: beta, c: output, ldc: ldc)
                }
            } else if outFeatures >= 128 || rows < 2 * Parallel.threadCount {
                Parallel.forRanges(outFeatures, grain: 32, alignment: 16) { cols in
                    prefill(0..<rows, cols)
                    weight.withFloatRows(cols) { w in
                        BLAS.sgemm(transB: true, m: rows, n: cols.count, k: inFeatures, a: input, lda: lda, b: w, ldb: inFeatures,
                                   beta: beta, c: output + cols.lowerBound, ldc: ldc)
                    }
                }
            } else {
                weight.withFloatRows(0..<outFeatures) { w in
                    Parallel.forRanges(rows, grain: 4) { r in
                        prefill(r, 0..<outFeatures)
                        BLAS.sgemm(transB: true, m: r.count, n: outFeatures, k: inFeatures, a: input + r.lowerBound * lda, lda: lda,
                                   b: w, ldb: inFeatures, beta: beta, c: output + r.lowerBound * ldc, ldc: ldc)
                    }
                }
            }
        }
    }
}
