/// Writes a general object tree (`Node`: dicts with string or int keys, lists, tuples, ints, floats,
/// strings, booleans, None and tensors) as a PyTorch zip archive that `torch.load(weights_only=True)`
/// reads — e.g. the official training checkpoint `{model, ema, opt, args}` with `args` a plain dict.
///
/// Pickle protocol 2 with CPython's opcode choices (EMPTY_DICT + SETITEMS in batches of 1000,
/// EMPTY_LIST + APPENDS, TUPLE1/2/3, BINFLOAT, NEWTRUE/NEWFALSE, NONE); every tensor owns one storage,
/// keyed `"0"…` in depth-first order, its bytes in `data/<key>`. Not claimed byte-identical to
/// `torch.save` of the same Python objects (memo sharing of repeated strings differs); only the
/// state-dict writer (`TorchZipWriter`) is.
public enum TorchObjectWriter {
    /// Writes `root` to `path` atomically (temporary file, fsync, rename).
    public static func write(_ root: Node, to path: String) throws {
        var state = TorchStatePickle.EncoderState()
        var tensors: [Tensor] = []
        try emit(root, into: &state, tensors: &tensors)
        state.pickle.stop()
        let pickle = state.pickle.bytes  // [pickle length] bytes
        do {
            try AtomicFile.write(to: path) { temporary in
                let sink = try OutputSink(path: temporary)
                let archive = try TorchStreamWriter(sink: sink, archiveName: TorchZipWriter.archiveName(for: path))
                try archive.writeRecord("data.pkl", pickle)
                try archive.writeRecord(".format_version", Array("1".utf8))
                try archive.writeRecord(".storage_alignment", Array("64".utf8))
                try archive.writeRecord("byteorder", Array("little".utf8))
                for (index, tensor) in tensors.enumerated() {
                    try tensor.withContiguousBytes { try archive.writeRecord("data/\(index)", $0) }
                    tensor.releaseCache()
                }
                try archive.writeEndOfFile()
            }
        } catch var error as CheckpointError {
            error.file = path
            throw error
        }
    }

    private static func emit(_ node: Node, into state: inout TorchStatePickle.EncoderState, tensors: inout [Tensor]) throws {
        switch node {
        case .none:
            state.pickle.raw(0x4E)  // NONE
        case .bool(let value):
            state.pickle.raw(value ? 0x88 : 0x89)  // NEWTRUE / NEWFALSE
        case .int(let value):
            state.pickle.int(Int(value))
        case .float(let value):
            state.pickle.binFloat(value)
        case .string(let text):
            try state.pickle.unicode(text)
            try state.pickle.memoize()
        case .tuple(let items):
            if items.isEmpty {
                state.pickle.emptyTuple()
                return
            }
            if items.count > 3 { state.pickle.mark() }
            for item in items { try emit(item, into: &state, tensors: &tensors) }
            switch items.count {
            case 1: state.pickle.raw(0x85)
            case 2: state.pickle.raw(0x86)
            case 3: state.pickle.raw(0x87)
            default: state.pickle.tupleFromMark()
            }
            try state.pickle.memoize()
        case .list(let items):
            state.pickle.raw(0x5D)  // EMPTY_LIST
            try state.pickle.memoize()
            var start = 0
            while start < items.count {
                let batch = items[start..<min(start + TorchStatePickle.batchSize, items.count)]
                if batch.count == 1 {
                    try emit(batch[batch.startIndex], into: &state, tensors: &tensors)
                    state.pickle.raw(0x61)  // APPEND
                } else {
                    state.pickle.mark()
                    for item in batch { try emit(item, into: &state, tensors: &tensors) }
                    state.pickle.raw(0x65)  // APPENDS
                }
                start += batch.count
            }
        case .dict(let entries):
            state.pickle.raw(0x7D)  // EMPTY_DICT
            try state.pickle.memoize()
            var start = 0
            while start < entries.count {
                let batch = entries[start..<min(start + TorchStatePickle.batchSize, entries.count)]
                if batch.count == 1 {
                    try emit(batch[batch.startIndex].key, into: &state, tensors: &tensors)
                    try emit(batch[batch.startIndex].value, into: &state, tensors: &tensors)
                    state.pickle.setItem()
                } else {
                    state.pickle.mark()
                    for entry in batch {
                        try emit(entry.key, into: &state, tensors: &tensors)
                        try emit(entry.value, into: &state, tensors: &tensors)
                    }
                    state.pickle.setItems()
                }
                start += batch.count
            }
        case .tensor(let tensor):
            try state.tensor(TorchStatePickle.Entry(name: "", dtype: tensor.dtype, shape: tensor.shape), key: tensors.count)
            tensors.append(tensor)
        case .bigInt, .bytes, .set, .array, .global, .object:
            throw CheckpointError("cannot write a \(node.summary) into a weights-only torch archive")
        }
    }
}

extension TorchPickleEmitter {
    /// BINFLOAT: an IEEE double, big-endian.
    mutating func binFloat(_ value: Double) {
        raw(0x47)
        let bits = value.bitPattern
        for shift in stride(from: 56, through: 0, by: -8) { raw(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
    }
}
