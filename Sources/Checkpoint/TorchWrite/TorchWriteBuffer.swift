/// A growable little-endian byte buffer for the small structures the `.pt` writer builds in memory
/// (the pickle, zip headers, the central directory).
struct TorchWriteBuffer {
    /// The bytes written so far.
    private(set) var bytes: [UInt8] = []

    init() {}

    var count: Int { bytes.count }

    mutating func u8(_ value: UInt8) { bytes.append(value) }

    mutating func u16(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
    }

    mutating func u32(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    mutating func u64(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    mutating func append<S: Sequence>(_ other: S) where S.Element == UInt8 { bytes.append(contentsOf: other) }

    mutating func append(repeating byte: UInt8, count: Int) { bytes.append(contentsOf: repeatElement(byte, count: count)) }
}
