/// Builds `data.pkl` exactly as `torch.save(collections.OrderedDict(...))` pickles it (protocol 2) for
/// contiguous tensors that each own a storage: storage keys `"0"…"N-1"` in order, offset 0, row-major
/// strides, `requires_grad=False`, empty backward hooks, location `'cpu'`.
///
/// Per tensor: `_rebuild_tensor_v2(('storage', torch.<X>Storage, key, 'cpu', numel), 0, size, stride,
/// False, OrderedDict())`, or for dtypes without a legacy storage class (u16/u32/u64/f8)
/// `_rebuild_tensor_v3(('storage', torch.storage.UntypedStorage, key, 'cpu', nbytes), 0, size, stride,
/// False, OrderedDict(), torch.<dtype>)`.
///
/// The memo follows CPython object identity as torch produces it: the `'storage'` and `'cpu'` strings
/// and every class/function/dtype global are single objects (memoised once, then `BINGET`); names,
/// keys, tuples and each `OrderedDict()` are fresh objects.
enum TorchStatePickle {
    /// One state-dict entry: its key and the dense tensor's dtype and shape.
    struct Entry {
        var name: String
        var dtype: DType
        var shape: [Int]
    }

    /// CPython's `_BATCHSIZE`: SETITEMS carries at most this many pairs.
    static let batchSize = 1000

    /// The complete pickle, ending in `STOP`.
    static func encode(_ entries: [Entry]) throws -> [UInt8] {
        var state = EncoderState()
        state.pickle.global(module: "collections", name: "OrderedDict")
        state.orderedDictClass = try state.pickle.memoize()
        state.pickle.emptyTuple()
        state.pickle.reduce()
        try state.pickle.memoize()
        var start = 0
        while start < entries.count {
            let batch = entries[start..<min(start + batchSize, entries.count)]
            if batch.count == 1 {
                try state.item(batch[batch.startIndex], key: start)
                state.pickle.setItem()
            } else {
                state.pickle.mark()
                for (offset, entry) in batch.enumerated() { try state.item(entry, key: start + offset) }
                state.pickle.setItems()
            }
            start += batch.count
        }
        state.pickle.stop()
        return state.pickle.bytes
    }

    /// torch's contiguous strides (`stride[i] = stride[i+1] × max(size[i+1], 1)`), overflow-checked: an
    /// empty tensor's byte count is 0 however large its other dimensions are.
    static func rowMajorStrides(_ shape: [Int]) throws -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in shape.indices.reversed() {
            strides[axis] = running
            let (next, overflow) = running.multipliedReportingOverflow(by: max(shape[axis], 1))
            guard !overflow || axis == 0 else { throw CheckpointError("row-major strides of shape \(shape) overflow") }
            running = next
        }
        return strides
    }

    /// The pickler plus the memo slots of the objects torch shares between tensors.
    struct EncoderState {
        var pickle = TorchPickleEmitter()
        /// Memo slot of `collections.OrderedDict` (-1: not emitted yet).
        var orderedDictClass = -1
        var globals: [String: Int] = [:]
        var sharedStrings: [String: Int] = [:]

        /// `GLOBAL` the first time (memoised), `BINGET` afterwards.
        mutating func global(module: String, name: String) throws {
            let key = module + "\n" + name
            if let index = globals[key] {
                pickle.get(index)
            } else {
                pickle.global(module: module, name: name)
                globals[key] = try pickle.memoize()
            }
        }

        /// A string that is one shared object in torch (`'storage'`, `'cpu'`).
        mutating func sharedString(_ text: String) throws {
            if let index = sharedStrings[text] {
                pickle.get(index)
            } else {
                try pickle.unicode(text)
                sharedStrings[text] = try pickle.memoize()
            }
        }

        /// `name`, then the REDUCE that rebuilds the tensor stored under storage key `key`.
        mutating func item(_ entry: Entry, key: Int) throws {
            try pickle.unicode(entry.name)
            try pickle.memoize()
            try tensor(entry, key: key)
        }

        /// The REDUCE that rebuilds a tensor stored under storage key `key` (the value of `item`).
        mutating func tensor(_ entry: Entry, key: Int) throws {
            let elementCount = try Tensor.checkedByteCount(dtype: entry.dtype, shape: entry.shape) / entry.dtype.byteSize
            let storageClass = entry.dtype.torchStorageName
            try global(module: "torch._utils", name: storageClass == nil ? "_rebuild_tensor_v3" : "_rebuild_tensor_v2")
            pickle.mark()
            // Persistent id ('storage', storage type, key, location, numel).
            pickle.mark()
            try sharedString("storage")
            if let storageClass {
                try global(module: "torch", name: storageClass)
            } else {
                try global(module: "torch.storage", name: "UntypedStorage")
            }
            try pickle.unicode(String(key))
            try pickle.memoize()
            try sharedString("cpu")
            pickle.int(storageClass == nil ? elementCount * entry.dtype.byteSize : elementCount)
            pickle.tupleFromMark()
            try pickle.memoize()
            pickle.binPersistentID()
            pickle.int(0)  // storage_offset
            try pickle.intTuple(entry.shape)
            try pickle.intTuple(try rowMajorStrides(entry.shape))
            pickle.newFalse()  // requires_grad
            // backward_hooks = OrderedDict(): the class is pickled where first needed, as CPython does (a
            // tensor nested in a plain dict may come before any OrderedDict).
            if orderedDictClass < 0 {
                pickle.global(module: "collections", name: "OrderedDict")
                orderedDictClass = try pickle.memoize()
            } else {
                pickle.get(orderedDictClass)
            }
            pickle.emptyTuple()
            pickle.reduce()
            try pickle.memoize()
            if storageClass == nil { try global(module: "torch", name: entry.dtype.torchName) }
            pickle.tupleFromMark()
            try pickle.memoize()
            pickle.reduce()
            try pickle.memoize()
        }
    }
}
