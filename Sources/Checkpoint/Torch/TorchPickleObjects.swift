/// A torch storage named by a persistent id: its dtype, size and (once located) its bytes.
/// One object per storage key, so tensors sharing a storage share this object and its bytes.
final class TorchStorageReference: UnpickledCustom {
    let key: String
    /// The storage class's dtype; `.u8` for `UntypedStorage` (whose numel counts bytes).
    let dtype: DType
    let isUntyped: Bool
    /// Storage size in elements of `dtype`, as the persistent id declares it.
    let numel: Int
    /// `numel × dtype.byteSize` (overflow-checked at creation).
    let byteCount: Int
    let offset: Int
    /// The storage bytes; nil until the reader has located the record (legacy files place data after the pickle).
    var bytes: TensorStorage?
    /// Dtype of the first tensor built on this storage (tensors may not reinterpret a non-empty storage).
    var tensorDType: DType?

    init(key: String, dtype: DType, isUntyped: Bool, numel: Int, offset: Int) throws {
        let (bytes, overflow) = numel.multipliedReportingOverflow(by: dtype.byteSize)
        guard numel >= 0, !overflow, bytes <= 1 << 48 else {
            throw CheckpointError("storage '\(key)' declares an impossible size of \(numel) elements", offset: offset)
        }
        self.key = key
        self.dtype = dtype
        self.isUntyped = isUntyped
        self.numel = numel
        self.byteCount = bytes
        self.offset = offset
    }

    var typeName: String { "storage" }
    var className: String { isUntyped ? "UntypedStorage" : (dtype.torchStorageName ?? dtype.rawValue) }
    var childValues: [UnpickledValue] { [] }
    func releaseChildren() {}
}

/// A tensor as a rebuild function describes it, validated for types but not yet bounds-checked (that
/// happens when the tree is built and the tensor's name is known).
final class TorchTensorRecipe: UnpickledCustom {
    let storage: TorchStorageReference
    let dtype: DType
    let shape: [Int]
    /// In elements of `dtype`.
    let strides: [Int]
    /// In elements of `dtype`.
    let storageOffset: Int
    /// The lazy negative bit (`{'neg': True}` metadata).
    let negate: Bool
    /// The lazy conjugate bit (`{'conj': True}` metadata).
    let conjugate: Bool
    let offset: Int

    init(storage: TorchStorageReference, dtype: DType, shape: [Int], strides: [Int], storageOffset: Int,
         negate: Bool, conjugate: Bool, offset: Int) {
        self.storage = storage
        self.dtype = dtype
        self.shape = shape
        self.strides = strides
        self.storageOffset = storageOffset
        self.negate = negate
        self.conjugate = conjugate
        self.offset = offset
    }

    var typeName: String { "tensor" }
    var childValues: [UnpickledValue] { [] }
    func releaseChildren() {}
}

/// A plain data object decoded from an allowlisted constructor: `argparse.Namespace` (NEWOBJ + BUILD),
/// `torch.device`, `torch.Size`. Nothing is instantiated; its arguments and state are kept as values.
final class TorchDataObject: UnpickledCustom {
    let type: String
    private(set) var args: [UnpickledValue]
    var state: UnpickledValue?
    let offset: Int

    init(type: String, args: [UnpickledValue], offset: Int) {
        self.type = type
        self.args = args
        self.offset = offset
    }

    var typeName: String { type }
    var childValues: [UnpickledValue] { args + (state.map { [$0] } ?? []) }
    func releaseChildren() { args = []; state = nil }
}

/// A `numpy.dtype` built by `dtype(code, False, True)` and then `BUILD (3, byteorder, ...)`.
final class NumpyDTypeValue: UnpickledCustom {
    /// Type code without byte order (`f4`, `i8`, `b1`).
    let code: String
    /// `<`, `>`, `|` or `=`; set by BUILD.
    var byteOrder: Character = "|"
    let offset: Int

    init(code: String, offset: Int) {
        self.code = code
        self.offset = offset
    }

    var typeName: String { "numpy.dtype" }
    /// True when the element bytes are big-endian and must be swapped.
    var isBigEndian: Bool { byteOrder == ">" }
    var childValues: [UnpickledValue] { [] }
    func releaseChildren() {}
}

/// A numpy array: created empty by `_reconstruct(ndarray, (0,), b'b')`, filled by BUILD, or created
/// complete by `_frombuffer` (protocol 5).
final class NumpyArrayValue: UnpickledCustom {
    /// Set once the array has its data.
    var tensor: Tensor?
    let offset: Int

    init(offset: Int) { self.offset = offset }

    var typeName: String { "numpy.ndarray" }
    var childValues: [UnpickledValue] { [] }
    func releaseChildren() {}
}
