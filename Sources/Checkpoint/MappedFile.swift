#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only into memory. Pages are loaded on first touch and can be handed back
/// to the kernel with `releasePages` once a streaming pass is done with them, so RSS stays bounded by
/// what is in use rather than by the file size. The descriptor stays open for in-kernel copies
/// (`OutputSink.write(from:range:)`).
public final class MappedFile: @unchecked Sendable {
    /// Path the file was opened from (used in error messages).
    public let path: String
    /// File size in bytes.
    public let count: Int
    /// Start of the mapping; nil for an empty file.
    public let base: UnsafeRawPointer?
    /// The open read-only descriptor (closed with the mapping).
    let descriptor: Int32

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CheckpointError("cannot open: \(String(cString: strerror(errno)))", file: path) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw CheckpointError("cannot stat: \(message)", file: path)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw CheckpointError("not a regular file", file: path)
        }
        descriptor = fd
        count = Int(info.st_size)
        if count == 0 {
            base = nil
            return
        }
        guard let mapped = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw CheckpointError("cannot map: \(message)", file: path)
        }
        base = UnsafeRawPointer(mapped)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
        close(descriptor)
    }

    /// The bytes of `range` (which must lie inside the file).
    public func bytes(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "range outside mapped file")
        guard let base else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count)
    }

    /// The whole file.
    public var all: UnsafeRawBufferPointer { bytes(0..<count) }

    /// Granularity of `releasePages`: the largest page-cache folio (a PMD, 2 MiB with 4 KiB pages).
    /// A fault maps the whole folio around the touched byte, so releasing only the touched pages would
    /// leave the rest of the folio mapped; folios are aligned to their size in the file.
    static let releaseGranularity = 2 << 20

    /// Tells the kernel the pages of `range`, widened to whole 2 MiB windows of the file, are no longer
    /// needed; they are re-read from the page cache on the next touch. Keeps RSS flat while a
    /// converter streams through a large file (the pages are clean and read-only, so dropping
    /// neighbours' pages costs at most a re-fault).
    public func releasePages(_ range: Range<Int>) {
        guard let base, !range.isEmpty else { return }
        let window = MappedFile.releaseGranularity
        let start = max(0, range.lowerBound) / window * window
        let end = min(count, (range.upperBound + window - 1) / window * window)
        guard end > start else { return }
        madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, MADV_DONTNEED)
    }
}
