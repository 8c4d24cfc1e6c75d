/// Reads MindSpore `.ckpt` files (a stream of protobuf `Checkpoint` messages with one `Value` each),
/// streaming over the mapped file without copying tensor payloads.
///
/// - Records are parsed with checked varints and lengths; fields may come in any order, unknown
///   fields are skipped, dims may be packed or unpacked, negative dims are refused.
/// - Consecutive records with the same tag (MindSpore splits payloads over 512 MiB) are joined into
///   one tensor over a `SegmentedStorage`; their dims and type must agree and their total length must
///   equal `Π dims × element size`. A single record gives a `MappedStorage`.
/// - A tag that reappears after another tag is refused (MindSpore silently keeps the last one).
/// - `dims == [0]` is read as MindSpore reads it: a 0-d scalar when the payload holds one element;
///   an empty payload gives an empty 1-d tensor `[0]` (MindSpore would read past the data).
/// - `str` values (`append_dict` strings, UTF-32LE) become `Node.string`.
/// - A trailing `crc_num` block is always verified (MindSpore checks it only with `crc_check=True`).
/// - Encrypted files and MapParameter records are refused with a clear message.
///
/// Result: `root` is a `Node.dict` in file order; there is no metadata.
enum MindSporeReader {
    static func read(_ file: MappedFile) throws -> CheckpointContents {
        try MindSporeEncryption.refuseIfEncrypted(file)
        let bodyEnd = try MindSporeCRCTrailer.verify(file)
        let bytes = file.all
        var reader = ProtobufWireReader(bytes: bytes, range: 0..<bodyEnd)
        var entries: [(key: Node, value: Node)] = []
        var finishedTags = Set<String>()
        var run: [MindSporeRecord] = []

        func finishRun() throws {
            guard let first = run.first else { return }
            entries.append((key: .string(first.tag), value: try assemble(run, file: file)))
            finishedTags.insert(first.tag)
            run.removeAll(keepingCapacity: true)
        }

        while !reader.isAtEnd {
            let recordOffset = reader.position
            if bytes[recordOffset] == MindSporeCRCTrailer.marker[0],
               bodyEnd - recordOffset >= MindSporeCRCTrailer.marker.count,
               bytes[recordOffset..<(recordOffset + MindSporeCRCTrailer.marker.count)].elementsEqual(MindSporeCRCTrailer.marker) {
                throw CheckpointError("malformed crc_num trailer: \(bodyEnd - recordOffset) bytes from the marker to the end of the file, expected \(MindSporeCRCTrailer.length)", offset: recordOffset)
            }
            let key = try reader.readKey()
            guard key.number == 1 else {
                try reader.skip(key)  // unknown top-level field
                continue
            }
            guard key.wireType == .lengthDelimited else {
                throw CheckpointError("checkpoint field 1 has wire type \(key.wireType.rawValue), expected 2", offset: key.offset)
            }
            let record = try MindSporeRecord.parse(bytes, value: try reader.readLengthDelimited(), recordOffset: recordOffset)
            if let current = run.first, current.tag != record.tag { try finishRun() }
            if run.isEmpty, finishedTags.contains(record.tag) {
                throw CheckpointError("tag appears again after other records (MindSpore would silently replace the earlier value)",
                                      tensor: record.tag, offset: record.offset)
            }
            run.append(record)
        }
        try finishRun()
        return CheckpointContents(root: .dict(entries))
    }

    /// Builds the value of one run of same-tag records.
    static func assemble(_ run: [MindSporeRecord], file: MappedFile) throws -> Node {
        guard let first = run.first else { throw CheckpointError("internal error: empty record run") }
        for record in run.dropFirst() where record.dims != first.dims || record.tensorType != first.tensorType {
            throw CheckpointError("split record has \(record.tensorType) \(record.dims) but the first record of this tensor has \(first.tensorType) \(first.dims)",
                                  tensor: first.tag, offset: record.offset)
        }
        var total = 0
        for record in run {
            let (sum, overflow) = total.addingReportingOverflow(record.content.count)
            guard !overflow else { throw CheckpointError("payload size overflows", tensor: first.tag, offset: record.offset) }
            total = sum
        }
        let type: MindSporeTensorType
        do {
            type = try MindSporeTensorType.parse(first.tensorType)
        } catch let error as CheckpointError {
            throw CheckpointError(error.message, tensor: first.tag, offset: first.offset)
        }
        let segments = run.map(\.content)
        switch type {
        case .string:
            return .string(try decodeUTF32String(segments, file: file, tag: first.tag, offset: first.offset))
        case .numeric(let dtype):
            var shape = first.dims
            if shape == [0] && total == dtype.byteSize { shape = [] }  // MindSpore: `if dims == [0]: dims = []`
            let expected: Int
            do {
                expected = try Tensor.checkedByteCount(dtype: dtype, shape: shape)
            } catch let error as CheckpointError {
                throw CheckpointError(error.message, tensor: first.tag, offset: first.offset)
            }
            guard expected == total else {
                throw CheckpointError("tensor_type \(first.tensorType) dims \(first.dims) needs \(expected) bytes but the content\(run.count > 1 ? " of its \(run.count) records" : "") holds \(total)",
                                      tensor: first.tag, offset: first.offset)
            }
            let storage: TensorStorage = segments.count == 1
                ? MappedStorage(file: file, range: segments[0])
                : SegmentedStorage(file: file, segments: segments)
            return .tensor(try Tensor(dtype: dtype, shape: shape, storage: storage))
        }
    }

    /// numpy `<U` bytes: UTF-32LE code points, trailing NULs dropped (as `np.frombuffer(..., "U<n>")`).
    static func decodeUTF32String(_ segments: [Range<Int>], file: MappedFile, tag: String, offset: Int) throws -> String {
        var scalars = String.UnicodeScalarView()
        var pendingNULs = 0
        var unit: UInt32 = 0
        var filled = 0
        for segment in segments {
            for byte in file.bytes(segment) {
                unit |= UInt32(byte) << (8 * UInt32(filled))
                filled += 1
                guard filled == 4 else { continue }
                guard let scalar = Unicode.Scalar(unit) else {
                    throw CheckpointError("str value holds 0x\(String(unit, radix: 16)), not a Unicode code point", tensor: tag, offset: offset)
                }
                if unit == 0 {
                    pendingNULs += 1
                } else {
                    for _ in 0..<pendingNULs { scalars.append("\u{0}") }
                    pendingNULs = 0
                    scalars.append(scalar)
                }
                unit = 0
                filled = 0
            }
        }
        guard filled == 0 else {
            throw CheckpointError("str value is not a whole number of 4-byte UTF-32 code units", tensor: tag, offset: offset)
        }
        return String(scalars)
    }
}
