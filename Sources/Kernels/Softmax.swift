import CKernels

/// Numerically stable softmax over rows: `exp(x - max) / Σ exp(x - max)`.
public enum Softmax {
    /// In place over each of `rows` rows of `length` values (row stride `stride`, default `length`).
    public static func rows(_ x: UnsafeMutablePointer<Float>, rows: Int, length: Int, stride: Int? = nil) {
        let ld = stride ?? length
        if VectorUnit.current != .portable { return dk_softmax_rows(x, rows, length, ld) }
        for r in 0..<rows { row(x + r * ld, length: length) }
    }

    @inline(__always)
    static func row(_ x: UnsafeMutablePointer<Float>, length: Int) {
        var m8 = Float8(repeating: -.infinity)
        var j = 0
        while j + 8 <= length {
            m8 = vmax(m8, load8(x + j))
            j += 8
        }
        var maximum = m8.max()
        while j < length {
            maximum = max(maximum, x[j])
            j += 1
        }
        let mx = Float8(repeating: maximum)
        var s8 = Float8.zero
        j = 0
        while j + 8 <= length {
            let e = vexp(load8(x + j) - mx)
            store8(e, x + j)
            s8 += e
            j += 8
        }
        var sum = s8.sum()
        while j < length {
            let e = sexp(x[j] - maximum)
            x[j] = e
            sum += e
            j += 1
        }
        let inv = Float8(repeating: 1 / sum)
        j = 0
        while j + 8 <= length {
            store8(load8(x + j) * inv, x + j)
            j += 8
        }
        while j < length {
            x[j] *= inv[0]
            j += 1
        }
    }
}
