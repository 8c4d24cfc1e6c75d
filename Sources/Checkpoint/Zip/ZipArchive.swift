/// A validated, read-only view of a zip archive held in a `MappedFile` (the container of PyTorch
/// `torch.save` files, formats.md §1.2).
///
/// Opening walks the central directory (classic or zip64) and cross-checks every entry against its
/// local header: signature, name, method, flags and — without a data descriptor — CRC and sizes. Data
/// offsets come from the *local* extra length, as PyTorch's reader computes them. Every record must lie
/// inside the file, before the central directory, and no two records may overlap. Names must be unique
/// and all live under one archive prefix (the first entry's name up to its first `/`) — unless the
/// archive is opened with `archiveFolder: false` (a numpy `.npz`, whose members sit at the top level).
///
/// CRC-32 policy: stored records with a non-zero CRC are verified **at open** (`verifyChecksums`: 8 MiB
/// pieces on up to two threads, pages released as it goes), so a multi-gigabyte archive is checked with flat
/// memory and every corruption is reported before any tensor is used. A zero CRC means the writer disabled CRCs
/// (`torch.serialization.set_crc32_options(False)`) and is accepted, as `torch.load` does. Compressed
/// records are listed but never inflated here; callers decide whether to refuse them.
public final class ZipArchive {
    /// One record of the archive, located and validated.
    public struct Entry {
        /// Full name as stored (`archive/data/0`).
        public let name: String
        /// The name with the archive prefix and its `/` removed (`data/0`).
        public let relativeName: String
        /// 0 = stored; anything else is compressed.
        public let method: UInt16
        public let crc32: UInt32
        public let compressedSize: Int
        public let uncompressedSize: Int
        /// Absolute offset of the local file header.
        public let localHeaderOffset: Int
        /// Absolute byte range of the (stored or compressed) payload.
        public let dataRange: Range<Int>

        /// True when the payload is stored as is, so `dataRange` holds the record's bytes.
        public var isStored: Bool { method == 0 }
    }

    public let file: MappedFile
    /// Records in central-directory order.
    public let entries: [Entry]
    /// The archive prefix (`archive`, or the saved file's base name); empty for an archive opened with
    /// `archiveFolder: false`, where `relativeName` is the full name.
    public let prefix: String
    private let indexByRelativeName: [String: Int]

    /// Parses and validates the archive; verifies CRCs of stored records when `verifyCRC` is true.
    /// `archiveFolder: false` drops the one-folder rule (and allows an empty archive).
    public init(file: MappedFile, verifyCRC: Bool = true, archiveFolder: Bool = true) throws {
        self.file = file
        let fields = ZipFields(bytes: file.all)
        let directory = try ZipDirectoryLocator.locate(fields)
        var parsed = try ZipArchive.readCentralDirectory(fields, directory, file)
        try ZipArchive.checkNoOverlap(parsed, directoryStart: directory.offset)
        guard archiveFolder else {
            self.prefix = ""
            self.entries = parsed
            self.indexByRelativeName = Dictionary(parsed.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
            if verifyCRC { try verifyChecksums() }
            return
        }
        guard let first = parsed.first else { throw CheckpointError("zip archive has no entries", offset: directory.offset) }
        guard let slash = first.name.firstIndex(of: "/"), slash != first.name.startIndex else {
            throw CheckpointError("first zip entry '\(first.name)' is not inside an archive folder", offset: first.localHeaderOffset)
        }
        let prefix = String(first.name[..<slash])
        var index: [String: Int] = [:]
        for (i, entry) in parsed.enumerated() {
            guard entry.name.hasPrefix(prefix + "/"), entry.name.count > prefix.count + 1 else {
                throw CheckpointError("zip entry '\(entry.name)' is outside the archive folder '\(prefix)/'", offset: entry.localHeaderOffset)
            }
            let relative = String(entry.name.dropFirst(prefix.count + 1))
            parsed[i] = Entry(name: entry.name, relativeName: relative, method: entry.method, crc32: entry.crc32,
                              compressedSize: entry.compressedSize, uncompressedSize: entry.uncompressedSize,
                              localHeaderOffset: entry.localHeaderOffset, dataRange: entry.dataRange)
            index[relative] = i
        }
        self.prefix = prefix
        self.entries = parsed
        self.indexByRelativeName = index
        if verifyCRC { try verifyChecksums() }
    }

    /// The record at `relativeName` (below the archive prefix), if any.
    public func entry(_ relativeName: String) -> Entry? {
        indexByRelativeName[relativeName].map { entries[$0] }
    }

    /// The payload bytes of a stored record.
    public func bytes(of entry: Entry) -> UnsafeRawBufferPointer { file.bytes(entry.dataRange) }

    func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    /// Reads every central-directory entry and its local header. Each local header's pages are released
    /// right after the check: touching one maps its whole page-cache folio (up to 2 MiB), which for a
    /// 2.7 GB DiT file otherwise adds up to 300 MB of RSS.
    private static func readCentralDirectory(_ fields: ZipFields, _ directory: ZipDirectoryLocator.Directory,
                                             _ file: MappedFile) throws -> [Entry] {
        // Each central entry is at least 46 bytes, which bounds the count before anything is allocated.
        guard directory.entryCount <= directory.size / 46 else {
            throw CheckpointError("zip central directory declares \(directory.entryCount) entries but holds only \(directory.size) bytes", offset: directory.offset)
        }
        var entries: [Entry] = []
        entries.reserveCapacity(directory.entryCount)
        var seen = Set<String>()
        var cursor = directory.offset
        let end = directory.offset + directory.size
        for _ in 0..<directory.entryCount {
            let central = try ZipCentralRecord(fields, at: cursor, directoryEnd: end)
            guard seen.insert(central.name).inserted else {
                throw CheckpointError("duplicate zip entry name '\(central.name)'", offset: cursor)
            }
            let dataOffset = try ZipLocalHeader.check(fields, central, directoryStart: directory.offset)
            file.releasePages(central.localHeaderOffset..<dataOffset)
            let (dataEnd, overflow) = dataOffset.addingReportingOverflow(central.compressedSize)
            guard !overflow, dataEnd <= directory.offset else {
                throw CheckpointError("zip record '\(central.name)' (\(central.compressedSize) bytes) runs into the central directory at \(directory.offset)", offset: dataOffset)
            }
            entries.append(Entry(name: central.name, relativeName: central.name, method: central.method, crc32: central.crc32,
                                 compressedSize: central.compressedSize, uncompressedSize: central.uncompressedSize,
                                 localHeaderOffset: central.localHeaderOffset, dataRange: dataOffset..<dataEnd))
            cursor = central.nextOffset
        }
        guard cursor == end else {
            throw CheckpointError("zip central directory size \(directory.size) does not match its \(directory.entryCount) entries (they end at \(cursor))", offset: cursor)
        }
        return entries
    }

    /// Records (local header through payload) must not overlap one another.
    private static func checkNoOverlap(_ entries: [Entry], directoryStart: Int) throws {
        let sorted = entries.sorted { $0.localHeaderOffset < $1.localHeaderOffset }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where previous.dataRange.upperBound > next.localHeaderOffset {
            throw CheckpointError("zip records '\(previous.name)' and '\(next.name)' overlap", offset: next.localHeaderOffset)
        }
    }
}
