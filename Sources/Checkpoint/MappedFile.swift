#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only into memory. Pages are loaded on first touch and can be handed back
/// to the kernel with `releasePages` once a streaming pass is done with them, so RSS stays bounded by
/// what is in use rather than by the file size.
public final class MappedFile: @unchecked Sendable {
    /// Path the file was opened from (used in error messages).
    public let path: String
    /// File size in bytes.
    public let count: Int
    /// Start of the mapping; nil for an empty file.
    public let base: UnsafeRawPointer?

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CheckpointError("cannot open: \(String(cString: strerror(errno)))", file: path) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw CheckpointError("cannot stat: \(String(cString: strerror(errno)))", file: path) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw CheckpointError("not a regular file", file: path) }
        count = Int(info.st_size)
        if count == 0 {
            base = nil
            return
        }
        guard let mapped = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw CheckpointError("cannot map: \(String(cString: strerror(errno)))", file: path)
        }
        base = UnsafeRawPointer(mapped)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
    }

    /// The bytes of `range` (which must lie inside the file).
    public func bytes(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "range outside mapped file")
        guard let base else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count)
    }

    /// The whole file.
    public var all: UnsafeRawBufferPointer { bytes(0..<count) }

    /// Tells the kernel the pages of `range` are no longer needed; they are re-read from the file on the
    /// next touch. Keeps RSS flat while a converter streams through a large file.
    public func releasePages(_ range: Range<Int>) {
        guard let base, !range.isEmpty else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (range.lowerBound / page) * page
        let end = min(count, ((range.upperBound + page - 1) / page) * page)
        guard end > start else { return }
        madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, MADV_DONTNEED)
    }
}
