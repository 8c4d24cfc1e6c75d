/// Backward of `Attention.fusedQKV` (timm `Attention` core, no mask): the softmax probabilities are
/// recomputed from the saved q, k (one extra T×T×d GEMM per head) instead of being stored.
public enum AttentionGradient {
    /// - Parameters:
    ///   - qkv: the forward's fused projection `[batch, tokens, 3·heads·headDim]`.
    ///   - output: the forward's output O `[batch, tokens, heads·headDim]`.
    ///   - dOutput: dL/dO, same layout as `output`.
    ///   - dqkv: receives dL/d qkv (overwritten), layout of `qkv`.
    /// Per (item, head): P = softmax(α q kᵀ); dV = Pᵀ dO; dP = dO Vᵀ; dS = P ⊙ (dP − rowdot(dO, O));
    /// dQ = α dS K; dK = α dSᵀ Q. `precision: .bf16`: the five products with bf16 operands, f32 accumulation.
    public static func fusedQKV(_ qkv: UnsafePointer<Float>, output: UnsafePointer<Float>, dOutput: UnsafePointer<Float>,
                                batch: Int, tokens: Int, heads: Int, headDim: Int, dqkv: UnsafeMutablePointer<Float>,
                                precision: ComputePrecision = .f32) {
        Profile.measure("attention backward") {
            let dim = heads * headDim, ld = 3 * dim, t = tokens
            let alpha = 1 / Float(headDim).squareRoot()
            Parallel.forRanges(batch * heads) { range in
                let p = UnsafeMutablePointer<Float>.allocate(capacity: t * t)  // [T, T] probabilities
                let dp = UnsafeMutablePointer<Float>.allocate(capacity: t * t)  // [T, T] dP, then dS
                defer { p.deallocate(); dp.deallocate() }
                for item in range {
                    let b = item / heads, h = item % heads
                    let q = qkv + b * t * ld + h * headDim, k = q + dim, v = q + 2 * dim
                    let o = output + b * t * dim + h * headDim, dO = dOutput + b * t * dim + h * headDim
                    let dq = dqkv + b * t * ld + h * headDim, dk = dq + dim, dv = dq + 2 * dim
                    GEMM.multiply(m: t, n: t, k: headDim, a: GEMM.Matrix(q, rowStride: ld), b: k, ldb: ld, bTransposed: true, c: p, ldc: t,
                                  alpha: alpha, parallel: false, precision: precision)
                    Softmax.rows(p, rows: t, length: t)
                    GEMM.multiply(m: t, n: t, k: headDim, a: GEMM.Matrix(dO, rowStride: dim), b: v, ldb: ld, bTransposed: true, c: dp, ldc: t,
                                  parallel: false, precision: precision)
                    for i in 0..<t {
                        var delta: Float = 0
                        for d in 0..<headDim { delta += dO[i * dim + d] * o[i * dim + d] }
                        let pr = p + i * t, dr = dp + i * t
                        let d8 = Float8(repeating: delta)
                        var j = 0
                        while j + 8 <= t {
                            store8(load8(pr + j) * (load8(dr + j) - d8), dr + j)
                            j += 8
                        }
                        while j < t {
                            dr[j] = pr[j] * (dr[j] - delta)
                            j += 1
                        }
                    }
                    // Pᵀ and dSᵀ read column-wise: [T, T] (256 KB at T = 256) stays in L2.
                    GEMM.multiply(m: t, n: headDim, k: t, a: GEMM.Matrix(p, rowStride: 1, columnStride: t), b: dO, ldb: dim, bTransposed: false,
                                  c: dv, ldc: ld, parallel: false, precision: precision)
                    GEMM.multiply(m: t, n: headDim, k: t, a: GEMM.Matrix(dp, rowStride: t), b: k, ldb: ld, bTransposed: false, c: dq, ldc: ld,
                                  alpha: alpha, parallel: false, precision: precision)
                    GEMM.multiply(m: t, n: headDim, k: t, a: GEMM.Matrix(dp, rowStride: 1, columnStride: t), b: q, ldb: ld, bTransposed: false,
                                  c: dk, ldc: ld, alpha: alpha, parallel: false, precision: precision)
                }
            }
        }
    }
}
