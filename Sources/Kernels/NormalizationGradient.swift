/// Backward of `Normalization.layerNormModulate` (LayerNorm without affine, then `·(1 + scale) + shift`).
public enum NormalizationGradient {
    /// Given `du = dL/dy` for `y = LN(x)·(1 + scale) + shift` over rows of `[rows, dim]` (`rowsPerItem`
    /// rows share one item's shift/scale), adds `dL/dx` into `dx` (overwrites when `!accumulate`) and
    /// returns the per-item gradients `[items, 2, dim]`: (d shift, d scale), each Σ over the item's rows.
    /// The statistics are recomputed from `x` exactly as the forward computes them.
    /// `dL/dx = rstd·(da − mean(da) − x̂·mean(da·x̂))`, `da = du·(1 + scale)`.
    public static func layerNormModulate(_ x: UnsafePointer<Float>, _ du: UnsafePointer<Float>, rows: Int, dim: Int, eps: Float,
                                         rowsPerItem: Int, scale: (Int) -> UnsafePointer<Float>,
                                         dx: UnsafeMutablePointer<Float>, accumulate: Bool) -> [Float] {
        Profile.measure("layernorm backward") {
            ItemReduction.run(rows: rows, rowsPerItem: rowsPerItem, width: 2 * dim) { range, partial in
                for r in range {
                    let item = r / rowsPerItem
                    let row = x + r * dim, g = du + r * dim, out = dx + r * dim, sc = scale(item)
                    let dShift = partial + item * 2 * dim, dScale = dShift + dim
                    let (mean, variance) = Moments.meanVariance(row, count: dim)
                    let rstd = 1 / (variance + eps).squareRoot()
                    let m8 = Float8(repeating: mean), r8 = Float8(repeating: rstd)
                    var sumDa = Float8.zero, sumDaA = Float8.zero
                    var tailDa: Float = 0, tailDaA: Float = 0
                    var j = 0
                    while j + 8 <= dim {
                        let a = (load8(row + j) - m8) * r8, gj = load8(g + j)
                        store8(load8(dShift + j) + gj, dShift + j)
                        store8(load8(dScale + j) + gj * a, dScale + j)
                        let da = gj * (1 + load8(sc + j))
                        sumDa += da
                        sumDaA += da * a
                        j += 8
                    }
                    while j < dim {
                        let a = (row[j] - mean) * rstd, gj = g[j]
                        dShift[j] += gj
                        dScale[j] += gj * a
                        let da = gj * (1 + sc[j])
                        tailDa += da
                        tailDaA += da * a
                        j += 1
                    }
                    let meanDa = (sumDa.sum() + tailDa) / Float(dim), meanDaA = (sumDaA.sum() + tailDaA) / Float(dim)
                    let md8 = Float8(repeating: meanDa), mda8 = Float8(repeating: meanDaA)
                    j = 0
                    while j + 8 <= dim {
                        let a = (load8(row + j) - m8) * r8
                        let da = load8(g + j) * (1 + load8(sc + j))
                        let v = r8 * (da - md8 - a * mda8)
                        store8(accumulate ? load8(out + j) + v : v, out + j)
                        j += 8
                    }
                    while j < dim {
                        let a = (row[j] - mean) * rstd
                        let da = g[j] * (1 + sc[j])
                        let v = rstd * (da - meanDa - a * meanDaA)
                        out[j] = accumulate ? out[j] + v : v
                        j += 1
                    }
                }
            }
        }
    }
}
