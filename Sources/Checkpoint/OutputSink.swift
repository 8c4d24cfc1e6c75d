#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CCheckpointSupport

/// A buffered, append-only output file that tracks its offset. Small writes are coalesced; large
/// payloads go straight to `write(2)` from the caller's (often memory-mapped) buffer, or, for byte
/// ranges of a mapped file, are copied inside the kernel (`write(from:range:)`).
public final class OutputSink {
    public let path: String
    private let fd: Int32
    private var buffer: [UInt8] = []  // [≤ bufferLimit] pending bytes
    private let bufferLimit = 1 << 20
    /// Largest single write(2). Measured on this machine: copying 2.7 GB with 16 MiB writes took 10 s,
    /// with 1 MiB writes 0.9 s (large copies from freshly mapped pages stall in the kernel).
    static let chunkBytes = 1 << 20
    /// Largest single copy_file_range(2) call.
    static let copyChunkBytes = 8 << 20
    /// Bytes written so far (including buffered ones).
    public private(set) var offset: Int = 0
    /// False once copy_file_range has been refused (other file system, old kernel): plain writes from then on.
    private var canCopyInKernel = true
    /// Bytes handed to the kernel, and how far write-back has been started (see `didWrite`).
    private var written = 0
    private var writeBackStarted = 0
    /// Write-back is started every this many bytes. Measured (2.7 GB, copy_file_range + fsync): 1.48–1.77 s
    /// without, 0.94–1.36 s with; also waiting for each window (to bound dirty pages) was slower, 1.29–1.53 s.
    static let writeBackWindow = 32 << 20

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

    /// Appends the tensor's dense bytes: copied inside the kernel when they are one range of a mapped
    /// file (`write(from:range:)`), else written from `withContiguousBytes`.
    public func write(contentsOf tensor: Tensor) throws {
        let copied: Void? = try tensor.withContiguousFileRange { file, range in try write(from: file, range: range) }
        if copied == nil { try tensor.withContiguousBytes { try write($0) } }
    }

    /// Appends bytes `range` of `file`. Ranges of 1 MiB and more go through copy_file_range(2): no
    /// page of the source is mapped and nothing is copied through user space. Falls back to write(2)
    /// from the mapping where the kernel refuses (EXDEV, ENOSYS, EINVAL, EOPNOTSUPP) or copies nothing.
    public func write(from file: MappedFile, range: Range<Int>) throws {
        guard range.count >= bufferLimit, canCopyInKernel else { return try write(file.bytes(range)) }
        try flush()
        var source = Int64(range.lowerBound)
        let end = Int64(range.upperBound)
        while source < end && canCopyInKernel {
            let n = ckpt_copy_file_range(file.descriptor, &source, fd, Int(min(end - source, Int64(OutputSink.copyChunkBytes))))
            if n > 0 {
                offset += n
                didWrite(n)
            } else if n < 0 && errno == EINTR {
                continue
            } else if n == 0 || [EXDEV, ENOSYS, EINVAL, EOPNOTSUPP, EBADF].contains(errno) {
                canCopyInKernel = false
            } else {
                throw CheckpointError("copy failed: \(String(cString: strerror(errno)))", file: path, offset: offset)
            }
        }
        if source < end { try write(file.bytes(Int(source)..<range.upperBound)) }
    }

    public func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Replaces already written bytes at `offset` (e.g. a CRC patched into a header once the data is
    /// known); the append position is unchanged.
    public func overwrite(_ bytes: [UInt8], at offset: Int) throws {
        guard offset >= 0, offset + bytes.count <= self.offset else {
            throw CheckpointError("overwrite of \(bytes.count) bytes at \(offset) lies past the \(self.offset) bytes written", file: path)
        }
        try flush()
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, bytes.count - done, off_t(offset + done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CheckpointError("write failed: \(String(cString: strerror(errno)))", file: path, offset: offset + done)
            }
            done += n
        }
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
            didWrite(n)
        }
    }

    /// Starts disk write-back of each completed window without waiting, so the fsync that follows
    /// (`AtomicFile`) overlaps the copy instead of coming after it. A hint: failures are ignored.
    private func didWrite(_ count: Int) {
        written += count
        guard written - writeBackStarted >= OutputSink.writeBackWindow else { return }
        _ = ckpt_start_write_back(fd, Int64(writeBackStarted), Int64(written - writeBackStarted))
        writeBackStarted = written
    }
}
