#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CZlib

/// CRC-32 (IEEE, as zlib, zip and `binascii.crc32`).
public enum CRC32 {
    /// Continues `crc` over `bytes`.
    public static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var value = UInt(crc)
        var offset = 0
        while offset < bytes.count {
            let chunk = min(bytes.count - offset, 1 << 30)
            value = crc32(value, bytes.baseAddress!.advanced(by: offset).assumingMemoryBound(to: Bytef.self), uInt(chunk))
            offset += chunk
        }
        return UInt32(truncatingIfNeeded: value)
    }

    /// CRC-32 of `bytes` from the initial value.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { update(0, $0) }
    }
}

/// A buffered, append-only output file that tracks its offset. Small writes are coalesced; large
/// payloads go straight to `write(2)` from the caller's (often memory-mapped) buffer.
public final class OutputSink {
    public let path: String
    private let fd: Int32
    private var buffer: [UInt8] = []  // [≤ bufferLimit] pending bytes
    private let bufferLimit = 1 << 20
    /// Largest single write(2). Measured on this machine: copying 2.7 GB with 16 MiB writes took 10 s,
    /// with 1 MiB writes 0.9 s (large copies from freshly mapped pages stall in the kernel).
    static let chunkBytes = 1 << 20
    /// Bytes written so far (including buffered ones).
    public private(set) var offset: Int = 0

    /// Creates (truncates) `path` with mode 0644.
    public init(path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CheckpointError("cannot create: \(String(cString: strerror(errno)))", file: path) }
        buffer.reserveCapacity(bufferLimit)
    }

    deinit { close(fd) }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count > 0 else { return }
        if bytes.count >= bufferLimit {
            try flush()
            try writeAll(bytes)
        } else {
            if buffer.count + bytes.count > bufferLimit { try flush() }
            buffer.append(contentsOf: bytes)
        }
        offset += bytes.count
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Appends `count` copies of `byte` (padding).
    public func write(repeating byte: UInt8, count: Int) throws {
        try write([UInt8](repeating: byte, count: count))
    }

    public func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes and forces the data to disk.
    public func sync() throws {
        try flush()
        guard fsync(fd) == 0 else { throw CheckpointError("fsync failed: \(String(cString: strerror(errno)))", file: path) }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, min(bytes.count - done, OutputSink.chunkBytes))
            if n < 0 {
                if errno == EINTR { continue }
                throw CheckpointError("write failed: \(String(cString: strerror(errno)))", file: path, offset: offset)
            }
            done += n
        }
    }
}
