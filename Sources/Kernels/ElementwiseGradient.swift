/// Backward of the pointwise ops and the gated residual.
public enum ElementwiseGradient {
    /// Backward of `x += gate ⊙ branch` (gate per item, `rowsPerItem` rows each): writes
    /// `dBranch = dOut ⊙ gate` (`[rows, dim]`) and returns `d gate` = Σ over each item's rows of
    /// `dOut ⊙ branch`, `[items, dim]`.
    public static func gatedResidual(_ dOut: UnsafePointer<Float>, branch: UnsafePointer<Float>, rows: Int, dim: Int, rowsPerItem: Int,
                                     gate: (Int) -> UnsafePointer<Float>, dBranch: UnsafeMutablePointer<Float>) -> [Float] {
        Profile.measure("residual backward") {
            ItemReduction.run(rows: rows, rowsPerItem: rowsPerItem, width: dim) { range, partial in
                for r in range {
                    let item = r / rowsPerItem
                    let g = dOut + r * dim, b = branch + r * dim, out = dBranch + r * dim, gt = gate(item), acc = partial + item * dim
                    var j = 0
                    while j + 8 <= dim {
                        let gj = load8(g + j)
                        store8(gj * load8(gt + j), out + j)
                        store8(load8(acc + j) + gj * load8(b + j), acc + j)
                        j += 8
                    }
                    while j < dim {
                        out[j] = g[j] * gt[j]
                        acc[j] += g[j] * b[j]
                        j += 1
                    }
                }
            }
        }
    }

    /// `dy ← dy ⊙ GELU′(z)` in place (tanh GELU): with `s = σ(2u)`, `u = √(2/π)(z + 0.044715 z³)`,
    /// `GELU′(z) = s + 2z·s(1 − s)·√(2/π)(1 + 3·0.044715 z²)` (= ½(1 + tanh u) + ½z(1 − tanh²u)·u′).
    public static func geluTanh(_ dy: UnsafeMutablePointer<Float>, preActivation z: UnsafePointer<Float>, count: Int) {
        Profile.measure("gelu backward") {
            Parallel.forRanges(count, grain: 1 << 14, alignment: 8) { range in
                var i = range.lowerBound
                while i + 8 <= range.upperBound {
                    store8(load8(dy + i) * vgeluTanhDerivative(load8(z + i)), dy + i)
                    i += 8
                }
                while i < range.upperBound {
                    dy[i] *= vgeluTanhDerivative(Float8(repeating: z[i]))[0]
                    i += 1
                }
            }
        }
    }

    /// `dy ← dy ⊙ SiLU′(z)`, `SiLU′(z) = σ(z)(1 + z(1 − σ(z)))`, in place.
    public static func silu(_ dy: UnsafeMutablePointer<Float>, preActivation z: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let s = vsigmoid(Float8(repeating: z[i]))[0]
            dy[i] *= s * (1 + z[i] * (1 - s))
        }
    }
}

@inline(__always)
func vgeluTanhDerivative(_ z: Float8) -> Float8 {
    let k: Float = 0.797_884_560_802_865_4, a: Float = 0.044_715
    let z2 = z * z
    let u = k * (z + a * (z2 * z))
    let s = 1 / (1 + vexp(-2 * u))
    return s + 2 * z * s * (1 - s) * (k * (1 + 3 * a * z2))
}
