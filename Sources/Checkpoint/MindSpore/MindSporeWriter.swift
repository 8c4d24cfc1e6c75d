/// Writes MindSpore `.ckpt` files byte-identical to `mindspore.save_checkpoint` (2.10) for the same
/// ordered (name, tensor) list: one `Checkpoint { value { tag, tensor { dims (unpacked), tensor_type,
/// tensor_content } } }` message per record, payloads over `options.mindsporeSliceBytes` (MindSpore:
/// 512 MiB) split into consecutive records that repeat tag, dims and type, and with
/// `options.mindsporeCRC` the `crc_num` trailer (CRC-32 chained over every record).
///
/// Deliberate differences: an empty tensor (a zero in its shape) is written as one record with empty
/// content (MindSpore drops it silently; its loader reads such a record correctly), except shape `[0]`,
/// which is refused because MindSpore loads `dims == [0]` as a scalar. `metadata` is ignored: a
/// `.ckpt` has no metadata.
///
/// Streaming: each payload is written straight from its (mapped) storage in large writes (without the
/// trailer, copied file to file in the kernel when it is a range of a mapped source), then its pages
/// are released; nothing is converted or copied per element.
enum MindSporeWriter: CheckpointWriter {
    static func write(_ tensors: [NamedTensor], metadata: [String: String], to path: String, options: WriterOptions) throws {
        guard options.mindsporeSliceBytes > 0 else {
            throw CheckpointError("mindsporeSliceBytes must be positive (got \(options.mindsporeSliceBytes))", file: path)
        }
        var typeNames: [String] = []  // [tensors.count]
        typeNames.reserveCapacity(tensors.count)
        for named in tensors {
            do {
                typeNames.append(try MindSporeTensorType.writerName(for: named.tensor.dtype))
            } catch let error as CheckpointError {
                throw CheckpointError(error.message, file: path, tensor: named.name)
            }
            if named.tensor.shape == [0] {
                throw CheckpointError("an empty 1-d tensor [0] cannot be stored in a .ckpt: MindSpore loads dims [0] as a scalar",
                                      file: path, tensor: named.name)
            }
        }
        let sink = try OutputSink(path: path)
        var crc: UInt32 = 0
        for (named, typeName) in zip(tensors, typeNames) {
            let tagPrefix = recordPrefixParts(tag: named.name, dims: named.tensor.shape, typeName: typeName)
            do {
                // Without the trailer nobody needs to see the payload: copy it file to file when it is
                // one range of a mapped source (copy_file_range, no pages mapped).
                let copied: Void? = options.mindsporeCRC ? nil : try named.tensor.withContiguousFileRange { file, range in
                    for slice in slices(count: range.count, sliceBytes: options.mindsporeSliceBytes) {
                        try sink.write(tagPrefix.prefix(contentLength: slice.count))
                        try sink.write(from: file, range: (range.lowerBound + slice.lowerBound)..<(range.lowerBound + slice.upperBound))
                    }
                }
                if copied == nil {
                    try named.tensor.withContiguousBytes { payload in
                        for slice in slices(count: payload.count, sliceBytes: options.mindsporeSliceBytes) {
                            let chunk = UnsafeRawBufferPointer(rebasing: payload[slice])
                            let prefix = tagPrefix.prefix(contentLength: chunk.count)
                            try sink.write(prefix)
                            try sink.write(chunk)
                            if options.mindsporeCRC {
                                crc = prefix.withUnsafeBytes { CRC32.update(crc, $0) }
                                crc = CRC32.update(crc, chunk)
                            }
                        }
                    }
                }
            } catch let error as CheckpointError {
                throw error.forTensor(named.name)
            }
            named.tensor.releaseCache()
        }
        if options.mindsporeCRC {
            var trailer = MindSporeCRCTrailer.marker  // [17] "crc_num" + u80 big-endian
            trailer += [0, 0, 0, 0, 0, 0]
            trailer += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: crc >> UInt32($0)) }
            try sink.write(trailer)
        }
        try sink.flush()
    }

    /// The payload ranges of a tensor's records: consecutive slices of at most `sliceBytes`; one empty
    /// slice for an empty payload.
    static func slices(count: Int, sliceBytes: Int) -> [Range<Int>] {
        guard count > 0 else { return [0..<0] }
        return stride(from: 0, to: count, by: sliceBytes).map { $0..<min(count, $0 + sliceBytes) }
    }

    /// The bytes of a record up to its `tensor_content` payload, for any payload length.
    struct RecordPrefix {
        /// `0A len(tag) tag`
        var tagField: [UInt8]
        /// `(08 dim)* 12 len(type) type 1A`
        var tensorFieldsBeforeContent: [UInt8]

        func prefix(contentLength: Int) -> [UInt8] {
            let content = UInt64(contentLength)
            let tensorLength = UInt64(tensorFieldsBeforeContent.count + ProtobufWireWriter.varintSize(content)) + content
            let valueLength = UInt64(tagField.count + 1 + ProtobufWireWriter.varintSize(tensorLength)) + tensorLength
            var out: [UInt8] = [0x0A]  // Checkpoint.value
            out.reserveCapacity(32 + tagField.count + tensorFieldsBeforeContent.count)
            ProtobufWireWriter.appendVarint(valueLength, to: &out)
            out += tagField
            out.append(0x12)  // Value.tensor
            ProtobufWireWriter.appendVarint(tensorLength, to: &out)
            out += tensorFieldsBeforeContent
            ProtobufWireWriter.appendVarint(content, to: &out)
            return out
        }
    }

    static func recordPrefixParts(tag: String, dims: [Int], typeName: String) -> RecordPrefix {
        var tagField: [UInt8] = [0x0A]  // Value.tag
        ProtobufWireWriter.appendVarint(UInt64(tag.utf8.count), to: &tagField)
        tagField += Array(tag.utf8)
        var fields: [UInt8] = []
        for dim in dims {
            fields.append(0x08)  // TensorProto.dims, unpacked
            ProtobufWireWriter.appendVarint(UInt64(bitPattern: Int64(dim)), to: &fields)
        }
        fields.append(0x12)  // TensorProto.tensor_type
        ProtobufWireWriter.appendVarint(UInt64(typeName.utf8.count), to: &fields)
        fields += Array(typeName.utf8)
        fields.append(0x1A)  // TensorProto.tensor_content
        return RecordPrefix(tagField: tagField, tensorFieldsBeforeContent: fields)
    }
}
