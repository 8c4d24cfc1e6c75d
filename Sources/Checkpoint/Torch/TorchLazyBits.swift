/// Applies torch's lazy negative / conjugate bits to dense element bytes, and swaps byte order.
enum TorchLazyBits {
    /// True when `negate`/`conjugate` can be applied to `dtype`.
    static func canApply(negate: Bool, to dtype: DType) -> Bool {
        !(negate && dtype == .bool)
    }

    /// Negates (every component) and/or conjugates (flips the imaginary part) dense elements in place.
    /// Floating-point negation flips the sign bit, as torch's `-x`; integers negate with wrap-around.
    static func apply(negate: Bool, conjugate: Bool, dtype: DType, to buffer: UnsafeMutableRawBufferPointer) {
        let conjugate = conjugate && (dtype == .c64 || dtype == .c128)
        guard negate || conjugate else { return }
        switch dtype {
        case .f64, .f32, .f16, .bf16, .f8e4m3, .f8e5m2:
            flipSignBits(buffer, width: dtype.byteSize, stride: dtype.byteSize)
        case .c64, .c128:
            let half = dtype.byteSize / 2
            if negate { flipSignBits(buffer, width: half, stride: half) }
            if conjugate { flipSignBits(UnsafeMutableRawBufferPointer(rebasing: buffer[half...]), width: half, stride: dtype.byteSize) }
        case .i64, .u64: negateIntegers(buffer, as: UInt64.self)
        case .i32, .u32: negateIntegers(buffer, as: UInt32.self)
        case .i16, .u16: negateIntegers(buffer, as: UInt16.self)
        case .i8, .u8: negateIntegers(buffer, as: UInt8.self)
        case .bool: break
        }
    }

    /// Reverses the bytes of every element (each half separately for complex types).
    static func swapBytes(_ data: inout [UInt8], dtype: DType) {
        let width = dtype == .c64 || dtype == .c128 ? dtype.byteSize / 2 : dtype.byteSize
        guard width > 1 else { return }
        var start = 0
        while start + width <= data.count {
            data[start..<(start + width)].reverse()
            start += width
        }
    }

    /// XORs the top bit of the last (most significant, little-endian) byte of each `width`-byte value.
    private static func flipSignBits(_ buffer: UnsafeMutableRawBufferPointer, width: Int, stride: Int) {
        var index = width - 1
        while index < buffer.count {
            buffer[index] ^= 0x80
            index += stride
        }
    }

    private static func negateIntegers<T: FixedWidthInteger & UnsignedInteger>(_ buffer: UnsafeMutableRawBufferPointer, as type: T.Type) {
        let size = MemoryLayout<T>.size
        var offset = 0
        while offset + size <= buffer.count {
            let value = buffer.loadUnaligned(fromByteOffset: offset, as: T.self)
            buffer.storeBytes(of: 0 &- value, toByteOffset: offset, as: T.self)
            offset += size
        }
    }
}
