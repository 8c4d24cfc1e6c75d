import CKernels
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

/// `y = act(x · Wᵀ + b)` for a PyTorch Linear weight `W [out, in]`, parallel over output features (each
/// worker reads only its rows of W) or, for narrow outputs, over input rows. With an AVX2/AVX-512 unit
/// the bias and activation are applied by each worker right after its GEMM, while its block of `y` is
/// still in cache (one pass instead of a bias pre-fill, a GEMM that re-reads it, and an activation pass).
public enum Linear {
    /// - Parameters:
    ///   - input: `[rows, in]` f32, row stride `inputStride` (default `in`).
    ///   - output: `[rows, out]` f32, row stride `outputStride` (default `out`).
    ///   - accumulate: add to `output` instead of overwriting it (then `bias` is added too; no activation).
    ///   - activation: applied after the bias (PyTorch's `act(linear(x))`).
    ///   - precision: for f32 weights read in place (training): `.bf16` runs `GEMM.multiply` in bf16 (autocast).
    ///     Packed weights carry their own precision.
    public static func forward(_ input: UnsafePointer<Float>, rows: Int, weight: Weight, bias: [Float]?,
                               output: UnsafeMutablePointer<Float>, inputStride: Int? = nil, outputStride: Int? = nil,
                               accumulate: Bool = false, activation: Activation = .none, precision: ComputePrecision = .f32) {
        precondition(!(accumulate && activation != .none), "an accumulating linear layer takes no activation")
        Profile.measure(rows < 16 ? "linear (rows < 16)" : "linear") {
            let outFeatures = weight.shape[0], inFeatures = weight.rowLength
            let lda = inputStride ?? inFeatures, ldc = outputStride ?? outFeatures
            if let bias { precondition(bias.count == outFeatures, "bias \(bias.count) for \(outFeatures) outputs") }
            let fused = VectorUnit.current != .portable && !accumulate
            func prefill(_ r: Range<Int>, _ cols: Range<Int>) {
                guard let bias, !fused else { return }
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
            func epilogue(_ r: Range<Int>, _ cols: Range<Int>) {
                guard bias != nil || activation != .none else { return }
                let block = output + r.lowerBound * ldc + cols.lowerBound
                if fused {
                    withBias(bias, offset: cols.lowerBound) { b in
                        dk_bias_activation(block, r.count, cols.count, ldc, b, activation.rawValue)
                    }
                } else if activation != .none {
                    for row in 0..<r.count { Elementwise.portableMap(block + row * ldc, count: cols.count, activation) }
                }
            }
            let beta: Float = fused ? 0 : ((bias != nil || accumulate) ? 1 : 0)
            if case .packedBF16(let packed) = weight.elements, !accumulate, dk_bf16_level() > 0 {
                // bf16 weights packed in k pairs: the AVX512_BF16 GEMM (activations rounded to bf16 as it copies
                // them), f32 accumulation, bias and activation in its epilogue; split as the f32 one below.
                let panels = (outFeatures + Int(DK_PANEL) - 1) / Int(DK_PANEL)
                Parallel.forGrid(rows: rows, columns: panels, rowAlignment: 8, minimumRows: 64, columnsPerWorker: 8) { r, panelRange in
                    let status = withBias(bias, offset: 0) { b in
                        dk_bf16gemm_packed(r.count, outFeatures, inFeatures, input + r.lowerBound * lda, lda, packed,
                                           panelRange.lowerBound, panelRange.upperBound, output + r.lowerBound * ldc, ldc, b,
                                           activation.rawValue)
                    }
                    precondition(status == 0, "bf16 GEMM: out of memory for the \(r.count)×\(inFeatures) activation buffer")
                }
            } else if case .packedF32(let packed) = weight.elements, fused {
                // Pre-packed weights: the AVX-512 / AVX2 GEMM with bias and activation in its epilogue. Workers
                // take panel ranges; rows are split too when there are fewer than 8 panels per worker.
                Parallel.forGrid(rows: rows, columns: outFeatures / Int(DK_PANEL), rowAlignment: 8, minimumRows: 64,
                                 columnsPerWorker: 8) { r, panels in
                    withBias(bias, offset: 0) { b in
                        dk_sgemm_packed(r.count, inFeatures, input + r.lowerBound * lda, lda, packed, panels.lowerBound, panels.upperBound,
                                        output + r.lowerBound * ldc, ldc, b, activation.rawValue)
                    }
                }
            } else if fused, case .f32(let w) = weight.elements, rows >= 16 {
                // f32 weights read in place (training's forward, whose weights change every step): the same micro-kernels,
                // each worker packing a panel of W into its L2-resident buffer just before using it.
                withBias(bias, offset: 0) { b in
                    GEMM.multiply(m: rows, n: outFeatures, k: inFeatures, a: GEMM.Matrix(input, rowStride: lda), b: w, ldb: inFeatures,
                                  bTransposed: true, c: output, ldc: ldc, bias: b, activation: activation, precision: precision)
                }
            } else if fused && rows <= 4 {
                // Memory-bound (DiT's adaLN modulation at batch 2): stream each weight row once.
                Parallel.forRanges(outFeatures, grain: 32, alignment: 16) { cols in
                    weight.withFloatRows(cols) { w in
                        withBias(bias, offset: cols.lowerBound) { b in
                            dk_few_rows_linear(input, rows, inFeatures, lda, w, cols.count, inFeatures, b, output + cols.lowerBound, ldc)
                        }
                    }
                    if activation != .none { dk_bias_activation(output + cols.lowerBound, rows, cols.count, ldc, nil, activation.rawValue) }
                }
            } else if BLAS.internalThreads > 1 {
                prefill(0..<rows, 0..<outFeatures)
                weight.withFloatRows(0..<outFeatures) { w in
                    BLAS.sgemm(transB: true, m: rows, n: outFeatures, k: inFeatures, a: input, lda: lda, b: w, ldb: inFeatures,
                               beta: beta, c: output, ldc: ldc)
                }
                epilogue(0..<rows, 0..<outFeatures)
            } else if outFeatures >= 128 || rows < 2 * Parallel.threadCount {
                Parallel.forRanges(outFeatures, grain: 32, alignment: 16) { cols in
                    prefill(0..<rows, cols)
                    weight.withFloatRows(cols) { w in
                        BLAS.sgemm(transB: true, m: rows, n: cols.count, k: inFeatures, a: input, lda: lda, b: w, ldb: inFeatures,
                                   beta: beta, c: output + cols.lowerBound, ldc: ldc)
                    }
                    epilogue(0..<rows, cols)
                }
            } else {
                weight.withFloatRows(0..<outFeatures) { w in
                    Parallel.forRanges(rows, grain: 4) { r in
                        prefill(r, 0..<outFeatures)
                        BLAS.sgemm(transB: true, m: r.count, n: outFeatures, k: inFeatures, a: input + r.lowerBound * lda, lda: lda,
                                   b: w, ldb: inFeatures, beta: beta, c: output + r.lowerBound * ldc, ldc: ldc)
                        epilogue(r, 0..<outFeatures)
                    }
                }
            }
        }
    }

    /// Calls `body` with a pointer to `bias[offset...]`, or nil without a bias.
    @inline(__always)
    static func withBias<R>(_ bias: [Float]?, offset: Int, _ body: (UnsafePointer<Float>?) -> R) -> R {
        guard let bias else { return body(nil) }
        return bias.withUnsafeBufferPointer { body($0.baseAddress! + offset) }
    }
}
