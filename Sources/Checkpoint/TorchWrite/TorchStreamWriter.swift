/// A streaming counterpart of PyTorch's `PyTorchStreamWriter`: appends STORED records under
/// `<archive>/`, each payload 64-byte aligned, with CRC-32 data descriptors, and finishes with the
/// `version` record, `.data/serialization_id`, the central directory and the zip64 + classic end
/// records. Payloads go from the caller's buffer to the file in large chunks (CRC over the same chunk
/// just before it is written); only the central directory is kept in memory.
final class TorchStreamWriter {
    let archiveName: String
    private let sink: OutputSink
    private let layout: TorchZipLayout
    private var centralDirectory = TorchWriteBuffer()  // [entries × (46 + name + extra)] bytes
    private var entryCount: UInt64 = 0
    private var writtenNames = Set<String>()
    private var serializationID = TorchSerializationID()
    private var finished = false

    /// Bytes hashed and written per step when streaming a payload.
    static let chunkSize = 8 << 20
    /// Torch's `kProducedFileFormatVersion` for `torch.save` archives.
    static let fileFormatVersion = "3\n"

    init(sink: OutputSink, archiveName: String, layout: TorchZipLayout = TorchZipLayout()) throws {
        guard !archiveName.isEmpty, !archiveName.contains("/") else {
            throw CheckpointError("invalid archive name '\(archiveName)' (must be non-empty, without '/')")
        }
        self.sink = sink
        self.archiveName = archiveName
        self.layout = layout
    }

    /// Writes a small record from memory.
    func writeRecord(_ name: String, _ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try writeRecord(name, $0) }
    }

    /// Writes a record whose payload is `payload` (streamed in chunks, never copied).
    func writeRecord(_ name: String, _ payload: UnsafeRawBufferPointer) throws {
        guard !finished else { throw CheckpointError("record '\(name)' written after the end of the archive") }
        guard writtenNames.insert(name).inserted else { throw CheckpointError("record '\(name)' written twice") }
        let fullName = Array((archiveName + "/" + name).utf8)  // [name length] bytes
        guard fullName.count <= Int(UInt16.max) else { throw CheckpointError("record name of \(fullName.count) bytes is too long for zip") }
        let offset = UInt64(sink.offset)
        let size = UInt64(payload.count)
        let zip64Extra = layout.localZip64Extra(size: size, offset: offset)
        let alignmentExtra = layout.alignmentExtra(offset: offset, nameLength: fullName.count, size: size)
        let header = TorchZipLayout.localHeader(nameLength: fullName.count, extraLength: zip64Extra.count + alignmentExtra.count, size: size)
        try emit(header)
        try emit(fullName)
        try emit(zip64Extra)
        try emit(alignmentExtra)
        let crc = try streamPayload(payload)
        if size > 0 {
            try emit(layout.dataDescriptor(crc: crc, size: size, zip64: !zip64Extra.isEmpty))
        }
        centralDirectory.append(layout.centralEntry(name: fullName, crc: crc, size: size, offset: offset))
        guard UInt64(centralDirectory.count) < 0xFFFF_FFFF else { throw CheckpointError("central directory exceeds 4 GiB") }
        entryCount += 1
        serializationID.addRecordName(name)
    }

    /// Writes `version` (if not written yet), `.data/serialization_id`, the central directory and the end
    /// records, then flushes the sink.
    func writeEndOfFile() throws {
        if !writtenNames.contains("version") && !writtenNames.contains(".data/version") {
            try writeRecord("version", Array(Self.fileFormatVersion.utf8))
        }
        try writeRecord(".data/serialization_id", Array(serializationID.text.utf8))
        let directoryOffset = UInt64(sink.offset)
        try sink.write(centralDirectory.bytes)
        try sink.write(layout.endRecords(entryCount: entryCount, directorySize: UInt64(centralDirectory.count), directoryOffset: directoryOffset))
        try sink.flush()
        finished = true
    }

    /// Writes header bytes, showing them to the serialization-id tracker as torch's write callback sees them.
    private func emit(_ bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { return }
        bytes.withUnsafeBytes { serializationID.observeWrite(head: UnsafeRawBufferPointer(rebasing: $0.prefix(8)), length: $0.count) }
        try sink.write(bytes)
    }

    /// Hashes and writes the payload chunk by chunk; returns its CRC-32. Torch writes the payload in one
    /// call, so the serialization-id tracker sees its first 8 bytes and full length.
    private func streamPayload(_ payload: UnsafeRawBufferPointer) throws -> UInt32 {
        serializationID.observeWrite(head: UnsafeRawBufferPointer(rebasing: payload.prefix(8)), length: payload.count)
        var crc: UInt32 = 0
        var start = 0
        while start < payload.count {
            let end = start + min(Self.chunkSize, payload.count - start)
            let chunk = UnsafeRawBufferPointer(rebasing: payload[start..<end])
            crc = CRC32.update(crc, chunk)
            try sink.write(chunk)
            start = end
        }
        return crc
    }
}
