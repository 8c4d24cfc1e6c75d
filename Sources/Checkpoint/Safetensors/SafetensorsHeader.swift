/// One tensor entry of a safetensors header, as declared.
struct SafetensorsHeaderEntry {
    var name: String
    var dtype: SafetensorsDType
    /// Size of each dimension; `[]` for a 0-d tensor.
    var shape: [Int]
    /// `data_offsets`, relative to the start of the byte buffer.
    var begin: Int
    var end: Int
    /// Byte index of the entry's key in the header text.
    var headerPosition: Int
}

/// The decoded JSON header of a safetensors file: entries in header order plus `__metadata__`.
///
/// Decoding follows serde's rules for the reference `HashMetadata` (same error texts), and is stricter
/// where the reference is lenient: duplicate keys anywhere are refused, and ranks are capped.
struct SafetensorsHeader {
    /// Highest rank accepted for a tensor (the format has no limit; real models use ≤ 5).
    static let maxRank = 64

    var entries: [SafetensorsHeaderEntry]
    /// `__metadata__`; nil when absent or `null`.
    var metadata: [String: String]?

    /// Parses `text` (the header bytes, already checked to be UTF-8).
    static func parse(_ text: UnsafeRawBufferPointer) throws -> SafetensorsHeader {
        var cursor = StrictJSONCursor(text)
        var header = SafetensorsHeader(entries: [], metadata: nil)
        cursor.skipWhitespace()
        guard cursor.peek == 0x7B else {
            throw cursor.error(cursor.isAtEnd ? "EOF while parsing a value"
                               : "invalid type: \(cursor.describeNextValue()), expected struct HashMetadata (the header must be a JSON object)")
        }
        try cursor.readObject(depth: 0) { cursor, key, keyPosition in
            if key == "__metadata__" {
                header.metadata = try readMetadata(&cursor)
            } else {
                do {
                    header.entries.append(try readEntry(&cursor, name: key, keyPosition: keyPosition))
                } catch var error as JSONError {
                    error.tensor = key
                    throw error
                }
            }
        }
        cursor.skipWhitespace()
        guard cursor.isAtEnd else { throw cursor.error("trailing characters") }
        return header
    }

    private static func readMetadata(_ cursor: inout StrictJSONCursor) throws -> [String: String]? {
        if try cursor.readNullIfPresent() { return nil }
        guard cursor.peek == 0x7B else {
            throw cursor.error("invalid type: \(cursor.describeNextValue()), expected a map of strings (`__metadata__`)")
        }
        var metadata: [String: String] = [:]
        try cursor.readObject(depth: 1) { cursor, key, _ in
            metadata[key] = try cursor.readString()
        }
        return metadata
    }

    private static func readEntry(_ cursor: inout StrictJSONCursor, name: String, keyPosition: Int) throws -> SafetensorsHeaderEntry {
        guard cursor.peek == 0x7B else {
            throw cursor.error("invalid type: \(cursor.describeNextValue()), expected struct TensorInfo")
        }
        var dtype: SafetensorsDType?
        var shape: [Int]?
        var offsets: [Int]?
        try cursor.readObject(depth: 1) { cursor, field, _ in
            switch field {
            case "dtype":
                let valuePosition = cursor.position
                let spelling = try cursor.readString()
                guard let parsed = SafetensorsDType(name: spelling) else {
                    throw cursor.error("unknown variant `\(StrictJSONCursor.abbreviated(spelling))`, expected one of \(SafetensorsDType.expectedList)", at: valuePosition)
                }
                dtype = parsed
            case "shape":
                shape = try readIntegers(&cursor, limit: maxRank, what: "shape")
            case "data_offsets":
                let start = cursor.position
                let pair = try readIntegers(&cursor, limit: 3, what: "data_offsets")
                guard pair.count == 2 else {
                    throw cursor.error("invalid length \(pair.count), expected 2 elements in sequence", at: start)
                }
                offsets = pair
            default:
                try cursor.skipValue(depth: 2)  // unknown fields are ignored, as serde does
            }
        }
        guard let dtype else { throw cursor.error("missing field `dtype`", at: keyPosition) }
        guard let shape else { throw cursor.error("missing field `shape`", at: keyPosition) }
        guard let offsets else { throw cursor.error("missing field `data_offsets`", at: keyPosition) }
        return SafetensorsHeaderEntry(name: name, dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1], headerPosition: keyPosition)
    }

    /// An array of non-negative integers with at most `limit` elements (`limit` reports as too long).
    private static func readIntegers(_ cursor: inout StrictJSONCursor, limit: Int, what: String) throws -> [Int] {
        guard cursor.peek == 0x5B else {
            throw cursor.error("invalid type: \(cursor.describeNextValue()), expected a sequence (`\(what)`)")
        }
        var values: [Int] = []
        let start = cursor.position
        try cursor.readArray(depth: 2) { cursor, index in
            guard index < limit else {
                throw cursor.error(what == "shape" ? "shape has more than \(limit) dimensions" : "invalid length (more than \(limit - 1)), expected 2 elements in sequence", at: start)
            }
            values.append(try cursor.readNonNegativeInteger(expected: "usize"))
        }
        return values
    }
}
