/// LayerNorm and GroupNorm (PyTorch semantics: biased variance, `1/sqrt(var + eps)`).
public enum Normalization {
    /// DiT's `modulate(LayerNorm(x), shift, scale)`: per row r of `[rows, dim]`,
    /// `y = ((x - mean)·rstd) · (1 + scale) + shift`, LayerNorm without affine parameters.
    /// `shift`/`scale` give the row's conditioning vector (`[dim]`, e.g. one batch item's chunk).
    public static func layerNormModulate(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, dim: Int, eps: Float,
                                         shift: (Int) -> UnsafePointer<Float>, scale: (Int) -> UnsafePointer<Float>) {
        Profile.measure("layernorm") {
            Parallel.forRanges(rows, grain: 8) { range in
                for r in range {
                    let row = x + r * dim, out = y + r * dim
                    let (mean, variance) = Moments.meanVariance(row, count: dim)
                    let rstd = 1 / (variance + eps).squareRoot()
                    let sh = shift(r), sc = scale(r)
                    let m8 = Float8(repeating: mean), r8 = Float8(repeating: rstd)
                    var j = 0
                    while j + 8 <= dim {
                        let n = (load8(row + j) - m8) * r8
                        store8(n * (1 + load8(sc + j)) + load8(sh + j), out + j)
                        j += 8
                    }
                    while j < dim {
                        out[j] = ((row[j] - mean) * rstd) * (1 + sc[j]) + sh[j]
                        j += 1
                    }
                }
            }
        }
    }

    /// GroupNorm over `[batch, channels, spatial]` with per-channel affine `gamma`/`beta`, optionally
    /// followed by SiLU. Works in place when `x == y`.
    public static func groupNorm(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int, channels: Int, spatial: Int,
                                 groups: Int, eps: Float, gamma: [Float], beta: [Float], silu: Bool) {
        Profile.measure("groupnorm") {
            precondition(channels % groups == 0, "\(channels) channels do not split into \(groups) groups")
            let perGroup = channels / groups
            // Statistics: one item per (batch, group), each a contiguous run of perGroup·spatial values.
            var stats = [(Float, Float)](repeating: (0, 0), count: batch * groups)
            stats.withUnsafeMutableBufferPointer { s in
                let sp = s.baseAddress!
                Parallel.forEach(batch * groups) { item in
                    let (mean, variance) = Moments.meanVariance(x + item * perGroup * spatial, count: perGroup * spatial)
                    sp[item] = (mean, 1 / (variance + eps).squareRoot())
                }
            }
            // Normalise: y = x·a + b per channel with a = gamma·rstd, b = beta - a·mean.
            gamma.withUnsafeBufferPointer { g in
                beta.withUnsafeBufferPointer { bt in
                    stats.withUnsafeBufferPointer { s in
                        Parallel.forEach(batch * channels) { plane in
                            let n = plane / channels, c = plane % channels
                            let (mean, rstd) = s[n * groups + c / perGroup]
                            let a = g[c] * rstd, b = bt[c] - a * mean
                            let src = x + plane * spatial, dst = y + plane * spatial
                            let a8 = Float8(repeating: a), b8 = Float8(repeating: b)
                            var i = 0
                            while i + 8 <= spatial {
                                let v = load8(src + i) * a8 + b8
                                store8(silu ? vsilu(v) : v, dst + i)
                                i += 8
                            }
                            while i < spatial {
                                let v = src[i] * a + b
                                dst[i] = silu ? ssilu(v) : v
                                i += 1
                            }
                        }
                    }
                }
            }
        }
    }
}
