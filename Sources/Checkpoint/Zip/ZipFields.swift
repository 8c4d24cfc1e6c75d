/// Bounds-checked little-endian field reads over a mapped file, for the zip structures.
///
/// Every read names the absolute byte offset and the structure being parsed when it fails, so a
/// truncated or corrupt archive is reported precisely instead of trapping.
struct ZipFields {
    let bytes: UnsafeRawBufferPointer

    /// Checks that `[offset, offset + length)` lies inside the file.
    func require(_ offset: Int, _ length: Int, _ what: String) throws {
        let (end, overflow) = offset.addingReportingOverflow(length)
        guard offset >= 0, length >= 0, !overflow, end <= bytes.count else {
            throw CheckpointError("\(what) (\(length) bytes) runs past the end of the file (\(bytes.count) bytes)", offset: offset)
        }
    }

    func u16(_ offset: Int, _ what: String) throws -> UInt16 {
        try require(offset, 2, what)
        return UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    func u32(_ offset: Int, _ what: String) throws -> UInt32 {
        try require(offset, 4, what)
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    func u64(_ offset: Int, _ what: String) throws -> UInt64 {
        try require(offset, 8, what)
        return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// A 64-bit size or offset as `Int`, refusing values beyond the file size (which no valid field has).
    func offsetValue(_ value: UInt64, at offset: Int, _ what: String) throws -> Int {
        guard value <= UInt64(bytes.count) else {
            throw CheckpointError("\(what) \(value) is beyond the file size \(bytes.count)", offset: offset)
        }
        return Int(value)
    }

    /// The raw bytes of `[offset, offset + length)`.
    func slice(_ offset: Int, _ length: Int, _ what: String) throws -> UnsafeRawBufferPointer {
        try require(offset, length, what)
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)])
    }
}
