/// A forward cursor over pickle bytes. Every read is checked against the remaining input before any
/// allocation, and errors carry the absolute file offset (`baseOffset` + position).
struct UnpicklerInput {
    let bytes: UnsafeRawBufferPointer
    /// Absolute file offset of `bytes[0]`.
    let baseOffset: Int
    private(set) var position = 0

    init(bytes: UnsafeRawBufferPointer, baseOffset: Int) {
        self.bytes = bytes
        self.baseOffset = baseOffset
    }

    /// Absolute file offset of the next byte.
    var absolutePosition: Int { baseOffset + position }
    var remaining: Int { bytes.count - position }

    mutating func byte() throws -> UInt8 {
        guard position < bytes.count else {
            throw CheckpointError("pickle ends without STOP (truncated)", offset: absolutePosition)
        }
        defer { position += 1 }
        return bytes[position]
    }

    /// `count` raw bytes; `count` is checked against the remaining input first.
    mutating func take(_ count: Int, _ what: String) throws -> UnsafeRawBufferPointer {
        guard count >= 0, count <= remaining else {
            throw CheckpointError("\(what) length \(count) runs past the end of the pickle (\(remaining) bytes left)", offset: absolutePosition)
        }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
    }

    /// A length given as an unsigned 64-bit field, checked against the remaining input.
    mutating func length(_ raw: UInt64, _ what: String) throws -> Int {
        guard raw <= UInt64(remaining) else {
            throw CheckpointError("\(what) length \(raw) runs past the end of the pickle (\(remaining) bytes left)", offset: absolutePosition)
        }
        return Int(raw)
    }

    mutating func u8() throws -> UInt8 { try byte() }

    mutating func u16() throws -> UInt16 {
        let raw = try take(2, "2-byte argument")
        return UInt16(littleEndian: raw.loadUnaligned(as: UInt16.self))
    }

    mutating func u32() throws -> UInt32 {
        let raw = try take(4, "4-byte argument")
        return UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self))
    }

    mutating func i32() throws -> Int32 { Int32(bitPattern: try u32()) }

    mutating func u64() throws -> UInt64 {
        let raw = try take(8, "8-byte argument")
        return UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
    }

    /// An 8-byte big-endian IEEE-754 double (BINFLOAT).
    mutating func bigEndianDouble() throws -> Double {
        let raw = try take(8, "BINFLOAT argument")
        return Double(bitPattern: UInt64(bigEndian: raw.loadUnaligned(as: UInt64.self)))
    }

    /// A newline-terminated text argument (without the newline), at most `limit` bytes long.
    mutating func line(limit: Int, _ what: String) throws -> String {
        let start = position
        var end = start
        while true {
            guard end < bytes.count else {
                throw CheckpointError("\(what) has no terminating newline", offset: baseOffset + start)
            }
            if bytes[end] == 0x0A { break }
            end += 1
            guard end - start <= limit else {
                throw CheckpointError("\(what) is longer than \(limit) bytes", offset: baseOffset + start)
            }
        }
        position = end + 1
        let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw CheckpointError("\(what) is not valid UTF-8", offset: baseOffset + start)
        }
        return text
    }

    /// Decodes UTF-8 text of a string opcode, refusing invalid sequences.
    func utf8(_ raw: UnsafeRawBufferPointer, at offset: Int) throws -> String {
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw CheckpointError("string is not valid UTF-8", offset: offset)
        }
        return text
    }
}
