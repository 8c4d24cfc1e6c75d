/// Element-type conversion matching PyTorch's CPU casts bit for bit: round-to-nearest-even for
/// f32→f16/bf16 and f64→f32; f64→f16/bf16 go through f32 as torch does (its Half/BFloat16 constructors
/// take a float).
public enum DTypeConversion {
    /// True when `from` → `to` is a supported floating-point conversion.
    public static func isSupported(from: DType, to: DType) -> Bool {
        let floats: Set<DType> = [.f64, .f32, .f16, .bf16]
        return from == to || (floats.contains(from) && floats.contains(to))
    }

    /// f32 → IEEE binary16, round to nearest even (c10::detail::fp16_ieee_from_fp32_value).
    @inline(__always)
    public static func halfBits(fromFloat value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let magnitude = bits & 0x7FFF_FFFF
        if magnitude > 0x7F80_0000 {  // NaN: quiet it, keep the top payload bits (as vcvtps2ph does)
            return sign | 0x7E00 | UInt16((magnitude >> 13) & 0x3FF)
        }
        return sign | Float16(Float(bitPattern: magnitude)).bitPattern
    }

    /// f32 → bfloat16, round to nearest even. torch's CPU casts differ only in the NaN they produce:
    /// the vectorised f32/f64 → bf16 kernel (`cvtfp32_bf16`) writes 0xFFFF, the scalar path used for
    /// f16 → bf16 (`c10::BFloat16`) writes 0x7FC0 — pass the one that matches the source dtype.
    @inline(__always)
    public static func bfloat16Bits(fromFloat value: Float, nan: UInt16 = 0xFFFF) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return nan }
        let roundingBias = ((bits >> 16) & 1) + 0x7FFF
        return UInt16(truncatingIfNeeded: (bits &+ roundingBias) >> 16)
    }

    @inline(__always)
    public static func float(fromHalfBits bits: UInt16) -> Float { Float(Float16(bitPattern: bits)) }

    @inline(__always)
    public static func float(fromBFloat16Bits bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

    /// Converts `count` elements from `source` (of `from`) into `destination` (of `to`).
    public static func convert(_ source: UnsafeRawBufferPointer, from: DType, into destination: UnsafeMutableRawBufferPointer, to: DType, count: Int) {
        if from == to {
            destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[0..<(count * from.byteSize)]))
            return
        }
        let bf16NaN: UInt16 = from == .f16 ? 0x7FC0 : 0xFFFF
        for i in 0..<count {
            let wide: Float
            var double: Double? = nil
            switch from {
            case .f32: wide = source.loadUnaligned(fromByteOffset: i * 4, as: Float.self)
            case .f16: wide = float(fromHalfBits: source.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))
            case .bf16: wide = float(fromBFloat16Bits: source.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))
            case .f64:
                let d = source.loadUnaligned(fromByteOffset: i * 8, as: Double.self)
                double = d
                wide = Float(d)
            default: preconditionFailure("unsupported conversion \(from) → \(to)")
            }
            switch to {
            case .f32: destination.storeBytes(of: wide, toByteOffset: i * 4, as: Float.self)
            case .f16: destination.storeBytes(of: halfBits(fromFloat: wide), toByteOffset: i * 2, as: UInt16.self)
            case .bf16: destination.storeBytes(of: bfloat16Bits(fromFloat: wide, nan: bf16NaN), toByteOffset: i * 2, as: UInt16.self)
            case .f64: destination.storeBytes(of: double ?? Double(wide), toByteOffset: i * 8, as: Double.self)
            default: preconditionFailure("unsupported conversion \(from) → \(to)")
            }
        }
    }
}

extension Tensor {
    /// This tensor with elements converted to `dtype` (lazily, on read). Non-float tensors and
    /// same-dtype requests return `self`.
    public func converted(to target: DType) throws -> Tensor {
        guard target != dtype else { return self }
        guard DTypeConversion.isSupported(from: dtype, to: target) else { return self }
        let source = self
        let count = elementCount
        let storage = ComputedStorage(byteCount: count * target.byteSize) { destination in
            try source.withContiguousBytes { bytes in
                DTypeConversion.convert(bytes, from: source.dtype, into: destination, to: target, count: count)
            }
        }
        return try Tensor(dtype: target, shape: shape, storage: storage)
    }
}
