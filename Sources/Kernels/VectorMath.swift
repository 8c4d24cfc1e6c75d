/// Vectorised transcendental functions on `SIMD8<Float>`, written with plain multiply/add and integer
/// bit operations so they compile to SSE2 on the baseline x86-64 target (no `-target-cpu` needed, no
/// per-lane libm calls). Swift's `SIMDMask` operations (`.<`, `replacing(with:where:)`,
/// `pointwiseMin/Max`, `clamped`) are avoided: without `-target-cpu` they lower to per-lane scalar
/// code, 20× slower than the rest (measured in docs/benchmarks.md).
public typealias Float8 = SIMD8<Float>

/// Lane-wise max(a, b), exact, via the sign of a - b (no NaN handling).
@inlinable @inline(__always)
public func vmax(_ a: Float8, _ b: Float8) -> Float8 {
    let aLess = unsafeBitCast(a - b, to: SIMD8<Int32>.self) &>> 31  // all ones where a - b < 0 (or -0)
    return unsafeBitCast((unsafeBitCast(a, to: SIMD8<Int32>.self) & ~aLess) | (unsafeBitCast(b, to: SIMD8<Int32>.self) & aLess), to: Float8.self)
}

/// Lane-wise min(a, b), exact, via the sign of a - b (no NaN handling).
@inlinable @inline(__always)
public func vmin(_ a: Float8, _ b: Float8) -> Float8 {
    let aLess = unsafeBitCast(a - b, to: SIMD8<Int32>.self) &>> 31
    return unsafeBitCast((unsafeBitCast(a, to: SIMD8<Int32>.self) & aLess) | (unsafeBitCast(b, to: SIMD8<Int32>.self) & ~aLess), to: Float8.self)
}

@usableFromInline let roundingMagic: Float = 12_582_912  // 1.5 · 2^23: x + magic - magic rounds to an integer

/// e^x, relative error ≤ 2 ulp over the float range; inputs are clamped to [-87.3, 88.7]
/// (results 1.2e-38 … 3.4e38: never denormal, never inf).
@inlinable @inline(__always)
public func vexp(_ input: Float8) -> Float8 {
    let x = vmin(vmax(input, Float8(repeating: -87.33654)), Float8(repeating: 88.72283))
    // n = round(x / ln 2); r = x - n ln 2 with ln 2 split in two for an exact product.
    let shifted = x * 1.442_695_04 + roundingMagic
    let n = shifted - roundingMagic
    var r = x - n * 0.693_359_375
    r = r - n * -2.121_944_40e-4
    // Cephes expf polynomial on [-ln2/2, ln2/2].
    var p = Float8(repeating: 1.987_569_15e-4)
    p = p * r + 1.398_199_950_7e-3
    p = p * r + 8.333_451_907_3e-3
    p = p * r + 4.166_579_589_4e-2
    p = p * r + 1.666_666_545_9e-1
    p = p * r + 5.000_000_120_1e-1
    p = p * (r * r) + r + 1
    // 2^n from the integer held in the low mantissa bits of `shifted`; split in two factors so
    // n = 128 (x near 88.7) does not overflow the exponent field.
    let bits = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
    let half = bits &>> 1
    let scaleA = unsafeBitCast((half &+ 127) &<< 23, to: Float8.self)
    let scaleB = unsafeBitCast((bits &- half &+ 127) &<< 23, to: Float8.self)
    return p * scaleA * scaleB
}

/// 1 / (1 + e^-x).
@inlinable @inline(__always)
public func vsigmoid(_ x: Float8) -> Float8 {
    1 / (1 + vexp(-x))
}

/// x · sigmoid(x) (SiLU / swish).
@inlinable @inline(__always)
public func vsilu(_ x: Float8) -> Float8 {
    x / (1 + vexp(-x))
}

/// GELU with the tanh approximation, `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`, evaluated as the
/// algebraically equal `x / (1 + e^(-2u))` (no cancellation for small u, no overflow for large |u|).
@inlinable @inline(__always)
public func vgeluTanh(_ x: Float8) -> Float8 {
    let u = 0.797_884_560_802_865_4 * (x + 0.044_715 * (x * x * x))
    return x / (1 + vexp(-2 * u))
}

/// Scalar versions for loop tails (same formulas, so tails round like the vector body).
@inlinable @inline(__always)
public func sexp(_ x: Float) -> Float { vexp(Float8(repeating: x))[0] }

@inlinable @inline(__always)
public func ssilu(_ x: Float) -> Float { vsilu(Float8(repeating: x))[0] }

@inlinable @inline(__always)
public func sgeluTanh(_ x: Float) -> Float { vgeluTanh(Float8(repeating: x))[0] }

/// Pointer helpers for unaligned vector loads and stores.
@inlinable @inline(__always)
public func load8(_ p: UnsafePointer<Float>) -> Float8 {
    UnsafeRawPointer(p).loadUnaligned(as: Float8.self)
}

@inlinable @inline(__always)
public func store8(_ v: Float8, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Float8.self)
}
