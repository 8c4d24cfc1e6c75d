/// A lenient reader of a zip central directory for `ckpt scan`: unlike `ZipArchive` it accepts what a
/// hostile archive may do (duplicate names, encryption, odd flags, no archive folder) so that each
/// trick can be reported rather than only refused.
struct ScanZipDirectory {
    struct Member {
        let name: String
        let flags: UInt16
        let method: UInt16
        let compressedSize: Int
        let uncompressedSize: Int
        let localHeaderOffset: Int
        let crc32: UInt32
    }

    let members: [Member]
    /// Offset of the end-of-central-directory record.
    let endRecordOffset: Int

    /// The directory of the zip whose end record lies in the last 64 KiB of `bytes`; nil when there is none.
    static func read(_ bytes: UnsafeRawBufferPointer) throws -> ScanZipDirectory? {
        let fields = ZipFields(bytes: bytes)
        guard bytes.count >= 22 else { return nil }
        var eocd = -1
        var position = bytes.count - 22
        let lowest = max(0, bytes.count - 22 - 65_535)
        while position >= lowest {
            if bytes[position] == 0x50, bytes[position + 1] == 0x4B, bytes[position + 2] == 0x05, bytes[position + 3] == 0x06 { eocd = position; break }
            position -= 1
        }
        guard eocd >= 0 else { return nil }
        var count = Int(try fields.u16(eocd + 10, "entry count"))
        var directory = Int(try fields.u32(eocd + 16, "central directory offset"))
        if (count == 0xFFFF || directory == 0xFFFF_FFFF), eocd >= 20, try fields.u32(eocd - 20, "zip64 locator") == 0x0706_4B50 {
            let record = try fields.offsetValue(try fields.u64(eocd - 12, "zip64 record offset"), at: eocd - 12, "zip64 record offset")
            count = try fields.offsetValue(try fields.u64(record + 32, "zip64 entry count"), at: record + 32, "zip64 entry count")
            directory = try fields.offsetValue(try fields.u64(record + 48, "zip64 directory offset"), at: record + 48, "zip64 directory offset")
        }
        var members: [Member] = []
        var cursor = directory
        for _ in 0..<min(count, 1 << 20) {
            guard try fields.u32(cursor, "central directory record") == 0x0201_4B50 else {
                throw CheckpointError("bad central directory record signature", offset: cursor)
            }
            let flags = try fields.u16(cursor + 8, "flags"), method = try fields.u16(cursor + 10, "method")
            let crc = try fields.u32(cursor + 16, "crc")
            var compressed = Int(try fields.u32(cursor + 20, "size")), uncompressed = Int(try fields.u32(cursor + 24, "size"))
            let nameLength = Int(try fields.u16(cursor + 28, "name length")), extraLength = Int(try fields.u16(cursor + 30, "extra length"))
            let commentLength = Int(try fields.u16(cursor + 32, "comment length"))
            var local = Int(try fields.u32(cursor + 42, "local header offset"))
            let name = String(decoding: try fields.slice(cursor + 46, nameLength, "name"), as: UTF8.self)
            if let zip64 = try ZipCentralRecord.zip64Field(try fields.slice(cursor + 46 + nameLength, extraLength, "extra"), at: cursor + 46 + nameLength) {
                var index = 0
                func next() -> Int? {
                    guard index + 8 <= zip64.count else { return nil }
                    defer { index += 8 }
                    return Int(clamping: zip64.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                }
                if uncompressed == 0xFFFF_FFFF { uncompressed = next() ?? uncompressed }
                if compressed == 0xFFFF_FFFF { compressed = next() ?? compressed }
                if local == 0xFFFF_FFFF { local = next() ?? local }
            }
            members.append(Member(name: name, flags: flags, method: method, compressedSize: compressed,
                                  uncompressedSize: uncompressed, localHeaderOffset: local, crc32: crc))
            cursor += 46 + nameLength + extraLength + commentLength
        }
        return ScanZipDirectory(members: members, endRecordOffset: eocd)
    }

    /// The payload range of `member` (from its local header), checked against the file.
    func payload(of member: Member, in bytes: UnsafeRawBufferPointer) throws -> Range<Int> {
        let fields = ZipFields(bytes: bytes)
        let local = member.localHeaderOffset
        guard try fields.u32(local, "local header") == 0x0403_4B50 else {
            throw CheckpointError("zip member '\(member.name.prefix(80))' has no local header", offset: local)
        }
        let start = local + 30 + Int(try fields.u16(local + 26, "name length")) + Int(try fields.u16(local + 28, "extra length"))
        try fields.require(start, member.compressedSize, "zip member '\(member.name.prefix(80))'")
        return start..<(start + member.compressedSize)
    }
}
