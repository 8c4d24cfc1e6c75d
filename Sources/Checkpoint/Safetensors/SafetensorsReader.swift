/// Reads HuggingFace safetensors files, zero-copy.
///
/// Applies every check of the reference implementation (`SafeTensors::read_metadata` +
/// `Metadata::validate`, safetensors 0.8) in its order, with its error texts, and refuses duplicate keys
/// besides. Errors name the tensor and the absolute byte offset (of the header entry, or of the
/// problem) where known.
///
/// Result: `root` is a `Node.dict` of tensors in **header order** (the order the keys appear in the
/// JSON; for files written by the reference writer this is also data order), each backed by a
/// `MappedStorage` range of the file. `__metadata__` becomes `CheckpointContents.metadata`.
enum SafetensorsReader {
    /// The reference implementation's `MAX_HEADER_SIZE`.
    static let maxHeaderSize = 100_000_000

    static func read(_ file: MappedFile) throws -> CheckpointContents {
        let all = file.all
        // 1. The 8-byte header length.
        guard all.count >= 8 else {
            throw CheckpointError("header too small: the file has \(all.count) bytes, fewer than the 8-byte header length", offset: 0)
        }
        var declared: UInt64 = 0
        for i in 0..<8 { declared |= UInt64(all[i]) << (8 * UInt64(i)) }
        // 2. The size limit.
        guard declared <= UInt64(maxHeaderSize) else {
            throw CheckpointError("header too large: the header length field says \(declared) bytes, over the \(maxHeaderSize)-byte limit", offset: 0)
        }
        let headerLength = Int(declared)
        // 3. The header must lie inside the file.
        guard headerLength <= all.count - 8 else {
            throw CheckpointError("invalid header length: \(headerLength) header bytes declared but only \(all.count - 8) follow the length field", offset: 0)
        }
        let text = UnsafeRawBufferPointer(rebasing: all[8..<(8 + headerLength)])
        // 4. UTF-8.
        if let bad = firstInvalidUTF8(text) {
            throw CheckpointError("invalid UTF-8 in header: invalid utf-8 sequence from header index \(bad)", offset: 8 + bad)
        }
        // 5. JSON (types, fields, dtypes, trailing characters; duplicate keys).
        let header: SafetensorsHeader
        do {
            header = try SafetensorsHeader.parse(text)
        } catch let error as JSONError {
            throw CheckpointError("invalid JSON in header: \(error.message) (header index \(error.position))", tensor: error.tensor, offset: 8 + error.position)
        }
        // 6. Offsets, sizes and coverage, in data order.
        let dataStart = 8 + headerLength
        let dataLength = try validate(header.entries)
        let (fileEnd, overflow) = dataStart.addingReportingOverflow(dataLength)
        guard !overflow, fileEnd == all.count else {
            throw CheckpointError("incomplete metadata, file not fully covered: the tensors end at byte \(overflow ? "(overflow)" : String(fileEnd)) but the file has \(all.count) bytes",
                                  offset: overflow ? dataStart : min(fileEnd, all.count))
        }
        // Tensors, in header order.
        var entries: [(key: Node, value: Node)] = []
        entries.reserveCapacity(header.entries.count)
        for entry in header.entries {
            guard let dtype = entry.dtype.dtype else {
                throw CheckpointError("dtype \(entry.dtype.name) is valid safetensors but not supported by this package",
                                      tensor: entry.name, offset: 8 + entry.headerPosition)
            }
            let storage = MappedStorage(file: file, range: (dataStart + entry.begin)..<(dataStart + entry.end))
            do {
                let tensor = try Tensor(dtype: dtype, shape: entry.shape, storage: storage)
                entries.append((key: .string(entry.name), value: .tensor(tensor)))
            } catch let error as CheckpointError {
                throw error.forTensor(entry.name)
            }
        }
        return CheckpointContents(root: .dict(entries), metadata: header.metadata ?? [:])
    }

    /// `Metadata::validate`: sorted by `data_offsets`, every range must start where the previous one
    /// ended and hold exactly `Π shape × bits / 8` bytes. Returns the end of the last range.
    static func validate(_ entries: [SafetensorsHeaderEntry]) throws -> Int {
        let order = entries.indices.sorted {
            let a = entries[$0], b = entries[$1]
            return (a.begin, a.end, $0) < (b.begin, b.end, $1)
        }
        var start = 0
        for index in order {
            let entry = entries[index]
            let location = 8 + entry.headerPosition  // absolute offset of the entry's key
            guard entry.begin == start, entry.end >= entry.begin else {
                throw CheckpointError("invalid offset for tensor `\(entry.name)`: data_offsets [\(entry.begin), \(entry.end)] but the data so far ends at \(start) (holes, overlaps and aliasing are refused)",
                                      tensor: entry.name, offset: location)
            }
            start = entry.end
            var elements = 1
            var overflow = false
            for size in entry.shape {
                let (product, o) = elements.multipliedReportingOverflow(by: size)
                overflow = overflow || o
                elements = product
            }
            let (bits, o2) = elements.multipliedReportingOverflow(by: entry.dtype.bitSize)
            guard !overflow, !o2 else {
                throw CheckpointError("overflow computing buffer size from shape and/or element type (\(entry.dtype.name) \(entry.shape))",
                                      tensor: entry.name, offset: location)
            }
            guard bits % 8 == 0 else {
                throw CheckpointError("The slice is slicing for subbytes dtypes, and the slice does not end up at a byte boundary, this is invalid. (\(entry.dtype.name) \(entry.shape))",
                                      tensor: entry.name, offset: location)
            }
            guard entry.end - entry.begin == bits / 8 else {
                throw CheckpointError("invalid shape, data type, or offset for tensor: \(entry.dtype.name) \(entry.shape) needs \(bits / 8) bytes but data_offsets [\(entry.begin), \(entry.end)] hold \(entry.end - entry.begin)",
                                      tensor: entry.name, offset: location)
            }
        }
        return start
    }

    /// Index of the first byte that does not start a valid UTF-8 sequence, or nil when all is valid.
    static func firstInvalidUTF8(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var iterator = bytes.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded): offset += encoded.count
            case .error: return offset
            case .emptyInput: return nil
            }
        }
    }
}
