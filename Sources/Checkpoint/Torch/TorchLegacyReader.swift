/// Reads a legacy (pre-1.6, `_use_new_zipfile_serialization=False`) PyTorch file (formats.md §1.9):
/// five pickles — magic number, protocol version 1001, sys_info, the object (6-tuple persistent ids),
/// the storage key list — then, per listed key, an int64 element count and the raw little-endian
/// bytes. Counts are cross-checked with the object pickle's; data may be unaligned (it is read in
/// place through `MappedStorage`, and consumers load unaligned).
enum TorchLegacyReader {
    /// `0x1950a86a20f9469cfc6c` as pickle's LONG1 little-endian bytes.
    static let magicNumber: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
    static let protocolVersion: Int64 = 1001

    static func read(_ file: MappedFile) throws -> CheckpointContents {
        let bytes = file.all
        var cursor = try header(bytes)
        let storages = TorchLegacyStorages(file: file)
        let semantics = TorchPickleSemantics { pid, offset in try storages.storage(for: pid, offset: offset) }
        let root = try Unpickler.load(tail(bytes, cursor), baseOffset: cursor, semantics: semantics) { value, end in
            cursor = end
            let keys = try simplePickle(bytes, &cursor) { value, offset in try storageKeys(value, offset: offset) }
            try storages.locateData(keys: keys, from: cursor)
            return try TorchTreeBuilder.build(value)
        }
        return CheckpointContents(root: root)
    }

    /// Pickles 1–3: magic number, protocol version, sys_info. Returns the offset of the object pickle.
    private static func header(_ bytes: UnsafeRawBufferPointer) throws -> Int {
        var cursor = 0
        try simplePickle(bytes, &cursor) { value, offset in
            guard case .bigInt(let magic) = value, magic == magicNumber else {
                throw CheckpointError("invalid legacy torch magic number; corrupt file?", offset: offset)
            }
        }
        try simplePickle(bytes, &cursor) { value, offset in
            guard case .int(let version) = value, version == protocolVersion else {
                throw CheckpointError("invalid legacy torch protocol version \(value.kind == "int" ? "" : value.kind) (expected 1001)", offset: offset)
            }
        }
        try simplePickle(bytes, &cursor) { value, offset in
            guard case .dict(let info) = value else { throw CheckpointError("legacy sys_info is a \(value.kind), not a dict", offset: offset) }
            if case .bool(false)? = info["little_endian"] {
                throw CheckpointError("big-endian legacy torch file is not supported", offset: offset)
            }
            if let version = info["protocol_version"], case .int(let number) = version, number != protocolVersion {
                throw CheckpointError("legacy sys_info protocol_version \(number) is not 1001", offset: offset)
            }
        }
        return cursor
    }

    /// Runs a pickle that may not reference storages, starting at `cursor`, and moves `cursor` past it.
    @discardableResult
    private static func simplePickle<R>(_ bytes: UnsafeRawBufferPointer, _ cursor: inout Int,
                                        _ body: (UnpickledValue, Int) throws -> R) throws -> R {
        let start = cursor
        let semantics = TorchPickleSemantics { _, offset in
            throw CheckpointError("storage persistent id outside the object pickle", offset: offset)
        }
        let (result, end) = try Unpickler.load(tail(bytes, start), baseOffset: start, semantics: semantics) { value, end in
            (try body(value, start), end)
        }
        cursor = end
        return result
    }

    /// Pickle 5: the list of storage keys, as strings.
    private static func storageKeys(_ value: UnpickledValue, offset: Int) throws -> [String] {
        guard case .list(let list) = value else {
            throw CheckpointError("legacy storage key list is a \(value.kind), not a list", offset: offset)
        }
        return try list.items.map {
            guard case .string(let key) = $0 else { throw CheckpointError("legacy storage key is a \($0.kind), not a string", offset: offset) }
            return key
        }
    }

    private static func tail(_ bytes: UnsafeRawBufferPointer, _ start: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[min(start, bytes.count)...])
    }
}

/// Storages of a legacy file: created from the object pickle's persistent ids, located once the key
/// list and the data section have been read.
final class TorchLegacyStorages {
    private let file: MappedFile
    private var roots: [String: TorchStorageReference] = [:]
    private var views: [String: (view: TorchStorageReference, root: TorchStorageReference, elementOffset: Int)] = [:]

    init(file: MappedFile) { self.file = file }

    func storage(for pid: UnpickledValue, offset: Int) throws -> TorchStorageReference {
        let id = try TorchPersistentID(pid, legacy: true, offset: offset)
        let root: TorchStorageReference
        if let existing = roots[id.key] {
            guard existing.className == id.className, existing.numel == id.numel else {
                throw CheckpointError("storage '\(id.key)' is declared as both \(existing.className)[\(existing.numel)] and \(id.className)[\(id.numel)]", offset: offset)
            }
            root = existing
        } else {
            root = try TorchStorageReference(key: id.key, dtype: id.dtype, isUntyped: id.isUntyped, numel: id.numel, offset: offset)
            roots[id.key] = root
        }
        guard let view = id.view else { return root }
        if let existing = views[view.key] {
            guard existing.root === root, existing.elementOffset == view.offset, existing.view.numel == view.size else {
                throw CheckpointError("legacy storage view '\(view.key)' is declared twice differently", offset: offset)
            }
            return existing.view
        }
        let (end, overflow) = view.offset.addingReportingOverflow(view.size)
        guard !overflow, end <= root.numel else {
            throw CheckpointError("legacy storage view '\(view.key)' [\(view.offset), +\(view.size)) lies outside storage '\(id.key)' of \(root.numel) elements", offset: offset)
        }
        let storage = try TorchStorageReference(key: view.key, dtype: id.dtype, isUntyped: id.isUntyped, numel: view.size, offset: offset)
        views[view.key] = (storage, root, view.offset)
        return storage
    }

    /// Reads `int64 numel` + raw bytes for each listed key, starting at `start`, up to the end of file.
    func locateData(keys: [String], from start: Int) throws {
        let fields = ZipFields(bytes: file.all)
        var cursor = start
        var seen = Set<String>()
        for key in keys {
            guard seen.insert(key).inserted else { throw CheckpointError("legacy storage key '\(key)' is listed twice", offset: cursor) }
            guard let storage = roots[key] else {
                throw CheckpointError("legacy storage key '\(key)' is listed but no tensor uses it", offset: cursor)
            }
            let declared = try fields.u64(cursor, "element count of storage '\(key)'")
            guard declared == UInt64(storage.numel) else {
                throw CheckpointError("storage '\(key)' holds \(declared) elements in the data section but the pickle declares \(storage.numel)", offset: cursor)
            }
            cursor += 8
            try fields.require(cursor, storage.byteCount, "data of storage '\(key)'")
            storage.bytes = MappedStorage(file: file, range: cursor..<(cursor + storage.byteCount))
            cursor += storage.byteCount
        }
        guard cursor == file.count else {
            throw CheckpointError("\(file.count - cursor) unexpected bytes after the last legacy storage", offset: cursor)
        }
        for (key, root) in roots where root.bytes == nil {
            throw CheckpointError("storage '\(key)' is used by a tensor but missing from the legacy key list", offset: root.offset)
        }
        for (view, root, elementOffset) in views.values {
            guard let mapped = root.bytes as? MappedStorage else { continue }
            let start = mapped.range.lowerBound + elementOffset * root.dtype.byteSize
            view.bytes = MappedStorage(file: file, range: start..<(start + view.byteCount))
        }
    }
}
