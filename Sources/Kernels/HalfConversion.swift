/// f16 / bf16 → f32 widening with SIMD bit operations (SSE2 on the baseline target; `Float(Float16)` is
/// a libcall per element there). Exact for every bit pattern, NaN payloads included.
public enum HalfConversion {
    /// Widens `count` IEEE binary16 values.
    public static func widenHalf(_ source: UnsafePointer<UInt16>, _ destination: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            let h = SIMD8<UInt32>(truncatingIfNeeded: UnsafeRawPointer(source + i).loadUnaligned(as: SIMD8<UInt16>.self))
            store8(widen8(h), destination + i)
            i += 8
        }
        while i < count {
            destination[i] = widen8(SIMD8<UInt32>(repeating: UInt32(source[i])))[0]
            i += 1
        }
    }

    /// Widens `count` bfloat16 values (the top half of an f32).
    public static func widenBFloat16(_ source: UnsafePointer<UInt16>, _ destination: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            let h = SIMD8<UInt32>(truncatingIfNeeded: UnsafeRawPointer(source + i).loadUnaligned(as: SIMD8<UInt16>.self))
            store8(unsafeBitCast(h &<< 16, to: Float8.self), destination + i)
            i += 8
        }
        while i < count {
            destination[i] = Float(bitPattern: UInt32(source[i]) << 16)
            i += 1
        }
    }

    /// Eight binary16 bit patterns (zero-extended) → f32: the magnitude bits shifted into an f32 and
    /// multiplied by 2^112 re-bias the exponent exactly (subnormal halves become exact normal floats);
    /// inf/NaN (exponent all ones) get the f32 exponent all ones, payload kept. Integer masks only.
    @inline(__always)
    static func widen8(_ h: SIMD8<UInt32>) -> Float8 {
        let scaled = unsafeBitCast((h & 0x7FFF) &<< 13, to: Float8.self) * Float(bitPattern: 0x7780_0000)
        let special = 0 &- (((h & 0x7C00) &+ 0x0400) &>> 15)  // all ones iff the exponent is 0x1F
        let bits = unsafeBitCast(scaled, to: SIMD8<UInt32>.self) | (special & 0x7F80_0000) | ((h & 0x8000) &<< 16)
        return unsafeBitCast(bits, to: Float8.self)
    }
}
