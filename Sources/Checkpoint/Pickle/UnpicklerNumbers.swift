/// Decoding of pickle's little-endian two's-complement long integers (LONG1 / LONG4).
enum UnpicklerNumbers {
    /// `.int` when the value fits Int64 (with sign extension), else `.bigInt` with minimal bytes.
    static func long(_ raw: UnsafeRawBufferPointer) -> UnpickledValue {
        guard !raw.isEmpty else { return .int(0) }
        var bytes = Array(raw)
        // Drop redundant sign-extension bytes so that equal values compare equal.
        while bytes.count > 1 {
            let last = bytes[bytes.count - 1], previous = bytes[bytes.count - 2]
            if (last == 0x00 && previous & 0x80 == 0) || (last == 0xFF && previous & 0x80 != 0) {
                bytes.removeLast()
            } else {
                break
            }
        }
        guard bytes.count <= 8 else { return .bigInt(bytes) }
        let negative = bytes[bytes.count - 1] & 0x80 != 0
        var value: UInt64 = negative ? ~0 : 0
        for (i, byte) in bytes.enumerated() {
            value &= ~(UInt64(0xFF) << (8 * UInt64(i)))
            value |= UInt64(byte) << (8 * UInt64(i))
        }
        return .int(Int64(bitPattern: value))
    }
}
