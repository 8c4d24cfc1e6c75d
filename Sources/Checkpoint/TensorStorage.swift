/// Where a tensor's bytes come from. Storages are read lazily: nothing is copied until a consumer asks
/// for the bytes, and mapped storages hand out pointers into the file itself.
public protocol TensorStorage: AnyObject {
    /// Total size of the storage in bytes.
    var byteCount: Int { get }
    /// Calls `body` with all `byteCount` bytes of the storage.
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R
    /// Drops cached or mapped pages after a streaming consumer is done (a no-op where nothing is cached).
    func releaseCache()
    /// When all the bytes are one range of a mapped file, returns `body(file, absolute range)`, so a
    /// writer can copy them without reading them; otherwise nil, without calling `body`.
    func withFileRange<R>(_ body: (MappedFile, Range<Int>) throws -> R) throws -> R?
}

extension TensorStorage {
    public func releaseCache() {}
    public func withFileRange<R>(_ body: (MappedFile, Range<Int>) throws -> R) throws -> R? { nil }
}

/// A byte range of a memory-mapped file, read in place.
public final class MappedStorage: TensorStorage {
    public let file: MappedFile
    /// Absolute byte range in `file`.
    public let range: Range<Int>

    public init(file: MappedFile, range: Range<Int>) {
        self.file = file
        self.range = range
    }

    public var byteCount: Int { range.count }

    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try body(file.bytes(range))
    }

    public func releaseCache() { file.releasePages(range) }

    public func withFileRange<R>(_ body: (MappedFile, Range<Int>) throws -> R) throws -> R? { try body(file, range) }
}

/// Several byte ranges of a mapped file that together form one storage (MindSpore splits tensors over
/// 512 MiB into consecutive records). Assembled into a temporary buffer on each access.
public final class SegmentedStorage: TensorStorage {
    public let file: MappedFile
    /// Absolute byte ranges in `file`, in order.
    public let segments: [Range<Int>]
    public let byteCount: Int

    public init(file: MappedFile, segments: [Range<Int>]) {
        self.file = file
        self.segments = segments
        self.byteCount = segments.reduce(0) { $0 + $1.count }
    }

    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        if segments.count == 1 { return try body(file.bytes(segments[0])) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(byteCount, 1), alignment: 64)  // [byteCount] bytes
        defer { buffer.deallocate() }
        var cursor = 0
        for segment in segments {
            let source = file.bytes(segment)
            if source.count > 0 { (buffer.baseAddress! + cursor).copyMemory(from: source.baseAddress!, byteCount: source.count) }
            cursor += source.count
        }
        return try body(UnsafeRawBufferPointer(start: buffer.baseAddress, count: byteCount))
    }

    public func releaseCache() { segments.forEach(file.releasePages) }

    public func withFileRange<R>(_ body: (MappedFile, Range<Int>) throws -> R) throws -> R? {
        segments.count == 1 ? try body(file, segments[0]) : nil
    }
}

/// Bytes owned in memory (small values, decoded pickle payloads, test data).
public final class OwnedStorage: TensorStorage {
    /// The bytes, exactly `byteCount` long.
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var byteCount: Int { bytes.count }

    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try bytes.withUnsafeBytes(body)
    }
}

/// Bytes produced on demand by a closure that fills a buffer of `byteCount` bytes (HDF5 reads, dtype
/// conversion). Nothing is cached: each access recomputes, so memory is held only while in use.
public final class ComputedStorage: TensorStorage {
    public let byteCount: Int
    private let fill: (UnsafeMutableRawBufferPointer) throws -> Void

    public init(byteCount: Int, fill: @escaping (UnsafeMutableRawBufferPointer) throws -> Void) {
        self.byteCount = byteCount
        self.fill = fill
    }

    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(byteCount, 1), alignment: 64)  // [byteCount] bytes
        defer { buffer.deallocate() }
        let exact = UnsafeMutableRawBufferPointer(start: buffer.baseAddress, count: byteCount)
        try fill(exact)
        return try body(UnsafeRawBufferPointer(exact))
    }
}
