/// Finds the central directory through the end-of-central-directory record, following the zip64
/// locator when there is one (miniz, which PyTorch uses, always writes it).
enum ZipDirectoryLocator {
    struct Directory {
        /// Absolute offset of the first central-directory entry.
        let offset: Int
        /// Size of the central directory in bytes.
        let size: Int
        let entryCount: Int
    }

    private static let eocdSignature: UInt32 = 0x0605_4B50
    private static let zip64LocatorSignature: UInt32 = 0x0706_4B50
    private static let zip64EOCDSignature: UInt32 = 0x0606_4B50

    static func locate(_ fields: ZipFields) throws -> Directory {
        let eocd = try findEOCD(fields)
        let disk = try fields.u16(eocd + 4, "end of central directory")
        let directoryDisk = try fields.u16(eocd + 6, "end of central directory")
        let entriesOnDisk = try fields.u16(eocd + 8, "end of central directory")
        let entries = try fields.u16(eocd + 10, "end of central directory")
        let size = try fields.u32(eocd + 12, "end of central directory")
        let offset = try fields.u32(eocd + 16, "end of central directory")
        guard disk == 0 || disk == 0xFFFF, directoryDisk == 0 || directoryDisk == 0xFFFF, entriesOnDisk == entries else {
            throw CheckpointError("multi-disk zip archives are not supported", offset: eocd)
        }

        let locator = eocd - 20
        if locator >= 0, try fields.u32(locator, "zip64 locator") == zip64LocatorSignature {
            let directory = try readZip64(fields, locator: locator)
            try agree(UInt64(entries), 0xFFFF, UInt64(directory.entryCount), "entry count", eocd)
            try agree(UInt64(size), 0xFFFF_FFFF, UInt64(directory.size), "central directory size", eocd)
            try agree(UInt64(offset), 0xFFFF_FFFF, UInt64(directory.offset), "central directory offset", eocd)
            return directory
        }
        guard entries != 0xFFFF, size != 0xFFFF_FFFF, offset != 0xFFFF_FFFF else {
            throw CheckpointError("zip end record asks for zip64 values but there is no zip64 locator", offset: eocd)
        }
        let directory = Directory(offset: Int(offset), size: Int(size), entryCount: Int(entries))
        guard directory.offset + directory.size <= eocd else {
            throw CheckpointError("zip central directory (\(directory.size) bytes at \(directory.offset)) overlaps the end record at \(eocd)", offset: directory.offset)
        }
        return directory
    }

    /// Scans backwards over the last 64 KiB + 22 bytes for an end record whose comment ends the file.
    private static func findEOCD(_ fields: ZipFields) throws -> Int {
        let count = fields.bytes.count
        guard count >= 22 else { throw CheckpointError("file too short for a zip archive (\(count) bytes)") }
        let lowest = max(0, count - 22 - 0xFFFF)
        var candidate = count - 22
        while candidate >= lowest {
            if try fields.u32(candidate, "end of central directory") == eocdSignature {
                let commentLength = Int(try fields.u16(candidate + 20, "end of central directory"))
                if candidate + 22 + commentLength == count { return candidate }
            }
            candidate -= 1
        }
        throw CheckpointError("no zip end-of-central-directory record in the last \(count - lowest) bytes (truncated archive?)")
    }

    private static func readZip64(_ fields: ZipFields, locator: Int) throws -> Directory {
        let locatorDisk = try fields.u32(locator + 4, "zip64 locator")
        let recordOffset = try fields.offsetValue(fields.u64(locator + 8, "zip64 locator"), at: locator + 8, "zip64 end record offset")
        let totalDisks = try fields.u32(locator + 16, "zip64 locator")
        guard locatorDisk == 0, totalDisks <= 1 else { throw CheckpointError("multi-disk zip64 archives are not supported", offset: locator) }
        guard recordOffset + 56 <= locator else {
            throw CheckpointError("zip64 end record at \(recordOffset) does not fit before its locator", offset: locator)
        }
        guard try fields.u32(recordOffset, "zip64 end record") == zip64EOCDSignature else {
            throw CheckpointError("bad zip64 end record signature", offset: recordOffset)
        }
        let disk = try fields.u32(recordOffset + 16, "zip64 end record")
        let directoryDisk = try fields.u32(recordOffset + 20, "zip64 end record")
        let entriesOnDisk = try fields.u64(recordOffset + 24, "zip64 end record")
        let entries = try fields.u64(recordOffset + 32, "zip64 end record")
        let size = try fields.offsetValue(fields.u64(recordOffset + 40, "zip64 end record"), at: recordOffset + 40, "central directory size")
        let offset = try fields.offsetValue(fields.u64(recordOffset + 48, "zip64 end record"), at: recordOffset + 48, "central directory offset")
        guard disk == 0, directoryDisk == 0, entriesOnDisk == entries else {
            throw CheckpointError("multi-disk zip64 archives are not supported", offset: recordOffset)
        }
        guard entries <= UInt64(fields.bytes.count) else {
            throw CheckpointError("zip64 end record declares \(entries) entries, more than the file has bytes", offset: recordOffset + 32)
        }
        let (end, overflow) = offset.addingReportingOverflow(size)
        guard !overflow, end <= recordOffset else {
            throw CheckpointError("zip central directory (\(size) bytes at \(offset)) overlaps the zip64 end record at \(recordOffset)", offset: offset)
        }
        return Directory(offset: offset, size: size, entryCount: Int(entries))
    }

    /// A classic end-record value must either be the zip64 escape or equal the zip64 value.
    private static func agree(_ classic: UInt64, _ escape: UInt64, _ zip64: UInt64, _ what: String, _ at: Int) throws {
        guard classic == escape || classic == zip64 else {
            throw CheckpointError("zip end record \(what) \(classic) disagrees with the zip64 end record (\(zip64))", offset: at)
        }
    }
}
