/// The zip structures PyTorch's writer emits, byte for byte: miniz 3 `mz_zip_writer_add_mem_ex_v2`
/// (STORED, `MZ_ZIP_FLAG_WRITE_ZIP64`, built with `MINIZ_NO_TIME`) plus torch's `FB` alignment extra
/// field (`detail::getPadding`). All values little-endian.
///
/// `zip64Limit` is miniz's `MZ_UINT32_MAX` (0xFFFFFFFF): a size or offset at or above it moves into a
/// zip64 extra field and its 32-bit slot holds 0xFFFFFFFF. Tests lower it to exercise those paths
/// without writing 4 GiB.
struct TorchZipLayout {
    var zip64Limit: UInt64 = 0xFFFF_FFFF
    /// `.storage_alignment`: where every record's data must start.
    var alignment = 64

    static let localHeaderSize = 30

    /// Whether a record of `size` bytes whose local header starts at `offset` carries a zip64 extra.
    func needsZip64(size: UInt64, offset: UInt64) -> Bool { size >= zip64Limit || offset >= zip64Limit }

    /// The 32-bit field value miniz writes for `value` (`MZ_MIN(value, MZ_UINT32_MAX)`).
    func field32(_ value: UInt64) -> UInt32 { value >= zip64Limit ? 0xFFFF_FFFF : UInt32(clamping: value) }

    /// torch's `FB` extra: id `FB`, uint16 padding length, then that many `Z`, so that the record's data
    /// (after the local header, the name, the zip64 extra if any and this field) starts on `alignment`.
    func alignmentExtra(offset: UInt64, nameLength: Int, size: UInt64) -> [UInt8] {
        var start = offset + UInt64(Self.localHeaderSize + nameLength + 4)
        if needsZip64(size: size, offset: offset) {
            start += 4
            if size >= zip64Limit { start += 16 }
            if offset >= zip64Limit { start += 8 }
        }
        let padding = Int((UInt64(alignment) - start % UInt64(alignment)) % UInt64(alignment))
        var out = TorchWriteBuffer()  // [4 + padding] bytes
        out.append("FB".utf8)
        out.u16(UInt16(padding))
        out.append(repeating: 0x5A, count: padding)
        return out.bytes
    }

    /// Local zip64 extra as miniz writes it before the data: uncompressed size and a compressed size of
    /// 0 (miniz has not counted it yet) when the size overflows, the header offset when that overflows.
    func localZip64Extra(size: UInt64, offset: UInt64) -> [UInt8] {
        guard needsZip64(size: size, offset: offset) else { return [] }
        return zip64Extra(uncompressed: size >= zip64Limit ? size : nil, compressed: size >= zip64Limit ? 0 : nil,
                          offset: offset >= zip64Limit ? offset : nil)
    }

    /// Central-directory zip64 extra: both sizes (now known) and/or the offset.
    func centralZip64Extra(size: UInt64, offset: UInt64) -> [UInt8] {
        guard needsZip64(size: size, offset: offset) else { return [] }
        return zip64Extra(uncompressed: size >= zip64Limit ? size : nil, compressed: size >= zip64Limit ? size : nil,
                          offset: offset >= zip64Limit ? offset : nil)
    }

    private func zip64Extra(uncompressed: UInt64?, compressed: UInt64?, offset: UInt64?) -> [UInt8] {
        let values = [uncompressed, compressed, offset].compactMap { $0 }
        var out = TorchWriteBuffer()  // [4 + 8 × values] bytes
        out.u16(0x0001)
        out.u16(UInt16(8 * values.count))
        for value in values { out.u64(value) }
        return out.bytes
    }

    /// General-purpose flags: bit 11 (UTF-8 names), plus bit 3 (data descriptor follows) when the
    /// record has data.
    static func flags(size: UInt64) -> UInt16 { size > 0 ? 0x0808 : 0x0800 }

    /// The 30-byte local header; CRC and sizes are 0 (they follow in the data descriptor).
    static func localHeader(nameLength: Int, extraLength: Int, size: UInt64) -> [UInt8] {
        var out = TorchWriteBuffer()  // [30] bytes
        out.u32(0x0403_4B50)
        out.u16(0)  // version needed (STORED)
        out.u16(flags(size: size))
        out.u16(0)  // method STORED
        out.u16(0)  // time
        out.u16(0)  // date
        out.u32(0)  // CRC-32
        out.u32(0)  // compressed size
        out.u32(0)  // uncompressed size
        out.u16(UInt16(nameLength))
        out.u16(UInt16(extraLength))
        return out.bytes
    }

    /// Data descriptor after a non-empty record: 16 bytes, or 24 with 64-bit sizes when the record has a
    /// zip64 extra.
    func dataDescriptor(crc: UInt32, size: UInt64, zip64: Bool) -> [UInt8] {
        var out = TorchWriteBuffer()  // [16 or 24] bytes
        out.u32(0x0807_4B50)
        out.u32(crc)
        if zip64 {
            out.u64(size)
            out.u64(size)
        } else {
            out.u32(UInt32(truncatingIfNeeded: size))
            out.u32(UInt32(truncatingIfNeeded: size))
        }
        return out.bytes
    }

    /// A central-directory entry (46 bytes + name + zip64 extra); version made by / needed are 0, no
    /// comment, no attributes.
    func centralEntry(name: [UInt8], crc: UInt32, size: UInt64, offset: UInt64) -> [UInt8] {
        let extra = centralZip64Extra(size: size, offset: offset)
        var out = TorchWriteBuffer()  // [46 + name + extra] bytes
        out.u32(0x0201_4B50)
        out.u16(0)  // version made by
        out.u16(0)  // version needed
        out.u16(Self.flags(size: size))
        out.u16(0)  // method
        out.u16(0)  // time
        out.u16(0)  // date
        out.u32(crc)
        out.u32(field32(size))
        out.u32(field32(size))
        out.u16(UInt16(name.count))
        out.u16(UInt16(extra.count))
        out.u16(0)  // comment length
        out.u16(0)  // disk number start
        out.u16(0)  // internal attributes
        out.u32(0)  // external attributes
        out.u32(field32(offset))
        out.append(name)
        out.append(extra)
        return out.bytes
    }

    /// zip64 end-of-central-directory record (56 bytes), its locator (20) and the classic end record (22),
    /// which miniz always writes in zip64 mode.
    func endRecords(entryCount: UInt64, directorySize: UInt64, directoryOffset: UInt64) -> [UInt8] {
        let zip64RecordOffset = directoryOffset + directorySize
        var out = TorchWriteBuffer()  // [98] bytes
        out.u32(0x0606_4B50)
        out.u64(44)  // size of the rest of the record
        out.u16(0x031E)  // version made by (Unix, 3.0)
        out.u16(0x002D)  // version needed (4.5)
        out.u32(0)  // this disk
        out.u32(0)  // disk with the central directory
        out.u64(entryCount)
        out.u64(entryCount)
        out.u64(directorySize)
        out.u64(directoryOffset)
        out.u32(0x0706_4B50)
        out.u32(0)  // disk with the zip64 end record
        out.u64(zip64RecordOffset)
        out.u32(1)  // total disks
        out.u32(0x0605_4B50)
        out.u16(0)  // this disk
        out.u16(0)  // disk with the central directory
        out.u16(UInt16(min(entryCount, 0xFFFF)))
        out.u16(UInt16(min(entryCount, 0xFFFF)))
        out.u32(field32(directorySize))
        out.u32(field32(directoryOffset))
        out.u16(0)  // comment length
        return out.bytes
    }
}
