/// Reads a numpy `.npz` archive (`np.savez`, `np.savez_compressed`) as a tensor store: a zip whose
/// members are `.npy` streams, each array named by its member name without `.npy` (`weight.npy` →
/// `weight`, `arr_0.npy` → `arr_0`), in archive order — what `np.load(path).files` lists.
///
/// The zip is validated as `ZipArchive` does for torch files (local headers against the central
/// directory, no overlaps, zip64, CRC-32 of stored members at open), without the one-folder rule.
/// Stored members are read in place; deflated members are inflated (`ZipInflate`: bounded, exact size,
/// CRC-32 checked). Each member must be a `.npy` stream, parsed as `NumpyFileReader` parses a file; an
/// object array is refused naming its member, as `np.load(allow_pickle=False)` refuses it.
enum NumpyArchiveReader {
    static func read(_ file: MappedFile) throws -> CheckpointContents {
        let archive = try ZipArchive(file: file, verifyCRC: true, archiveFolder: false)
        var entries: [(key: Node, value: Node)] = []
        for entry in archive.entries {
            let name = try arrayName(entry)
            do {
                entries.append((key: .string(name), value: .tensor(try tensor(archive, entry))))
            } catch let error as CheckpointError {
                var located = error.forTensor(name)
                located.message = "npz member '\(entry.name)': " + error.message
                throw located
            }
        }
        return CheckpointContents(root: .dict(entries))
    }

    /// The array name of a member: its name without `.npy`. Other members (directories, stray files)
    /// are refused rather than skipped, so nothing in the archive goes unnoticed.
    static func arrayName(_ entry: ZipArchive.Entry) throws -> String {
        guard entry.name.hasSuffix(".npy"), entry.name.count > 4 else {
            throw CheckpointError("npz member '\(entry.name)' is not a .npy array", offset: entry.localHeaderOffset)
        }
        return String(entry.name.dropLast(4))
    }

    private static func tensor(_ archive: ZipArchive, _ entry: ZipArchive.Entry) throws -> Tensor {
        let what = "npz member '\(entry.name)'"
        if entry.isStored {
            let bytes = archive.bytes(of: entry)
            try requireMagic(bytes, entry)
            let header: NumpyFileReader.Header
            do { header = try NumpyFileReader.parseHeader(bytes) } catch let error as CheckpointError {
                throw rebased(error, entry.dataRange.lowerBound)
            }
            let range = (entry.dataRange.lowerBound + header.dataOffset)..<entry.dataRange.upperBound
            do {
                return try NumpyFileReader.tensor(header, data: archive.file.bytes(range), what: what) {
                    MappedStorage(file: archive.file, range: range)
                }
            } catch let error as CheckpointError { throw rebased(error, entry.dataRange.lowerBound) }
        }
        let inflated = try ZipInflate.inflate(archive, entry)  // [uncompressed size] bytes, the whole .npy stream
        return try inflated.withUnsafeBytes { bytes in
            try requireMagic(bytes, entry)
            // Offsets inside an inflated member point into no file byte: report the member's record.
            do {
                let header = try NumpyFileReader.parseHeader(bytes)
                let data = UnsafeRawBufferPointer(rebasing: bytes[header.dataOffset...])
                return try NumpyFileReader.tensor(header, data: data, what: what) { OwnedStorage(Array(data)) }
            } catch var error as CheckpointError {
                error.offset = entry.localHeaderOffset
                throw error
            }
        }
    }

    private static func requireMagic(_ bytes: UnsafeRawBufferPointer, _ entry: ZipArchive.Entry) throws {
        guard bytes.count >= 6, bytes.prefix(6).elementsEqual(NumpyFileReader.magic) else {
            throw CheckpointError("npz member '\(entry.name)' does not start with the .npy magic \\x93NUMPY", offset: entry.dataRange.lowerBound)
        }
    }

    /// An error from a stored member's `.npy` parse, with its member-relative offset made absolute.
    private static func rebased(_ error: CheckpointError, _ base: Int) -> CheckpointError {
        var copy = error
        copy.offset = error.offset.map { $0 + base }
        return copy
    }
}
