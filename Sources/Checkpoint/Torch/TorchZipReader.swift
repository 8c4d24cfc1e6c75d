/// Reads a PyTorch ≥ 1.6 zip checkpoint (formats.md §1.2–§1.8) without executing anything.
///
/// The archive is validated by `ZipArchive` (CRCs verified at open). TorchScript archives, compressed
/// records and big-endian storages are refused. `data.pkl` runs through the non-executing unpickler
/// with the torch allowlist; each storage key is bound once to its `data/<key>` record, whose size must
/// equal `numel × element size`, and tensors become bounds-checked views that read the mapped file
/// lazily.
enum TorchZipReader {
    static func read(_ file: MappedFile) throws -> CheckpointContents {
        let archive = try ZipArchive(file: file)
        try checkContainer(archive)
        guard let pickle = archive.entry("data.pkl") else {
            throw CheckpointError("zip archive has no '\(archive.prefix)/data.pkl' record (not a torch.save checkpoint)")
        }
        let storages = TorchZipStorages(archive: archive)
        let semantics = TorchPickleSemantics { pid, offset in try storages.storage(for: pid, offset: offset) }
        let root = try Unpickler.load(archive.bytes(of: pickle), baseOffset: pickle.dataRange.lowerBound, semantics: semantics) { value, end in
            guard end == pickle.dataRange.upperBound else {
                throw CheckpointError("\(pickle.dataRange.upperBound - end) unexpected bytes after STOP in data.pkl", offset: end)
            }
            return try TorchTreeBuilder.build(value)
        }
        return CheckpointContents(root: root)
    }

    /// TorchScript, compression, byte order and version checks on the archive as a whole.
    private static func checkContainer(_ archive: ZipArchive) throws {
        if let constants = archive.entry("constants.pkl") {
            throw CheckpointError("TorchScript archive (has constants.pkl); refused, as torch.load(weights_only=True) does. Load it with torch.jit.load and save its state_dict instead",
                                  offset: constants.localHeaderOffset)
        }
        for entry in archive.entries where !entry.isStored {
            throw CheckpointError("zip record '\(entry.name)' is compressed (method \(entry.method), declares \(entry.uncompressedSize) bytes); refused: torch never compresses and inflating untrusted records risks a deflate bomb",
                                  offset: entry.localHeaderOffset)
        }
        if let record = archive.entry("byteorder") {
            switch text(archive, record) {
            case "little": break
            case "big": throw CheckpointError("big-endian storages (byteorder record 'big') are not supported", offset: record.dataRange.lowerBound)
            default: throw CheckpointError("byteorder record is neither 'little' nor 'big'", offset: record.dataRange.lowerBound)
            }
        }
        if let record = archive.entry("version") ?? archive.entry(".data/version") {
            let value = text(archive, record).split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
            guard let version = Int(value), (1...10).contains(version) else {
                throw CheckpointError("unsupported torch archive version '\(value.prefix(20))' (expected 1-10)", offset: record.dataRange.lowerBound)
            }
        }
    }

    /// A small text record (at most 64 bytes are looked at).
    private static func text(_ archive: ZipArchive, _ entry: ZipArchive.Entry) -> String {
        String(decoding: archive.bytes(of: entry).prefix(64), as: UTF8.self)
    }
}

/// Binds storage keys to `data/<key>` records, once per key.
final class TorchZipStorages {
    private let archive: ZipArchive
    private var byKey: [String: TorchStorageReference] = [:]

    init(archive: ZipArchive) { self.archive = archive }

    func storage(for pid: UnpickledValue, offset: Int) throws -> TorchStorageReference {
        let id = try TorchPersistentID(pid, legacy: false, offset: offset)
        if let existing = byKey[id.key] {
            if existing.className == id.className, existing.numel == id.numel { return existing }
            guard existing.byteCount == 0 else {
                throw CheckpointError("storage '\(id.key)' is declared as both \(existing.className)[\(existing.numel)] and \(id.className)[\(id.numel)]", offset: offset)
            }
        }
        let name = "data/" + id.key
        guard let record = archive.entry(name) else {
            throw CheckpointError("storage '\(id.key)' has no '\(archive.prefix)/\(name)' record", offset: offset)
        }
        let storage = try TorchStorageReference(key: id.key, dtype: id.dtype, isUntyped: id.isUntyped, numel: id.numel, offset: offset)
        guard record.uncompressedSize == storage.byteCount else {
            throw CheckpointError("storage '\(id.key)' is \(id.numel) × \(id.dtype.byteSize)-byte \(id.className) = \(storage.byteCount) bytes but its record holds \(record.uncompressedSize)", offset: offset)
        }
        storage.bytes = MappedStorage(file: archive.file, range: record.dataRange)
        if byKey[id.key] == nil { byKey[id.key] = storage }
        return storage
    }
}
