/// Reading elements as numbers (for diffs, summaries and tests).
extension Tensor {
    /// Every element widened to Double, row-major. Complex tensors yield (re, im) pairs; f8 types are
    /// not decoded (throws).
    public func doubleValues() throws -> [Double] {
        try withContiguousBytes { bytes in
            let n = bytes.count / dtype.byteSize
            var out = [Double]()  // [elementCount] (×2 for complex)
            out.reserveCapacity(dtype == .c64 || dtype == .c128 ? 2 * n : n)
            for i in 0..<n {
                let at = i * dtype.byteSize
                switch dtype {
                case .f64: out.append(bytes.loadUnaligned(fromByteOffset: at, as: Double.self))
                case .f32: out.append(Double(bytes.loadUnaligned(fromByteOffset: at, as: Float.self)))
                case .f16: out.append(Double(DTypeConversion.float(fromHalfBits: bytes.loadUnaligned(fromByteOffset: at, as: UInt16.self))))
                case .bf16: out.append(Double(DTypeConversion.float(fromBFloat16Bits: bytes.loadUnaligned(fromByteOffset: at, as: UInt16.self))))
                case .i64: out.append(Double(bytes.loadUnaligned(fromByteOffset: at, as: Int64.self)))
                case .i32: out.append(Double(bytes.loadUnaligned(fromByteOffset: at, as: Int32.self)))
                case .i16: out.append(Double(bytes.loadUnaligned(fromByteOffset: at, as: Int16.self)))
                case .i8: out.append(Double(bytes.loadUnaligned(fromByteOffset: at, as: Int8.self)))
                case .u64: out.append(Double(bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self)))
                case .u32: out.append(Double(bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
                case .u16: out.append(Double(bytes.loadUnaligned(fromByteOffset: at, as: UInt16.self)))
                case .u8, .bool: out.append(Double(bytes[at]))
                case .c64:
                    out.append(Double(bytes.loadUnaligned(fromByteOffset: at, as: Float.self)))
                    out.append(Double(bytes.loadUnaligned(fromByteOffset: at + 4, as: Float.self)))
                case .c128:
                    out.append(bytes.loadUnaligned(fromByteOffset: at, as: Double.self))
                    out.append(bytes.loadUnaligned(fromByteOffset: at + 8, as: Double.self))
                case .f8e4m3, .f8e5m2:
                    throw CheckpointError("\(dtype) values cannot be decoded for comparison")
                }
            }
            return out
        }
    }

    /// CRC-32 of the dense row-major bytes.
    public func checksum() throws -> UInt32 {
        try withContiguousBytes { CRC32.update(0, $0) }
    }
}
