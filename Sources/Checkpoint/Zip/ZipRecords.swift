/// One central-directory file header (46 bytes + name + extra + comment), with zip64 sizes resolved.
struct ZipCentralRecord {
    let name: String
    let nameBytes: UnsafeRawBufferPointer
    let flags: UInt16
    let method: UInt16
    let crc32: UInt32
    let compressedSize: Int
    let uncompressedSize: Int
    let localHeaderOffset: Int
    /// Offset of the next central-directory entry.
    let nextOffset: Int

    private static let signature: UInt32 = 0x0201_4B50

    init(_ fields: ZipFields, at offset: Int, directoryEnd: Int) throws {
        guard offset + 46 <= directoryEnd else {
            throw CheckpointError("zip central directory entry runs past the directory end at \(directoryEnd)", offset: offset)
        }
        guard try fields.u32(offset, "central directory entry") == ZipCentralRecord.signature else {
            throw CheckpointError("bad zip central directory entry signature", offset: offset)
        }
        flags = try fields.u16(offset + 8, "central directory entry")
        method = try fields.u16(offset + 10, "central directory entry")
        crc32 = try fields.u32(offset + 16, "central directory entry")
        let compressed32 = try fields.u32(offset + 20, "central directory entry")
        let uncompressed32 = try fields.u32(offset + 24, "central directory entry")
        let nameLength = Int(try fields.u16(offset + 28, "central directory entry"))
        let extraLength = Int(try fields.u16(offset + 30, "central directory entry"))
        let commentLength = Int(try fields.u16(offset + 32, "central directory entry"))
        let diskStart = try fields.u16(offset + 34, "central directory entry")
        let localOffset32 = try fields.u32(offset + 42, "central directory entry")
        nextOffset = offset + 46 + nameLength + extraLength + commentLength
        guard nextOffset <= directoryEnd else {
            throw CheckpointError("zip central directory entry (name \(nameLength), extra \(extraLength), comment \(commentLength) bytes) runs past the directory end at \(directoryEnd)", offset: offset)
        }
        nameBytes = try fields.slice(offset + 46, nameLength, "zip entry name")
        guard let decoded = String(validating: nameBytes, as: UTF8.self), !decoded.isEmpty else {
            throw CheckpointError("zip entry name is empty or not valid UTF-8", offset: offset + 46)
        }
        name = decoded
        guard flags & 0x0001 == 0, flags & 0x0040 == 0 else {
            throw CheckpointError("zip entry '\(decoded)' is encrypted", offset: offset)
        }

        var uncompressed = UInt64(uncompressed32), compressed = UInt64(compressed32), local = UInt64(localOffset32)
        let extra = try fields.slice(offset + 46 + nameLength, extraLength, "zip extra field")
        if let zip64 = try ZipCentralRecord.zip64Field(extra, at: offset + 46 + nameLength) {
            var cursor = 0
            func next() throws -> UInt64 {
                guard cursor + 8 <= zip64.count else {
                    throw CheckpointError("zip64 extra field of '\(decoded)' is too short", offset: offset + 46 + nameLength)
                }
                defer { cursor += 8 }
                return UInt64(littleEndian: zip64.loadUnaligned(fromByteOffset: cursor, as: UInt64.self))
            }
            if uncompressed32 == 0xFFFF_FFFF { uncompressed = try next() }
            if compressed32 == 0xFFFF_FFFF { compressed = try next() }
            if localOffset32 == 0xFFFF_FFFF { local = try next() }
        } else if uncompressed32 == 0xFFFF_FFFF || compressed32 == 0xFFFF_FFFF || localOffset32 == 0xFFFF_FFFF {
            throw CheckpointError("zip entry '\(decoded)' needs a zip64 extra field but has none", offset: offset)
        }
        guard diskStart == 0 || diskStart == 0xFFFF else {
            throw CheckpointError("zip entry '\(decoded)' starts on disk \(diskStart)", offset: offset)
        }
        compressedSize = try fields.offsetValue(compressed, at: offset + 20, "compressed size of '\(decoded)'")
        localHeaderOffset = try fields.offsetValue(local, at: offset + 42, "local header offset of '\(decoded)'")
        // The uncompressed size of a compressed record may legitimately exceed the file (that is what a
        // deflate bomb declares); keep it exact but bounded so it stays representable.
        guard uncompressed <= UInt64(Int.max) else {
            throw CheckpointError("zip entry '\(decoded)' declares an uncompressed size of \(uncompressed) bytes", offset: offset + 24)
        }
        uncompressedSize = Int(uncompressed)
        guard method != 0 || compressedSize == uncompressedSize else {
            throw CheckpointError("stored zip entry '\(decoded)' has compressed size \(compressedSize) but uncompressed size \(uncompressedSize)", offset: offset)
        }
    }

    /// The payload of the zip64 extended-information extra field (id 0x0001), if present.
    static func zip64Field(_ extra: UnsafeRawBufferPointer, at base: Int) throws -> UnsafeRawBufferPointer? {
        var cursor = 0
        while cursor < extra.count {
            guard cursor + 4 <= extra.count else {
                throw CheckpointError("truncated zip extra field header", offset: base + cursor)
            }
            let id = UInt16(littleEndian: extra.loadUnaligned(fromByteOffset: cursor, as: UInt16.self))
            let length = Int(UInt16(littleEndian: extra.loadUnaligned(fromByteOffset: cursor + 2, as: UInt16.self)))
            guard cursor + 4 + length <= extra.count else {
                throw CheckpointError("zip extra field 0x\(String(id, radix: 16)) (\(length) bytes) runs past its extra area", offset: base + cursor)
            }
            if id == 0x0001 { return UnsafeRawBufferPointer(rebasing: extra[(cursor + 4)..<(cursor + 4 + length)]) }
            cursor += 4 + length
        }
        return nil
    }
}

/// The 30-byte local file header in front of each record, checked against its central entry.
enum ZipLocalHeader {
    private static let signature: UInt32 = 0x0403_4B50

    /// Validates the local header of `central` and returns the absolute offset of its payload
    /// (`header + 30 + name length + LOCAL extra length`).
    static func check(_ fields: ZipFields, _ central: ZipCentralRecord, directoryStart: Int) throws -> Int {
        let at = central.localHeaderOffset
        let name = central.name
        guard at + 30 <= directoryStart else {
            throw CheckpointError("local header of zip record '\(name)' lies in or past the central directory", offset: at)
        }
        guard try fields.u32(at, "local header of '\(name)'") == signature else {
            throw CheckpointError("bad local header signature for zip record '\(name)'", offset: at)
        }
        let flags = try fields.u16(at + 6, "local header of '\(name)'")
        let method = try fields.u16(at + 8, "local header of '\(name)'")
        let crc = try fields.u32(at + 14, "local header of '\(name)'")
        let compressed = try fields.u32(at + 18, "local header of '\(name)'")
        let uncompressed = try fields.u32(at + 22, "local header of '\(name)'")
        let nameLength = Int(try fields.u16(at + 26, "local header of '\(name)'"))
        let extraLength = Int(try fields.u16(at + 28, "local header of '\(name)'"))
        guard method == central.method else {
            throw CheckpointError("zip record '\(name)': local header method \(method) differs from the central directory's \(central.method)", offset: at + 8)
        }
        guard flags & 0x0001 == 0, flags & 0x0040 == 0 else {
            throw CheckpointError("zip record '\(name)' is encrypted", offset: at + 6)
        }
        let localName = try fields.slice(at + 30, nameLength, "local name of '\(name)'")
        guard localName.elementsEqual(central.nameBytes) else {
            let shown = String(decoding: localName.prefix(200), as: UTF8.self)
            throw CheckpointError("zip local header name '\(shown)' differs from the central directory name '\(name)'", offset: at + 30)
        }
        if flags & 0x0008 == 0 {
            // No data descriptor: the local header carries the real CRC and sizes (0xFFFFFFFF = see zip64).
            let sizesAgree = (compressed == 0xFFFF_FFFF || Int(compressed) == central.compressedSize)
                && (uncompressed == 0xFFFF_FFFF || Int(uncompressed) == central.uncompressedSize)
            guard crc == central.crc32, sizesAgree else {
                throw CheckpointError("zip record '\(name)': local header CRC/sizes differ from the central directory", offset: at + 14)
            }
        }
        let dataOffset = at + 30 + nameLength + extraLength
        guard dataOffset <= directoryStart else {
            throw CheckpointError("zip record '\(name)' header runs into the central directory", offset: at)
        }
        return dataOffset
    }
}
