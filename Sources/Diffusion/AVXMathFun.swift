/// Scalar, bit-exact emulations of `log256_ps` and `sincos256_ps` from avx_mathfun.h (Cephes
/// polynomials), which PyTorch's AVX2 `normal_fill_16` uses for `torch.randn` on CPU. PyTorch is built
/// with GCC and `-mfma`, which contracts each `a * b + c` of those intrinsics into one fused
/// multiply-add; the emulation uses `addingProduct` exactly where GCC fuses, plain operations elsewhere.
enum AVXMathFun {
    static func log(_ input: Float) -> Float {
        let invalid = input <= 0
        var x = max(input, Float(bitPattern: 0x0080_0000))  // _mm256_max_ps(x, min_norm_pos)
        var exponent = Int32(bitPattern: x.bitPattern >> 23)
        x = Float(bitPattern: (x.bitPattern & ~UInt32(0x7F80_0000)) | Float(0.5).bitPattern)
        exponent -= 0x7F
        var e = Float(exponent)
        e = e + 1
        let lessThanSqrtHalf = x < 0.707106781186547524
        let tmp: Float = lessThanSqrtHalf ? x : 0
        x = x - 1
        e = e - (lessThanSqrtHalf ? 1 : 0)
        x = x + tmp
        let z = x * x
        var y: Float = 7.0376836292E-2
        y = Float(-1.1514610310E-1).addingProduct(y, x)
        y = Float(1.1676998740E-1).addingProduct(y, x)
        y = Float(-1.2420140846E-1).addingProduct(y, x)
        y = Float(1.4249322787E-1).addingProduct(y, x)
        y = Float(-1.6668057665E-1).addingProduct(y, x)
        y = Float(2.0000714765E-1).addingProduct(y, x)
        y = Float(-2.4999993993E-1).addingProduct(y, x)
        y = Float(3.3333331174E-1).addingProduct(y, x)
        y = y * x
        y = (e * -2.12194440e-4).addingProduct(y, z)  // GCC fuses the first multiply that feeds the add
        y = y.addingProduct(-z, 0.5)
        x = x + y
        x = x.addingProduct(e, 0.693359375)
        return invalid ? Float(bitPattern: x.bitPattern | 0xFFFF_FFFF) : x
    }

    static func sincos(_ input: Float) -> (sin: Float, cos: Float) {
        var signBitSin = input.bitPattern & 0x8000_0000
        var x = Float(bitPattern: input.bitPattern & 0x7FFF_FFFF)
        var y = x * 1.27323954473516
        var j = Int32(y)  // _mm256_cvttps_epi32 (truncation; inputs here are small and finite)
        j = (j &+ 1) & ~1
        y = Float(j)
        let swapSignSin = UInt32(bitPattern: (j & 4) << 29)
        let polyMask = (j & 2) == 0
        x = x.addingProduct(y, -0.78515625)
        x = x.addingProduct(y, -2.4187564849853515625e-4)
        x = x.addingProduct(y, -3.77489497744594108e-8)
        let signBitCos = UInt32(bitPattern: (~(j &- 2) & 4) << 29)
        signBitSin ^= swapSignSin
        let z = x * x
        var c: Float = 2.443315711809948E-005
        c = Float(-1.388731625493765E-003).addingProduct(c, z)
        c = Float(4.166664568298827E-002).addingProduct(c, z)
        c = c * z
        c = (-(z * 0.5)).addingProduct(c, z)
        c = c + 1
        var s: Float = -1.9515295891E-4
        s = Float(8.3321608736E-3).addingProduct(s, z)
        s = Float(-1.6666654611E-1).addingProduct(s, z)
        s = s * z
        s = x.addingProduct(s, x)
        // Select with the same arithmetic as the vector code (masked parts subtracted, then added).
        let ysin2: Float = polyMask ? s : 0
        let ysin1: Float = polyMask ? 0 : c
        let s2 = s - ysin2, c2 = c - ysin1
        let sinValue = ysin1 + ysin2
        let cosValue = c2 + s2
        return (Float(bitPattern: sinValue.bitPattern ^ signBitSin), Float(bitPattern: cosValue.bitPattern ^ signBitCos))
    }
}
