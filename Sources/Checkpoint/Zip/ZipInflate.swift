import CZlib

/// Inflates one deflated (method 8) zip record, as CPython's `zipfile` does for `np.load` of a
/// `np.savez_compressed` member, with the checks zipfile makes and a few more:
/// - the declared uncompressed size is bounded by deflate's best ratio (1032:1, zlib's tech notes) before
///   anything is allocated, so a record cannot make us reserve memory its bytes could never fill;
/// - the stream must end (Z_STREAM_END) having produced exactly the declared size — more is a bomb or a
///   lie, less a truncation;
/// - the inflated bytes must match the record's CRC-32 (zipfile raises BadZipFile on a mismatch).
enum ZipInflate {
    /// Deflate cannot expand one input byte into more than 1032 output bytes (plus a small constant).
    static let maximumRatio = 1032

    /// The inflated payload of `entry` in `archive`.
    static func inflate(_ archive: ZipArchive, _ entry: ZipArchive.Entry) throws -> [UInt8] {
        guard entry.method == 8 else {
            throw CheckpointError("zip record '\(entry.name)' uses compression method \(entry.method) (only stored and deflated are read)", offset: entry.localHeaderOffset)
        }
        return try inflate(archive.bytes(of: entry), size: entry.uncompressedSize, crc: entry.crc32, name: entry.name, offset: entry.dataRange.lowerBound)
    }

    /// Inflates raw deflate `compressed` into exactly `size` bytes whose CRC-32 must be `crc`.
    static func inflate(_ compressed: UnsafeRawBufferPointer, size: Int, crc: UInt32, name: String, offset: Int) throws -> [UInt8] {
        let (bound, overflow) = compressed.count.multipliedReportingOverflow(by: maximumRatio)
        guard overflow || size <= bound + 64 else {
            throw CheckpointError("deflated zip record '\(name)' declares \(size) bytes from \(compressed.count) compressed bytes (more than deflate can produce)", offset: offset)
        }
        var output = [UInt8](repeating: 0, count: size)  // [size] bytes, the inflated record
        var stream = z_stream()
        guard inflateInit2_(&stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw CheckpointError("zlib inflateInit2 failed for zip record '\(name)'", offset: offset)
        }
        defer { inflateEnd(&stream) }
        var produced = 0
        var status = Z_OK
        var spare: UInt8 = 0  // one byte past the declared size: output there means the record holds more
        try output.withUnsafeMutableBytes { out in
            var consumed = 0
            while status == Z_OK {
                let input = min(compressed.count - consumed, Int(UInt32.max >> 1))
                stream.next_in = UnsafeMutablePointer(mutating: compressed.baseAddress.map { $0.assumingMemoryBound(to: Bytef.self) + consumed })
                stream.avail_in = uInt(input)
                let room = min(size - produced, Int(UInt32.max >> 1))
                let inputBefore = input
                if room > 0 {
                    stream.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self) + produced
                    stream.avail_out = uInt(room)
                    status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    produced += room - Int(stream.avail_out)
                } else {
                    status = withUnsafeMutablePointer(to: &spare) { pointer -> Int32 in
                        stream.next_out = pointer
                        stream.avail_out = 1
                        return CZlib.inflate(&stream, Z_NO_FLUSH)
                    }
                    if stream.avail_out == 0 {
                        throw CheckpointError("deflated zip record '\(name)' inflates to more than its declared \(size) bytes", offset: offset)
                    }
                }
                consumed += inputBefore - Int(stream.avail_in)
                if status == Z_BUF_ERROR, consumed == compressed.count {
                    throw CheckpointError("deflated zip record '\(name)' is truncated (\(produced) of \(size) bytes inflated)", offset: offset)
                }
                if status == Z_BUF_ERROR { status = Z_OK }
            }
        }
        guard status == Z_STREAM_END else {
            let reason = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
            throw CheckpointError("deflated zip record '\(name)' is corrupt: \(reason)", offset: offset)
        }
        guard produced == size else {
            throw CheckpointError("deflated zip record '\(name)' inflates to \(produced) bytes but declares \(size)", offset: offset)
        }
        let computed = output.withUnsafeBytes { CRC32.update(0, $0) }
        guard computed == crc else {
            throw CheckpointError("CRC-32 mismatch in zip record '\(name)': stored \(hex(crc)), computed \(hex(computed))", offset: offset)
        }
        return output
    }

    static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}
