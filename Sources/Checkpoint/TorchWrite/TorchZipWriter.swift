/// Writes a PyTorch `.pt` zip archive byte-identical to `torch.save(collections.OrderedDict(...), path)`
/// (torch 2.15, default protocol 2, CRC on) for the same ordered contiguous tensors and file stem.
///
/// Records, in order: `<a>/data.pkl`, `.format_version` (`1`), `.storage_alignment` (`64`), `byteorder`
/// (`little`), `data/0` … `data/N-1` (one dense row-major storage per tensor, in the given order),
/// `version` (`3\n`), `.data/serialization_id`. Each tensor is read once through
/// `withContiguousBytes`, streamed to the file and released, so at most one tensor is materialised.
/// `metadata` has no place in a torch state dict and is not written.
enum TorchZipWriter: CheckpointWriter {
    /// The archive's top-level folder as torch names it: the target's file name without directories
    /// (separated by `/` or a backslash, as in torch's C++ `basename`) and without its last extension
    /// (`/x/model.pt` → `model`). Torch falls back to `archive` when it writes through a Python file
    /// object, which it does for non-ASCII paths; an empty stem (which torch refuses) also maps to
    /// `archive`.
    static func archiveName(for path: String) -> String {
        let base = path.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? path
        guard path.utf8.allSatisfy({ $0 < 0x80 }) else { return "archive" }
        var stem = Substring(base)
        if let dot = stem.lastIndex(of: ".") { stem = stem[..<dot] }
        return stem.isEmpty ? "archive" : String(stem)
    }

    static func write(_ tensors: [NamedTensor], metadata: [String: String], to path: String, options: WriterOptions) throws {
        try write(tensors, to: path, archiveName: options.torchArchiveName ?? archiveName(for: path), layout: TorchZipLayout())
    }

    /// `write` with an explicit zip layout (tests lower the zip64 limit).
    static func write(_ tensors: [NamedTensor], to path: String, archiveName: String, layout: TorchZipLayout) throws {
        var seen = Set<String>()
        for named in tensors where !seen.insert(named.name).inserted {
            throw CheckpointError("duplicate tensor name", tensor: named.name)
        }
        let entries = tensors.map { TorchStatePickle.Entry(name: $0.name, dtype: $0.tensor.dtype, shape: $0.tensor.shape) }
        let pickle = try TorchStatePickle.encode(entries)  // [pickle length] bytes
        let sink = try OutputSink(path: path)
        let archive = try TorchStreamWriter(sink: sink, archiveName: archiveName, layout: layout)
        try archive.writeRecord("data.pkl", pickle)
        try archive.writeRecord(".format_version", Array("1".utf8))
        try archive.writeRecord(".storage_alignment", Array(String(layout.alignment).utf8))
        try archive.writeRecord("byteorder", Array("little".utf8))
        for (index, named) in tensors.enumerated() {
            let tensor = named.tensor
            do {
                let expected = tensor.byteCount
                try tensor.withContiguousBytes { bytes in  // [elementCount × dtype.byteSize] bytes, row-major
                    guard bytes.count == expected else {
                        throw CheckpointError("storage yielded \(bytes.count) bytes, expected \(expected) for \(tensor.dtype) \(tensor.shape)")
                    }
                    try archive.writeRecord("data/\(index)", bytes)
                }
            } catch let error as CheckpointError {
                throw error.forTensor(named.name)
            }
            tensor.releaseCache()
        }
        try archive.writeEndOfFile()
    }
}
