/// Writes safetensors files byte-identical to `safetensors.torch.save_file` / `safetensors.numpy.save_file`
/// (safetensors 0.8) for the same tensors and metadata: tensors sorted by dtype alignment (descending)
/// then name (UTF-8 byte order), compact serde_json header with `__metadata__` first, padded with
/// spaces to a multiple of 8, data concatenated without gaps.
///
/// Differences from the reference: empty `metadata` writes no `__metadata__` (the reference writes
/// `{}` for an explicit empty dict); with two or more metadata keys the keys are sorted, whereas the
/// reference's order varies from run to run.
///
/// Streaming: the header is computed from shapes alone, then each tensor's bytes are written straight
/// from its storage (copied in the kernel when they are a range of a mapped file) and its pages released.
enum SafetensorsWriter: CheckpointWriter {
    static func write(_ tensors: [NamedTensor], metadata: [String: String], to path: String, options: WriterOptions) throws {
        var planned: [(tensor: NamedTensor, dtype: SafetensorsDType)] = []
        planned.reserveCapacity(tensors.count)
        for named in tensors {
            guard let dtype = SafetensorsDType(named.tensor.dtype) else {
                throw CheckpointError("safetensors has no \(named.tensor.dtype) (\(named.tensor.dtype.torchName)) dtype; convert it first",
                                      file: path, tensor: named.name)
            }
            planned.append((named, dtype))
        }
        planned.sort { a, b in
            if a.dtype != b.dtype { return a.dtype > b.dtype }
            return a.tensor.name.utf8.lexicographicallyPrecedes(b.tensor.name.utf8)
        }
        var entries: [SafetensorsHeaderEncoder.Entry] = []
        entries.reserveCapacity(planned.count)
        var offset = 0
        for (named, dtype) in planned {
            let size = try Tensor.checkedByteCount(dtype: named.tensor.dtype, shape: named.tensor.shape)
            let (end, overflow) = offset.addingReportingOverflow(size)
            guard !overflow else { throw CheckpointError("total data size overflows", file: path, tensor: named.name) }
            entries.append(.init(name: named.name, dtype: dtype, shape: named.tensor.shape, begin: offset, end: end))
            offset = end
        }
        let header = SafetensorsHeaderEncoder.encode(entries, metadata: metadata)
        guard header.count <= SafetensorsReader.maxHeaderSize else {
            throw CheckpointError("header too large: \(header.count) bytes, over the \(SafetensorsReader.maxHeaderSize)-byte limit", file: path)
        }
        let sink = try OutputSink(path: path)
        var lengthField = [UInt8](repeating: 0, count: 8)  // [8] u64 LE header length
        for i in 0..<8 { lengthField[i] = UInt8(truncatingIfNeeded: UInt64(header.count) >> (8 * UInt64(i))) }
        try sink.write(lengthField)
        try sink.write(header)
        for (named, _) in planned {
            do {
                try sink.write(contentsOf: named.tensor)
            } catch let error as CheckpointError {
                throw error.forTensor(named.name)
            }
            named.tensor.releaseCache()
        }
        try sink.flush()
    }
}
