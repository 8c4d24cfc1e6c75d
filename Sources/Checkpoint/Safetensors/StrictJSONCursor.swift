/// A JSON syntax error or a type mismatch, at a byte position inside the parsed text.
struct JSONError: Error {
    var message: String
    var position: Int
    /// The tensor entry being decoded, when known.
    var tensor: String? = nil
}

/// A strict, allocation-light JSON pull parser over UTF-8 bytes (RFC 8259 grammar, as serde_json):
/// only space/tab/CR/LF as whitespace, no raw control characters in strings, escapes and surrogate
/// pairs checked, duplicate object keys refused, nesting depth bounded. Integers are parsed exactly.
/// The caller drives it value by value; nothing is built that the caller does not ask for.
struct StrictJSONCursor {
    /// Maximum nesting of arrays and objects (serde_json's own limit is 128).
    static let maxDepth = 64

    let bytes: UnsafeRawBufferPointer
    /// Byte index of the next unread character.
    private(set) var position = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var isAtEnd: Bool { position >= bytes.count }

    /// The next byte, or nil at the end.
    var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

    mutating func skipWhitespace() {
        while let byte = peek, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { position += 1 }
    }

    func error(_ message: String, at offset: Int? = nil) -> JSONError {
        JSONError(message: message, position: offset ?? position)
    }

    private mutating func expect(_ byte: UInt8) throws {
        skipWhitespace()
        guard let next = peek else { throw error("EOF while parsing") }
        guard next == byte else { throw error("expected `\(Character(Unicode.Scalar(byte)))`, found \(describeByte(next))") }
        position += 1
    }

    private func describeByte(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? "`\(Character(Unicode.Scalar(byte)))`" : "byte 0x\(String(format2: byte))"
    }

    // MARK: - Containers

    /// Iterates the members of an object. `member` is called with the key and the key's position, with
    /// the cursor on the member's value, and must consume that value. Duplicate keys are refused.
    mutating func readObject(depth: Int, _ member: (inout StrictJSONCursor, String, Int) throws -> Void) throws {
        guard depth < StrictJSONCursor.maxDepth else { throw error("JSON nested deeper than \(StrictJSONCursor.maxDepth) levels") }
        try expect(0x7B)  // {
        var seen = Set<String>()
        skipWhitespace()
        if peek == 0x7D { position += 1; return }
        while true {
            skipWhitespace()
            let keyPosition = position
            guard peek == 0x22 else {
                throw peek == nil ? error("EOF while parsing an object") : error("key must be a string")
            }
            let key = try readString()
            guard seen.insert(key).inserted else {
                throw error("duplicate key `\(key)` (refused; the reference implementation silently keeps the last)", at: keyPosition)
            }
            try expect(0x3A)  // :
            skipWhitespace()
            try member(&self, key, keyPosition)
            skipWhitespace()
            guard let next = peek else { throw error("EOF while parsing an object") }
            position += 1
            if next == 0x7D { return }
            guard next == 0x2C else { throw error("expected `,` or `}`", at: position - 1) }
        }
    }

    /// Iterates the elements of an array; `element` is called with the element index and must consume it.
    mutating func readArray(depth: Int, _ element: (inout StrictJSONCursor, Int) throws -> Void) throws {
        guard depth < StrictJSONCursor.maxDepth else { throw error("JSON nested deeper than \(StrictJSONCursor.maxDepth) levels") }
        try expect(0x5B)  // [
        skipWhitespace()
        if peek == 0x5D { position += 1; return }
        var index = 0
        while true {
            skipWhitespace()
            try element(&self, index)
            index += 1
            skipWhitespace()
            guard let next = peek else { throw error("EOF while parsing a list") }
            position += 1
            if next == 0x5D { return }
            guard next == 0x2C else { throw error("expected `,` or `]`", at: position - 1) }
        }
    }

    /// Validates and skips any value (with duplicate-key checks in nested objects).
    mutating func skipValue(depth: Int) throws {
        skipWhitespace()
        guard let next = peek else { throw error("EOF while parsing a value") }
        switch next {
        case 0x7B: try readObject(depth: depth + 1) { cursor, _, _ in try cursor.skipValue(depth: depth + 1) }
        case 0x5B: try readArray(depth: depth + 1) { cursor, _ in try cursor.skipValue(depth: depth + 1) }
        case 0x22: _ = try readString()
        case 0x2D, 0x30...0x39: _ = try readNumberToken()
        case 0x74: try readLiteral("true")
        case 0x66: try readLiteral("false")
        case 0x6E: try readLiteral("null")
        default: throw error("expected value, found \(describeByte(next))")
        }
    }

    /// True (and consumed) when the next value is `null`.
    mutating func readNullIfPresent() throws -> Bool {
        skipWhitespace()
        guard peek == 0x6E else { return false }
        try readLiteral("null")
        return true
    }

    private mutating func readLiteral(_ word: String) throws {
        let start = position
        for expected in word.utf8 {
            guard let byte = peek, byte == expected else { throw error("expected ident", at: start) }
            position += 1
        }
    }

    // MARK: - Scalars

    /// Describes the next value as serde does in "invalid type" messages (`string "x"`, `integer `1``,
    /// `sequence`, `map`, ...), without consuming it.
    func describeNextValue() -> String {
        var probe = self
        probe.skipWhitespace()
        guard let next = probe.peek else { return "end of input" }
        switch next {
        case 0x22: return (try? probe.readString()).map { "string \"\(StrictJSONCursor.abbreviated($0))\"" } ?? "string"
        case 0x2D, 0x30...0x39:
            guard let token = try? probe.readNumberToken() else { return "number" }
            return token.isInteger ? "integer `\(token.text)`" : "floating point `\(token.text)`"
        case 0x5B: return "sequence"
        case 0x7B: return "map"
        case 0x74, 0x66: return "boolean `\(next == 0x74 ? "true" : "false")`"
        case 0x6E: return "null"
        default: return describeByte(next)
        }
    }

    /// `text` cut to 80 characters for error messages.
    static func abbreviated(_ text: String) -> String {
        text.count <= 80 ? text : String(text.prefix(77)) + "..."
    }

    /// A string value (cursor on its opening quote), with escapes decoded. The input is known-valid UTF-8.
    mutating func readString() throws -> String {
        skipWhitespace()
        guard peek == 0x22 else { throw error("invalid type: \(describeNextValue()), expected a string") }
        position += 1
        let start = position
        // Fast path: no escapes.
        while let byte = peek, byte != 0x22, byte != 0x5C {
            guard byte >= 0x20 else { throw error("control character (\\u0000-\\u001F) found while parsing a string") }
            position += 1
        }
        guard let stop = peek else { throw error("EOF while parsing a string") }
        if stop == 0x22 {
            position += 1
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<(position - 1)]), as: UTF8.self)
        }
        var decoded = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<position]))  // [≤ string length] UTF-8
        while true {
            guard let byte = peek else { throw error("EOF while parsing a string") }
            position += 1
            switch byte {
            case 0x22:
                return String(decoding: decoded, as: UTF8.self)
            case 0x5C:
                try readEscape(into: &decoded)
            case 0x00..<0x20:
                throw error("control character (\\u0000-\\u001F) found while parsing a string", at: position - 1)
            default:
                decoded.append(byte)
            }
        }
    }

    private mutating func readEscape(into decoded: inout [UInt8]) throws {
        let escapeStart = position - 1
        guard let kind = peek else { throw error("EOF while parsing a string") }
        position += 1
        switch kind {
        case 0x22, 0x5C, 0x2F: decoded.append(kind)
        case 0x62: decoded.append(0x08)
        case 0x66: decoded.append(0x0C)
        case 0x6E: decoded.append(0x0A)
        case 0x72: decoded.append(0x0D)
        case 0x74: decoded.append(0x09)
        case 0x75:
            var value = try readHex4()
            if (0xDC00...0xDFFF).contains(value) {
                throw error("lone trailing surrogate in hex escape", at: escapeStart)
            }
            if (0xD800...0xDBFF).contains(value) {
                guard peek == 0x5C, position + 1 < bytes.count, bytes[position + 1] == 0x75 else {
                    throw error("lone leading surrogate in hex escape", at: escapeStart)
                }
                position += 2
                let low = try readHex4()
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw error("lone leading surrogate in hex escape", at: escapeStart)
                }
                value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let scalar = Unicode.Scalar(value) else { throw error("invalid unicode code point", at: escapeStart) }
            UTF8.encode(scalar) { decoded.append($0) }
        default:
            throw error("invalid escape", at: escapeStart)
        }
    }

    private mutating func readHex4() throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = peek else { throw error("EOF while parsing a string") }
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
            default: throw error("invalid escape")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    /// The text of a number (RFC 8259 grammar) and whether it is an integer (no fraction or exponent).
    struct NumberToken {
        var text: String
        var isInteger: Bool
        var isNegative: Bool
    }

    mutating func readNumberToken() throws -> NumberToken {
        skipWhitespace()
        let start = position
        var isInteger = true
        let isNegative = peek == 0x2D
        if isNegative { position += 1 }
        func digits(_ cursor: inout StrictJSONCursor) -> Int {
            var count = 0
            while let byte = cursor.peek, (0x30...0x39).contains(byte) { cursor.position += 1; count += 1 }
            return count
        }
        guard let first = peek, (0x30...0x39).contains(first) else { throw error("invalid number", at: start) }
        if first == 0x30 {
            position += 1
            if let next = peek, (0x30...0x39).contains(next) { throw error("invalid number", at: start) }
        } else {
            _ = digits(&self)
        }
        if peek == 0x2E {
            isInteger = false
            position += 1
            guard digits(&self) > 0 else { throw error("invalid number", at: start) }
        }
        if peek == 0x65 || peek == 0x45 {
            isInteger = false
            position += 1
            if peek == 0x2B || peek == 0x2D { position += 1 }
            guard digits(&self) > 0 else { throw error("invalid number", at: start) }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        return NumberToken(text: text, isInteger: isInteger, isNegative: isNegative)
    }

    /// A non-negative integer that fits in `Int` (serde's `usize` on 64-bit targets, minus the top bit).
    /// Anything else is a type error naming `expected`.
    mutating func readNonNegativeInteger(expected: String) throws -> Int {
        skipWhitespace()
        let start = position
        guard let first = peek, first == 0x2D || (0x30...0x39).contains(first) else {
            throw error("invalid type: \(describeNextValue()), expected \(expected)")
        }
        let token = try readNumberToken()
        guard token.isInteger else { throw error("invalid type: floating point `\(token.text)`, expected \(expected)", at: start) }
        guard !token.isNegative else { throw error("invalid value: integer `\(token.text)`, expected \(expected)", at: start) }
        var value = 0
        for digit in token.text.utf8 {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(digit - 0x30))
            guard !o1, !o2 else { throw error("integer `\(token.text)` is too large", at: start) }
            value = sum
        }
        return value
    }
}
