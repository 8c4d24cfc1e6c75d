/// A lazily read tensor: dtype, shape and a strided view (in elements) over a byte storage.
///
/// PyTorch files may hold views (transposes, slices, `expand`ed zero strides, storages shared between
/// tensors); every other format stores dense row-major data. `withContiguousBytes` always yields dense
/// row-major bytes, gathering only when the view is not already contiguous.
public struct Tensor {
    public let dtype: DType
    /// Size of each dimension; `[]` for a 0-d tensor.
    public let shape: [Int]
    /// Step between neighbours of each dimension, in elements of `dtype` (never negative).
    public let strides: [Int]
    /// Offset of element 0 in the storage, in elements of `dtype`.
    public let storageOffset: Int
    public let storage: TensorStorage

    /// A dense row-major tensor over the whole of `storage` (checked: byte count must match).
    public init(dtype: DType, shape: [Int], storage: TensorStorage) throws {
        try self.init(dtype: dtype, shape: shape, strides: Tensor.contiguousStrides(shape), storageOffset: 0, storage: storage)
        let expected = try Tensor.checkedByteCount(dtype: dtype, shape: shape)
        guard expected == storage.byteCount else {
            throw CheckpointError("\(dtype) \(shape) needs \(expected) bytes but the data holds \(storage.byteCount)")
        }
    }

    /// A strided view; validates that every addressed element lies inside `storage` (overflow-checked).
    public init(dtype: DType, shape: [Int], strides: [Int], storageOffset: Int, storage: TensorStorage) throws {
        guard shape.count == strides.count else {
            throw CheckpointError("shape \(shape) and strides \(strides) differ in rank")
        }
        guard shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }), storageOffset >= 0 else {
            throw CheckpointError("negative size, stride or offset (shape \(shape), strides \(strides), offset \(storageOffset))")
        }
        _ = try Tensor.checkedByteCount(dtype: dtype, shape: shape)
        if !shape.contains(0) {
            var last = storageOffset
            for (size, stride) in zip(shape, strides) {
                let (step, o1) = (size - 1).multipliedReportingOverflow(by: stride)
                let (sum, o2) = last.addingReportingOverflow(step)
                guard !o1, !o2 else { throw CheckpointError("view offset overflows (shape \(shape), strides \(strides))") }
                last = sum
            }
            let storageElements = storage.byteCount / dtype.byteSize
            guard last < storageElements else {
                throw CheckpointError("view reaches element \(last) but the storage holds \(storageElements) elements of \(dtype) (shape \(shape), strides \(strides), offset \(storageOffset))")
            }
        }
        self.dtype = dtype
        self.shape = shape
        self.strides = strides
        self.storageOffset = storageOffset
        self.storage = storage
    }

    /// Number of elements (1 for a 0-d tensor).
    public var elementCount: Int { shape.reduce(1, *) }
    /// Dense size in bytes.
    public var byteCount: Int { elementCount * dtype.byteSize }

    /// Row-major strides for `shape`.
    public static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in shape.indices.reversed() {
            strides[axis] = running
            running *= max(shape[axis], 1)
        }
        return strides
    }

    /// `Π shape × element size`, throwing on overflow or on absurd sizes (> 2^48 bytes).
    public static func checkedByteCount(dtype: DType, shape: [Int]) throws -> Int {
        var total = dtype.byteSize
        for size in shape {
            let (product, overflow) = total.multipliedReportingOverflow(by: size)
            guard !overflow, size >= 0 else { throw CheckpointError("shape \(shape) overflows") }
            total = product
        }
        guard total <= 1 << 48 else { throw CheckpointError("shape \(shape) declares \(total) bytes, over the 2^48 limit") }
        return total
    }

    /// True when the view is dense row-major, so its bytes are one slice of the storage.
    public var isContiguous: Bool {
        if elementCount <= 1 { return true }
        let dense = Tensor.contiguousStrides(shape)
        for axis in shape.indices where shape[axis] != 1 && strides[axis] != dense[axis] { return false }
        return true
    }

    /// Calls `body` with the tensor's dense row-major bytes (`byteCount` long).
    public func withContiguousBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let elementSize = dtype.byteSize
        let count = byteCount
        return try storage.withBytes { all in
            if isContiguous {
                let start = storageOffset * elementSize
                return try body(UnsafeRawBufferPointer(rebasing: all[start..<(start + count)]))
            }
            let out = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 64)  // [elementCount × elementSize] bytes
            defer { out.deallocate() }
            gather(from: all, into: out, elementSize: elementSize)
            return try body(UnsafeRawBufferPointer(start: out.baseAddress, count: count))
        }
    }

    /// When the dense bytes are one range of a mapped file (a contiguous view of a mapped storage),
    /// returns `body(file, absolute range)`; otherwise nil, without calling `body`.
    public func withContiguousFileRange<R>(_ body: (MappedFile, Range<Int>) throws -> R) throws -> R? {
        guard isContiguous else { return nil }
        let start = storageOffset * dtype.byteSize
        let count = byteCount
        return try storage.withFileRange { file, range in
            guard start + count <= range.count else { return nil }
            return try body(file, (range.lowerBound + start)..<(range.lowerBound + start + count))
        } ?? nil
    }

    /// Copies a strided view element by element into dense order.
    private func gather(from source: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer, elementSize: Int) {
        guard elementCount > 0, let src = source.baseAddress, let dst = out.baseAddress else { return }
        let rank = shape.count
        var index = [Int](repeating: 0, count: rank)
        var sourceElement = storageOffset
        let innerSize = shape[rank - 1]
        let innerStride = strides[rank - 1]
        var written = 0
        while written < elementCount {
            for i in 0..<innerSize {
                (dst + (written + i) * elementSize).copyMemory(from: src + (sourceElement + i * innerStride) * elementSize, byteCount: elementSize)
            }
            written += innerSize
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                sourceElement += strides[axis]
                if index[axis] < shape[axis] { break }
                sourceElement -= strides[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
            if axis < 0 { break }
        }
    }

    /// The dense bytes as an array (convenience for tests and small values).
    public func contiguousBytes() throws -> [UInt8] {
        try withContiguousBytes { Array($0) }
    }

    /// Hands mapped pages back to the kernel after a streaming pass.
    public func releaseCache() { storage.releaseCache() }
}
