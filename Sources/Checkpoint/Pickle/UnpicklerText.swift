/// The text arguments of protocol 0 and 1 opcodes (INT, LONG, FLOAT, STRING, UNICODE, GET, PUT),
/// decoded exactly as CPython does — and accepted only where CPython's two unpicklers agree.
///
/// CPython's C unpickler (`_pickle.c`) parses INT with `strtol(s, &end, 0)` first (so `010` is octal 8,
/// `+1` and ` 1` become True, `12\0junk` is 12) and falls back to `PyLong_FromString`, while the
/// pure-Python one (`Lib/pickle.py`) calls `int(line, 0)` (where `010` is an error). FLOAT: C uses
/// `PyOS_string_to_double` (no whitespace or underscores, overflow is an error), Python `float()`
/// (both allowed, overflow gives inf). A text argument is accepted only when both give the same value,
/// so no file reads one way here and another way in some CPython.
enum UnpicklerText {
    // MARK: - Integers

    /// INT: `00`/`01` are False/True; otherwise a Python base-0 integer, as both unpicklers read it.
    /// `line` excludes the newline.
    static func int(_ line: [UInt8]) -> UnpickledValue? {
        let python: UnpickledValue?
        if line == [0x30, 0x30] {
            python = .bool(false)
        } else if line == [0x30, 0x31] {
            python = .bool(true)
        } else {
            python = pythonInt(line, base0: true)
        }
        guard let python else { return nil }
        // The C unpickler: strtol over the line up to its newline (or first NUL).
        let c: UnpickledValue?
        if let (value, complete) = strtol(line), complete {
            if line.count + 1 == 3 && (value == 0 || value == 1) {
                c = .bool(value == 1)
            } else {
                c = .int(value)
            }
        } else {
            c = pythonInt(Array(line.prefix { $0 != 0 }), base0: true)
        }
        guard let c, same(python, c) else { return nil }
        return python
    }

    /// LONG: the same integer with an optional trailing `L`.
    static func long(_ line: [UInt8]) -> UnpickledValue? {
        var text = line
        if text.last == 0x4C { text.removeLast() }
        guard !text.contains(0) else { return nil }  // C stops at a NUL, Python refuses it
        return pythonInt(text, base0: true)
    }

    /// GET/PUT memo index: a base-10 Python integer in 0...UInt32.max.
    static func memoIndex(_ line: [UInt8]) -> UInt32? {
        guard !line.contains(0), case .int(let value)? = pythonInt(line, base0: false),
              value >= 0, value <= Int64(UInt32.max) else { return nil }
        return UInt32(value)
    }

    /// `int(text, 0)` (or base 10): optional whitespace and sign, a 0x/0o/0b prefix, single underscores
    /// between digits, no leading zeros in a non-zero base-0 decimal.
    static func pythonInt(_ text: [UInt8], base0: Bool) -> UnpickledValue? {
        var start = 0, end = text.count
        while start < end, isSpace(text[start]) { start += 1 }
        while end > start, isSpace(text[end - 1]) { end -= 1 }
        var negative = false
        if start < end, text[start] == 0x2B || text[start] == 0x2D {
            negative = text[start] == 0x2D
            start += 1
        }
        var base: UInt32 = 10
        var decimalWithLeadingZero = false
        if base0, start + 1 < end, text[start] == 0x30 {
            switch text[start + 1] | 0x20 {
            case 0x78: base = 16
            case 0x6F: base = 8
            case 0x62: base = 2
            default: decimalWithLeadingZero = true
            }
            if base != 10 {
                start += 2
                if start < end, text[start] == 0x5F { start += 1 }
            }
        }
        var limbs: [UInt32] = [0]  // magnitude, little-endian base 2^32
        var digits = 0
        var previousUnderscore = false
        var allZero = true
        for index in start..<end {
            let byte = text[index]
            if byte == 0x5F {
                guard digits > 0, !previousUnderscore else { return nil }
                previousUnderscore = true
                continue
            }
            guard let digit = digitValue(byte), digit < base else { return nil }
            previousUnderscore = false
            digits += 1
            if digit != 0 { allZero = false }
            var carry = UInt64(digit)
            for i in limbs.indices {
                let product = UInt64(limbs[i]) * UInt64(base) + carry
                limbs[i] = UInt32(truncatingIfNeeded: product)
                carry = product >> 32
            }
            if carry != 0 { limbs.append(UInt32(carry)) }
        }
        guard digits > 0, !previousUnderscore else { return nil }
        if decimalWithLeadingZero, !allZero { return nil }
        var bytes: [UInt8] = []
        for limb in limbs { for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: limb >> UInt32(shift))) } }
        bytes.append(0)  // sign byte: the magnitude is non-negative
        if negative {
            var carry = true
            for i in bytes.indices {
                let inverted = ~bytes[i]
                bytes[i] = carry ? inverted &+ 1 : inverted
                carry = carry && inverted == 0xFF
            }
        }
        return bytes.withUnsafeBytes { UnpicklerNumbers.long($0) }
    }

    /// C `strtol(s, &end, 0)` on the line: the value and whether it ended at the newline or a NUL.
    /// nil when no digits were read or the value overflows (the C unpickler then falls back).
    private static func strtol(_ line: [UInt8]) -> (Int64, Bool)? {
        var i = 0
        while i < line.count, isSpace(line[i]) { i += 1 }
        var negative = false
        if i < line.count, line[i] == 0x2B || line[i] == 0x2D {
            negative = line[i] == 0x2D
            i += 1
        }
        var base: UInt64 = 10
        if i < line.count, line[i] == 0x30 {
            if i + 2 < line.count, line[i + 1] | 0x20 == 0x78, let d = digitValue(line[i + 2]), d < 16 {
                base = 16
                i += 2
            } else {
                base = 8
            }
        }
        var magnitude: UInt64 = 0
        var digits = 0
        while i < line.count, let d = digitValue(line[i]), UInt64(d) < base {
            let (product, overflow1) = magnitude.multipliedReportingOverflow(by: base)
            let (sum, overflow2) = product.addingReportingOverflow(UInt64(d))
            guard !overflow1, !overflow2 else { return nil }
            magnitude = sum
            digits += 1
            i += 1
        }
        guard digits > 0 else { return nil }
        let limit: UInt64 = negative ? UInt64(Int64.max) + 1 : UInt64(Int64.max)
        guard magnitude <= limit else { return nil }
        let value = negative ? Int64(bitPattern: 0 &- magnitude) : Int64(magnitude)
        return (value, i == line.count || line[i] == 0)
    }

    private static func same(_ a: UnpickledValue, _ b: UnpickledValue) -> Bool {
        switch (a, b) {
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.bigInt(let x), .bigInt(let y)): return x == y
        default: return false
        }
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) }

    private static func digitValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case 0x30...0x39: return UInt32(byte - 0x30)
        case 0x61...0x7A: return UInt32(byte - 0x61 + 10)
        case 0x41...0x5A: return UInt32(byte - 0x41 + 10)
        default: return nil
        }
    }

    // MARK: - Floats

    /// FLOAT: the strict decimal (or inf/infinity/nan) form both unpicklers accept; overflow refused.
    static func float(_ line: [UInt8]) -> Double? {
        var i = 0
        var negative = false
        if i < line.count, line[i] == 0x2B || line[i] == 0x2D {
            negative = line[i] == 0x2D
            i += 1
        }
        let word = String(decoding: line[i...], as: UTF8.self).lowercased()
        if word == "inf" || word == "infinity" { return negative ? -.infinity : .infinity }
        if word == "nan" { return Double(bitPattern: negative ? 0xFFF8_0000_0000_0000 : 0x7FF8_0000_0000_0000) }
        var integerDigits = 0, fractionDigits = 0
        while i < line.count, line[i] >= 0x30, line[i] <= 0x39 { i += 1; integerDigits += 1 }
        if i < line.count, line[i] == 0x2E {
            i += 1
            while i < line.count, line[i] >= 0x30, line[i] <= 0x39 { i += 1; fractionDigits += 1 }
        }
        guard integerDigits + fractionDigits > 0 else { return nil }
        if i < line.count, line[i] | 0x20 == 0x65 {
            i += 1
            if i < line.count, line[i] == 0x2B || line[i] == 0x2D { i += 1 }
            var exponentDigits = 0
            while i < line.count, line[i] >= 0x30, line[i] <= 0x39 { i += 1; exponentDigits += 1 }
            guard exponentDigits > 0 else { return nil }
        }
        guard i == line.count, let value = Double(String(decoding: line, as: UTF8.self)), value.isFinite else { return nil }
        return value
    }

    // MARK: - Strings

    /// STRING: a quoted Python 2 `repr`, decoded with `codecs.escape_decode`; nil when malformed
    /// (unquoted, trailing backslash, bad `\x`). The bytes are then decoded as UTF-8 by the caller.
    static func quotedString(_ line: [UInt8]) -> [UInt8]? {
        guard line.count >= 2, let quote = line.first, quote == line.last, quote == 0x27 || quote == 0x22 else { return nil }
        let body = line[1..<(line.count - 1)]
        var out: [UInt8] = []
        var i = body.startIndex
        while i < body.endIndex {
            let byte = body[i]
            i += 1
            guard byte == 0x5C else { out.append(byte); continue }
            guard i < body.endIndex else { return nil }  // "Trailing \ in string"
            let escape = body[i]
            i += 1
            switch escape {
            case 0x0A: break
            case 0x5C, 0x27, 0x22: out.append(escape)
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0C)
            case 0x74: out.append(0x09)
            case 0x6E: out.append(0x0A)
            case 0x72: out.append(0x0D)
            case 0x76: out.append(0x0B)
            case 0x61: out.append(0x07)
            case 0x30...0x37:
                var value = UInt32(escape - 0x30)
                for _ in 0..<2 where i < body.endIndex && body[i] >= 0x30 && body[i] <= 0x37 {
                    value = value * 8 + UInt32(body[i] - 0x30)
                    i += 1
                }
                out.append(UInt8(truncatingIfNeeded: value))
            case 0x78:
                guard i + 1 < body.endIndex, let high = hexValue(body[i]), let low = hexValue(body[i + 1]) else { return nil }
                out.append(high << 4 | low)
                i += 2
            default:
                out.append(0x5C)
                i -= 1  // an unknown escape keeps its backslash; the character is read again
            }
        }
        return out
    }

    /// UNICODE: `raw-unicode-escape`: bytes are Latin-1 code points except `\uXXXX` / `\UXXXXXXXX` after
    /// an odd number of backslashes. nil when truncated, out of range or a surrogate (which Python
    /// allows in a str but no checkpoint holds; refused here).
    static func rawUnicodeEscape(_ line: [UInt8]) -> String? {
        var scalars = String.UnicodeScalarView()
        var i = 0
        var backslashes = 0
        while i < line.count {
            let byte = line[i]
            if (byte == 0x75 || byte == 0x55), backslashes % 2 == 1 {
                scalars.removeLast()  // the escaping backslash
                let count = byte == 0x75 ? 4 : 8
                var value: UInt32 = 0
                for k in 1...count {
                    guard i + k < line.count, let digit = hexValue(line[i + k]) else { return nil }
                    value = value << 4 | UInt32(digit)
                }
                guard let scalar = Unicode.Scalar(value) else { return nil }
                scalars.append(scalar)
                i += count + 1
                backslashes = 0
                continue
            }
            backslashes = byte == 0x5C ? backslashes + 1 : 0
            scalars.append(Unicode.Scalar(byte))
            i += 1
        }
        return String(scalars)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x61...0x66: return byte - 0x61 + 10
        case 0x41...0x46: return byte - 0x41 + 10
        default: return nil
        }
    }
}
