import CKernels

/// Pointwise activations and residual updates, vectorised and split over the workers.
public enum Elementwise {
    /// `x = gelu_tanh(x)` in place over `count` values.
    public static func geluTanh(_ x: UnsafeMutablePointer<Float>, count: Int) {
        Profile.measure("gelu") {
            if VectorUnit.current != .portable { return mapVector(x, count: count, .geluTanh) }
            map(x, count: count, GELUTanhFunction.self)
        }
    }

    /// `x = silu(x)` in place over `count` values.
    public static func silu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        Profile.measure("silu") {
            if VectorUnit.current != .portable { return mapVector(x, count: count, .silu) }
            map(x, count: count, SiLUFunction.self)
        }
    }

    /// `x += gate ⊙ branch` per row of `[rows, dim]` (DiT's gated residual; the product is formed first,
    /// as PyTorch evaluates `x + gate.unsqueeze(1) * branch`).
    public static func gatedResidual(_ x: UnsafeMutablePointer<Float>, _ branch: UnsafePointer<Float>, rows: Int, dim: Int,
                                     gate: (Int) -> UnsafePointer<Float>) {
        Profile.measure("residual") {
            Parallel.forRanges(rows, grain: 8) { range in
                for r in range {
                    let xr = x + r * dim, br = branch + r * dim, g = gate(r)
                    var j = 0
                    while j + 8 <= dim {
                        store8(load8(xr + j) + load8(g + j) * load8(br + j), xr + j)
                        j += 8
                    }
                    while j < dim {
                        xr[j] = xr[j] + g[j] * br[j]
                        j += 1
                    }
                }
            }
        }
    }

    /// `y = a + b` over `count` values (`y` may alias `a` or `b`).
    public static func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        Profile.measure("add") {
            Parallel.forRanges(count, grain: 1 << 14, alignment: 8) { range in
                var i = range.lowerBound
                while i + 8 <= range.upperBound {
                    store8(load8(a + i) + load8(b + i), y + i)
                    i += 8
                }
                while i < range.upperBound {
                    y[i] = a[i] + b[i]
                    i += 1
                }
            }
        }
    }

    /// The portable (SIMD8, SSE2) version on one thread, for callers that already split the work.
    static func portableMap(_ x: UnsafeMutablePointer<Float>, count: Int, _ activation: Activation) {
        switch activation {
        case .geluTanh: mapRange(x, 0..<count, GELUTanhFunction.self)
        case .silu: mapRange(x, 0..<count, SiLUFunction.self)
        case .none: break
        }
    }

    /// The AVX2 / AVX-512 version (CKernels), split over the workers.
    static func mapVector(_ x: UnsafeMutablePointer<Float>, count: Int, _ activation: Activation) {
        Parallel.forRanges(count, grain: 1 << 14, alignment: 16) { range in
            dk_bias_activation(x + range.lowerBound, 1, range.count, range.count, nil, activation.rawValue)
        }
    }

    /// Generic over the function type (not a closure) so each use is specialised and `vexp` inlined.
    @inline(__always)
    static func map<F: PointwiseFunction>(_ x: UnsafeMutablePointer<Float>, count: Int, _ f: F.Type) {
        Parallel.forRanges(count, grain: 1 << 14, alignment: 8) { range in mapRange(x, range, f) }
    }

    @inline(__always)
    static func mapRange<F: PointwiseFunction>(_ x: UnsafeMutablePointer<Float>, _ range: Range<Int>, _ f: F.Type) {
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            store8(F.vector(load8(x + i)), x + i)
            i += 8
        }
        while i < range.upperBound {
            x[i] = F.scalar(x[i])
            i += 1
        }
    }
}

/// A pointwise function with vector and scalar (loop tail) forms.
protocol PointwiseFunction {
    static func vector(_ x: Float8) -> Float8
    static func scalar(_ x: Float) -> Float
}

enum GELUTanhFunction: PointwiseFunction {
    @inline(__always) static func vector(_ x: Float8) -> Float8 { vgeluTanh(x) }
    @inline(__always) static func scalar(_ x: Float) -> Float { sgeluTanh(x) }
}

enum SiLUFunction: PointwiseFunction {
    @inline(__always) static func vector(_ x: Float8) -> Float8 { vsilu(x) }
    @inline(__always) static func scalar(_ x: Float) -> Float { ssilu(x) }
}
