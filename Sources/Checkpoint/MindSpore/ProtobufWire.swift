/// A bounds-checked reader of protobuf wire format over a mapped file. Positions are absolute file
/// offsets; every length is checked against the enclosing message before it is used, and varints are
/// limited to 10 bytes / 64 bits.
struct ProtobufWireReader {
    let bytes: UnsafeRawBufferPointer
    /// Next unread byte.
    private(set) var position: Int
    /// End of the message being read (exclusive).
    let end: Int

    init(bytes: UnsafeRawBufferPointer, range: Range<Int>) {
        self.bytes = bytes
        self.position = range.lowerBound
        self.end = range.upperBound
    }

    var isAtEnd: Bool { position >= end }

    /// Wire types (the low 3 bits of a field key).
    enum WireType: UInt64 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5
    }

    /// A field key: number and wire type, with the offset where the key starts.
    struct FieldKey {
        var number: UInt64
        var wireType: WireType
        var offset: Int
    }

    /// A base-128 varint (at most 10 bytes, value within 64 bits).
    mutating func readVarint() throws -> UInt64 {
        let start = position
        var value: UInt64 = 0
        for index in 0..<10 {
            guard position < end else {
                throw CheckpointError("truncated varint (the message ends after \(index) of its bytes)", offset: start)
            }
            let byte = bytes[position]
            position += 1
            if index == 9 && byte & 0x80 != 0 { throw CheckpointError("varint longer than 10 bytes", offset: start) }
            if index == 9 && byte > 1 {
                throw CheckpointError("varint overflows 64 bits (10th byte is 0x\(String(format2: byte)))", offset: start)
            }
            value |= UInt64(byte & 0x7F) << (7 * UInt64(index))
            if byte & 0x80 == 0 { return value }
        }
        return value  // unreachable: the 10th byte either ends the varint or throws
    }

    mutating func readKey() throws -> FieldKey {
        let offset = position
        let raw = try readVarint()
        let number = raw >> 3
        guard number != 0 else { throw CheckpointError("invalid protobuf field number 0", offset: offset) }
        guard let wireType = WireType(rawValue: raw & 7) else {
            throw CheckpointError("invalid protobuf wire type \(raw & 7) (field \(number))", offset: offset)
        }
        return FieldKey(number: number, wireType: wireType, offset: offset)
    }

    /// The absolute byte range of a length-delimited payload, checked against the enclosing message.
    mutating func readLengthDelimited() throws -> Range<Int> {
        let start = position
        let length = try readVarint()
        let remaining = end - position
        guard length <= UInt64(remaining) else {
            throw CheckpointError("length \(length) runs past the end of the enclosing message (\(remaining) bytes left)", offset: start)
        }
        let range = position..<(position + Int(length))
        position = range.upperBound
        return range
    }

    /// Skips the value of an unknown field. Groups (deprecated, never written by MindSpore) are refused.
    mutating func skip(_ key: FieldKey) throws {
        switch key.wireType {
        case .varint: _ = try readVarint()
        case .lengthDelimited: _ = try readLengthDelimited()
        case .fixed64: try advance(8, key)
        case .fixed32: try advance(4, key)
        case .startGroup, .endGroup:
            throw CheckpointError("unsupported protobuf group (field \(key.number), wire type \(key.wireType.rawValue))", offset: key.offset)
        }
    }

    private mutating func advance(_ count: Int, _ key: FieldKey) throws {
        guard end - position >= count else {
            throw CheckpointError("field \(key.number) needs \(count) bytes but the message has \(end - position) left", offset: key.offset)
        }
        position += count
    }

    /// A UTF-8 string payload.
    mutating func readString(what: String) throws -> String {
        let start = position
        let range = try readLengthDelimited()
        guard let text = String(validating: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self) else {
            throw CheckpointError("\(what) is not valid UTF-8", offset: start)
        }
        return text
    }
}

/// Protobuf wire encoding helpers for the writer.
enum ProtobufWireWriter {
    /// Number of bytes of `value` as a varint.
    static func varintSize(_ value: UInt64) -> Int {
        var size = 1
        var rest = value >> 7
        while rest != 0 { size += 1; rest >>= 7 }
        return size
    }

    static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var rest = value
        while rest >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        out.append(UInt8(rest))
    }
}
