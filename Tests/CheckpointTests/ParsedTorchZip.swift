import XCTest

/// A small, independent zip parser for checking the `.pt` writer's output: end records, central
/// directory (with zip64 extras), local headers with their `FB` / zip64 extras, payloads and data
/// descriptors. Every read is bounds-checked and throws, so malformed output fails a test instead of
/// crashing the run.
struct ParsedTorchZip {
    struct Descriptor: Equatable {
        var crc: UInt32
        var compressed: UInt64
        var uncompressed: UInt64
        var isZip64 = false
    }

    /// The raw 32-bit central-directory fields (0xFFFFFFFF when the value lives in the zip64 extra).
    struct CentralFields: Equatable {
        var compressed: UInt32
        var uncompressed: UInt32
        var offset: UInt32
    }

    struct Entry {
        var name: String
        var flags: UInt16
        var crc: UInt32
        var size: Int
        var headerOffset: UInt64
        var centralFields: CentralFields
        var centralZip64: [UInt64]
        var localZip64: [UInt64]
        var alignmentPadding: [UInt8]
        var dataOffset: Int
        var data: [UInt8]
        var descriptor: Descriptor?
        /// First byte after the payload and its descriptor.
        var endOffset: Int
    }

    struct ClassicEnd {
        var entryCount: UInt16
        var directorySize: UInt32
        var directoryOffset: UInt32
    }

    struct Malformed: Error, CustomStringConvertible { let description: String }

    let entries: [Entry]
    let classicEnd: ClassicEnd
    let zip64EntryCount: UInt64
    let directoryOffset: Int

    init(_ bytes: [UInt8]) throws {
        let reader = Reader(bytes: bytes)
        let endOffset = bytes.count - 22
        guard try reader.u32(endOffset) == 0x0605_4B50 else { throw Malformed(description: "no end record in the last 22 bytes") }
        classicEnd = ClassicEnd(entryCount: try reader.u16(endOffset + 10), directorySize: try reader.u32(endOffset + 12),
                                directoryOffset: try reader.u32(endOffset + 16))
        let locator = endOffset - 20
        guard try reader.u32(locator) == 0x0706_4B50, try reader.u32(locator + 16) == 1 else { throw Malformed(description: "no zip64 locator") }
        let zip64End = try reader.int(try reader.u64(locator + 8))
        guard zip64End + 56 == locator, try reader.u32(zip64End) == 0x0606_4B50, try reader.u64(zip64End + 4) == 44,
              try reader.u16(zip64End + 12) == 0x031E, try reader.u16(zip64End + 14) == 0x002D else {
            throw Malformed(description: "bad zip64 end record")
        }
        zip64EntryCount = try reader.u64(zip64End + 24)
        let directorySize = try reader.int(try reader.u64(zip64End + 40))
        directoryOffset = try reader.int(try reader.u64(zip64End + 48))
        guard directoryOffset + directorySize == zip64End else { throw Malformed(description: "central directory does not end at the zip64 end record") }

        var parsed: [Entry] = []
        var cursor = directoryOffset
        for _ in 0..<zip64EntryCount {
            parsed.append(try ParsedTorchZip.entry(reader, central: &cursor))
        }
        guard cursor == zip64End else { throw Malformed(description: "central directory size mismatch") }
        entries = parsed
    }

    func data(_ name: String) -> [UInt8]? { entries.first { $0.name == name }?.data }

    private static func entry(_ reader: Reader, central cursor: inout Int) throws -> Entry {
        let c = cursor
        guard try reader.u32(c) == 0x0201_4B50 else { throw Malformed(description: "bad central header at \(c)") }
        guard try reader.u16(c + 10) == 0 else { throw Malformed(description: "compressed entry at \(c)") }
        let flags = try reader.u16(c + 8)
        let crc = try reader.u32(c + 16)
        let fields = CentralFields(compressed: try reader.u32(c + 20), uncompressed: try reader.u32(c + 24), offset: try reader.u32(c + 42))
        let nameLength = Int(try reader.u16(c + 28)), extraLength = Int(try reader.u16(c + 30)), commentLength = Int(try reader.u16(c + 32))
        let name = String(decoding: try reader.slice(c + 46, nameLength), as: UTF8.self)
        let centralExtras = try fieldsOf(reader, start: c + 46 + nameLength, length: extraLength)
        cursor = c + 46 + nameLength + extraLength + commentLength
        let centralZip64 = try u64s(centralExtras[0x0001] ?? [])
        var zip64Values = centralZip64[...]
        func resolve(_ value: UInt32) throws -> UInt64 {
            guard value == 0xFFFF_FFFF else { return UInt64(value) }
            guard let next = zip64Values.popFirst() else { throw Malformed(description: "\(name): missing zip64 value") }
            return next
        }
        let uncompressed = try resolve(fields.uncompressed)
        let compressed = try resolve(fields.compressed)
        let headerOffset = try resolve(fields.offset)
        guard compressed == uncompressed else { throw Malformed(description: "\(name): stored sizes differ") }

        let h = try reader.int(headerOffset)
        guard try reader.u32(h) == 0x0403_4B50 else { throw Malformed(description: "\(name): bad local header") }
        guard try reader.u16(h + 6) == flags else { throw Malformed(description: "\(name): local/central flags differ") }
        let localNameLength = Int(try reader.u16(h + 26)), localExtraLength = Int(try reader.u16(h + 28))
        guard try reader.slice(h + 30, localNameLength) == Array(name.utf8) else { throw Malformed(description: "\(name): local name differs") }
        let localExtras = try fieldsOf(reader, start: h + 30 + localNameLength, length: localExtraLength)
        let dataOffset = h + 30 + localNameLength + localExtraLength
        let size = try reader.int(uncompressed)
        let data = try reader.slice(dataOffset, size)
        let localZip64 = try u64s(localExtras[0x0001] ?? [])
        var descriptor: Descriptor?
        var end = dataOffset + size
        if flags & 0x0008 != 0 {
            guard try reader.u32(end) == 0x0807_4B50 else { throw Malformed(description: "\(name): missing data descriptor") }
            if localZip64.isEmpty {
                descriptor = Descriptor(crc: try reader.u32(end + 4), compressed: UInt64(try reader.u32(end + 8)), uncompressed: UInt64(try reader.u32(end + 12)))
                end += 16
            } else {
                descriptor = Descriptor(crc: try reader.u32(end + 4), compressed: try reader.u64(end + 8), uncompressed: try reader.u64(end + 16), isZip64: true)
                end += 24
            }
        }
        return Entry(name: name, flags: flags, crc: crc, size: size, headerOffset: headerOffset, centralFields: fields,
                     centralZip64: centralZip64, localZip64: localZip64, alignmentPadding: localExtras[0x4246] ?? [],
                     dataOffset: dataOffset, data: data, descriptor: descriptor, endOffset: end)
    }

    /// Extra fields by id (id, uint16 length, payload).
    private static func fieldsOf(_ reader: Reader, start: Int, length: Int) throws -> [UInt16: [UInt8]] {
        var fields: [UInt16: [UInt8]] = [:]
        var cursor = start
        while cursor < start + length {
            let id = try reader.u16(cursor), size = Int(try reader.u16(cursor + 2))
            fields[id] = try reader.slice(cursor + 4, size)
            cursor += 4 + size
        }
        guard cursor == start + length else { throw Malformed(description: "extra field overruns at \(cursor)") }
        return fields
    }

    private static func u64s(_ payload: [UInt8]) throws -> [UInt64] {
        guard payload.count % 8 == 0 else { throw Malformed(description: "zip64 extra of \(payload.count) bytes") }
        return stride(from: 0, to: payload.count, by: 8).map { start in
            payload[start..<(start + 8)].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        }
    }

    /// Bitwise CRC-32 (IEEE, reflected, polynomial 0xEDB88320), independent of zlib.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    private struct Reader {
        let bytes: [UInt8]

        func slice(_ start: Int, _ count: Int) throws -> [UInt8] {
            guard start >= 0, count >= 0, start <= bytes.count, count <= bytes.count - start else {
                throw Malformed(description: "read of \(count) bytes at \(start) outside the \(bytes.count)-byte file")
            }
            return Array(bytes[start..<(start + count)])
        }

        func le(_ start: Int, _ count: Int) throws -> UInt64 {
            try slice(start, count).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        }

        func u16(_ start: Int) throws -> UInt16 { UInt16(try le(start, 2)) }
        func u32(_ start: Int) throws -> UInt32 { UInt32(try le(start, 4)) }
        func u64(_ start: Int) throws -> UInt64 { try le(start, 8) }

        func int(_ value: UInt64) throws -> Int {
            guard value <= UInt64(bytes.count) else { throw Malformed(description: "offset \(value) past the end") }
            return Int(value)
        }
    }
}
