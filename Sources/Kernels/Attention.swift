/// Scaled dot-product attention without mask: `softmax(q·kᵀ·scale)·v`, per (batch, head), with the
/// queries processed in blocks so the score matrix stays small (`blockQueries × keys`).
public enum Attention {
    /// Layout of one operand: element (b, t, h, d) is at `base + b·batchStride + t·rowStride + h·headDim + d`.
    public struct Operand {
        public var base: UnsafePointer<Float>
        public var batchStride: Int
        public var rowStride: Int

        public init(_ base: UnsafePointer<Float>, batchStride: Int, rowStride: Int) {
            self.base = base
            self.batchStride = batchStride
            self.rowStride = rowStride
        }
    }

    /// timm `Attention` on a fused projection: `qkv` is `[batch, tokens, 3·heads·headDim]` (q | k | v,
    /// heads contiguous inside each), `output` is `[batch, tokens, heads·headDim]`; scale `headDim^-0.5`.
    /// `precision: .bf16`: both products (q·kᵀ and P·v) with bf16 operands and f32 accumulation; softmax in f32.
    public static func fusedQKV(_ qkv: UnsafePointer<Float>, batch: Int, tokens: Int, heads: Int, headDim: Int,
                                output: UnsafeMutablePointer<Float>, precision: ComputePrecision = .f32) {
        let dim = heads * headDim
        let rowStride = 3 * dim
        attend(q: Operand(qkv, batchStride: tokens * rowStride, rowStride: rowStride),
               k: Operand(qkv + dim, batchStride: tokens * rowStride, rowStride: rowStride),
               v: Operand(qkv + 2 * dim, batchStride: tokens * rowStride, rowStride: rowStride),
               output: output, outputBatchStride: tokens * dim, outputRowStride: dim,
               batch: batch, queries: tokens, keys: tokens, heads: heads, headDim: headDim,
               scale: 1 / Float(headDim).squareRoot(), precision: precision)
    }

    /// General form; `output` uses the same (b, t, h, d) addressing with its own strides.
    public static func attend(q: Operand, k: Operand, v: Operand, output: UnsafeMutablePointer<Float>, outputBatchStride: Int,
                              outputRowStride: Int, batch: Int, queries: Int, keys: Int, heads: Int, headDim: Int, scale: Float,
                              blockQueries: Int = 256, precision: ComputePrecision = .f32) {
        Profile.measure("attention") {
            let block = min(queries, blockQueries)
            let blocksPerHead = (queries + block - 1) / block
            let items = batch * heads * blocksPerHead
            Parallel.forRanges(items) { range in
                let scores = UnsafeMutablePointer<Float>.allocate(capacity: block * keys)  // [block, keys] f32
                defer { scores.deallocate() }
                for item in range {
                    let b = item / (heads * blocksPerHead), h = (item / blocksPerHead) % heads, qb = item % blocksPerHead
                    let q0 = qb * block, rows = min(block, queries - q0)
                    let qp = q.base + b * q.batchStride + q0 * q.rowStride + h * headDim
                    let kp = k.base + b * k.batchStride + h * headDim
                    let vp = v.base + b * v.batchStride + h * headDim
                    let op = output + b * outputBatchStride + q0 * outputRowStride + h * headDim
                    GEMM.multiply(m: rows, n: keys, k: headDim, a: GEMM.Matrix(qp, rowStride: q.rowStride), b: kp, ldb: k.rowStride,
                                  bTransposed: true, c: scores, ldc: keys, alpha: scale, parallel: false, precision: precision)
                    Softmax.rows(scores, rows: rows, length: keys)
                    GEMM.multiply(m: rows, n: headDim, k: keys, a: GEMM.Matrix(scores, rowStride: keys), b: vp, ldb: v.rowStride,
                                  bTransposed: false, c: op, ldc: outputRowStride, parallel: false, precision: precision)
                }
            }
        }
    }
}
