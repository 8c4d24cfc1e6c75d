/// Writes a numpy `.npz` archive holding one array, byte for byte as `np.savez(path, arr_0=array)`
/// (numpy 2.4 over CPython 3.11's `zipfile`), streaming the array so it never has to be in memory —
/// the layout ADM's FID evaluator reads (`zipfile.open("arr_0.npy")`, then the `.npy` header).
///
/// Layout (all little-endian; `limit` is zipfile's `ZIP64_LIMIT`, 2³¹ − 1):
/// 1. local header of the one STORED member `NAME.npy`: version 45, flags 0, time 0, date 1980-01-01
///    (0x0021), CRC-32, both sizes 0xFFFFFFFF, then a zip64 extra (id 1, 16 bytes: size, size) — numpy
///    always forces zip64 on the member (numpy gh-10776);
/// 2. the `.npy` stream: `NumpyHeader` preamble, then the data in C order;
/// 3. central directory entry: made by 0x032D, version 45, same CRC, real 32-bit sizes — or 0xFFFFFFFF
///    and a zip64 extra (size, size) when the member exceeds `limit` —, offset 0, external attributes
///    0o600 << 16;
/// 4. when the directory starts beyond `limit`: zip64 end record and locator;
/// 5. end record (sizes and offset clamped to 32 bits).
/// The CRC is patched into the local header once the data is written; the file is published atomically.
public enum NumpyArchiveWriter {
    /// CPython `zipfile.ZIP64_LIMIT`.
    public static let pythonZip64Limit: UInt64 = (1 << 31) - 1

    /// Writes `path` (atomically) with one array `name` of `dtype` and `shape`, whose C-order bytes
    /// `fill` appends to the stream it is given; exactly `Π shape × itemsize` bytes must be appended.
    /// - Parameter zip64Limit: zipfile's threshold (tests lower it to produce the large-file layout).
    public static func write(to path: String, name: String = "arr_0", dtype: DType, shape: [Int],
                             zip64Limit: UInt64 = pythonZip64Limit, _ fill: (NumpyArrayStream) throws -> Void) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else { throw CheckpointError("negative dimension in shape \(shape)", file: path) }
        let memberName = Array((name + ".npy").utf8)  // [name length] bytes
        guard memberName.allSatisfy({ $0 < 0x80 }), memberName.count < 0xFFFF else {
            throw CheckpointError("array name '\(name)' must be short ASCII", file: path)
        }
        let preamble = try NumpyHeader.preamble(dtype: dtype, shape: shape)
        let dataBytes = shape.reduce(1, *) * dtype.byteSize
        let memberSize = UInt64(preamble.count + dataBytes)
        try AtomicFile.write(to: path) { temporary in
            let sink = try OutputSink(path: temporary)
            try sink.write(localHeader(name: memberName, crc: 0, size: memberSize))
            let stream = NumpyArrayStream(sink: sink, limit: preamble.count + dataBytes)
            try stream.appendUnchecked(preamble)
            try fill(stream)
            guard stream.appended == dataBytes + preamble.count else {
                throw CheckpointError("\(name): \(stream.appended - preamble.count) of \(dataBytes) data bytes were written", file: path)
            }
            try sink.overwrite(u32(stream.crc), at: 14)
            let directoryOffset = UInt64(sink.offset)
            let directory = centralEntry(name: memberName, crc: stream.crc, size: memberSize, limit: zip64Limit)
            try sink.write(directory)
            try sink.write(endRecords(directorySize: UInt64(directory.count), directoryOffset: directoryOffset, limit: zip64Limit))
            try sink.flush()
        }
    }

    static func u16(_ v: UInt16) -> [UInt8] { [UInt8(truncatingIfNeeded: v), UInt8(truncatingIfNeeded: v >> 8)] }
    static func u32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    static func u64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }

    static let dosDate: UInt16 = 0x0021  // 1980-01-01, zipfile's ZipInfo default
    static let zip64Version: UInt8 = 45

    /// zipfile's `FileHeader(zip64=True)`: 30 bytes + name + 20-byte zip64 extra.
    static func localHeader(name: [UInt8], crc: UInt32, size: UInt64) -> [UInt8] {
        var out = u32(0x0403_4B50) + [zip64Version, 0] + u16(0) + u16(0) + u16(0) + u16(dosDate)
        out += u32(crc) + u32(0xFFFF_FFFF) + u32(0xFFFF_FFFF) + u16(UInt16(name.count)) + u16(20)
        out += name
        out += u16(1) + u16(16) + u64(size) + u64(size)
        return out
    }

    /// zipfile's central directory record for the member at offset 0.
    static func centralEntry(name: [UInt8], crc: UInt32, size: UInt64, limit: UInt64) -> [UInt8] {
        let large = size > limit
        let extra = large ? u16(1) + u16(16) + u64(size) + u64(size) : []
        let size32 = large ? UInt32(0xFFFF_FFFF) : UInt32(size)
        var out = u32(0x0201_4B50) + [zip64Version, 3, zip64Version, 0] + u16(0) + u16(0) + u16(0) + u16(dosDate)
        out += u32(crc) + u32(size32) + u32(size32)
        out += u16(UInt16(name.count)) + u16(UInt16(extra.count)) + u16(0) + u16(0) + u16(0)
        out += u32(0o600 << 16) + u32(0)
        return out + name + extra
    }

    /// zipfile's `_write_end_record` for one entry: zip64 end record and locator when the directory
    /// offset or size exceeds `limit`, then the classic end record.
    static func endRecords(directorySize: UInt64, directoryOffset: UInt64, limit: UInt64) -> [UInt8] {
        var out: [UInt8] = []
        if directoryOffset > limit || directorySize > limit {
            out += u32(0x0606_4B50) + u64(44) + u16(45) + u16(45) + u32(0) + u32(0) + u64(1) + u64(1)
            out += u64(directorySize) + u64(directoryOffset)
            out += u32(0x0706_4B50) + u32(0) + u64(directoryOffset + directorySize) + u32(1)
        }
        out += u32(0x0605_4B50) + u16(0) + u16(0) + u16(1) + u16(1)
        out += u32(UInt32(min(directorySize, 0xFFFF_FFFF))) + u32(UInt32(min(directoryOffset, 0xFFFF_FFFF))) + u16(0)
        return out
    }
}

/// The data stream of a `.npz` member being written: bytes appended here go to the file and into the CRC.
public final class NumpyArrayStream {
    private let sink: OutputSink
    /// Bytes the member holds (preamble and data).
    private let limit: Int
    /// Member bytes written so far (preamble included).
    private(set) var appended = 0
    private(set) var crc: UInt32 = 0

    init(sink: OutputSink, limit: Int) {
        self.sink = sink
        self.limit = limit
    }

    func appendUnchecked(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { raw in
            crc = CRC32.update(crc, raw)
            try sink.write(raw)
        }
        appended += bytes.count
    }

    /// Appends array bytes (C order); more than the array holds is an error.
    public func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard appended + bytes.count <= limit else {
            throw CheckpointError("more bytes appended than the array holds (\(appended + bytes.count) > \(limit) with the header)", file: sink.path)
        }
        crc = CRC32.update(crc, bytes)
        try sink.write(bytes)
        appended += bytes.count
    }

    /// Appends array bytes (C order).
    public func append(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try append($0) }
    }
}
