import Checkpoint

/// Shape-changing views and copies used by rename rules. Views share the source storage; copies are
/// lazy (`ComputedStorage`), so nothing is materialised before a writer asks for the bytes.
enum TensorReshaping {
    /// The same elements with a new shape of equal element count.
    static func reshaped(_ t: Tensor, to shape: [Int]) throws -> Tensor {
        if t.isContiguous {
            return try Tensor(dtype: t.dtype, shape: shape, strides: Tensor.contiguousStrides(shape), storageOffset: t.storageOffset, storage: t.storage)
        }
        let storage = ComputedStorage(byteCount: t.byteCount) { out in
            try t.withContiguousBytes { out.copyMemory(from: $0) }
        }
        return try Tensor(dtype: t.dtype, shape: shape, storage: storage)
    }

    /// Part `index` of `count` equal parts along `axis` (a strided view).
    static func part(_ t: Tensor, index: Int, of count: Int, axis: Int) throws -> Tensor {
        guard axis < t.shape.count else { throw NameTableError("cannot split a \(t.shape.count)-d tensor along axis \(axis)") }
        guard t.shape[axis] % count == 0 else { throw NameTableError("cannot split size \(t.shape[axis]) into \(count) equal parts") }
        var shape = t.shape
        shape[axis] /= count
        let offset = t.storageOffset + index * shape[axis] * t.strides[axis]
        return try Tensor(dtype: t.dtype, shape: shape, strides: t.strides, storageOffset: offset, storage: t.storage)
    }

    /// The parts joined along `axis` (all parts must agree on dtype and the other dimensions).
    static func concatenated(_ parts: [Tensor], axis: Int) throws -> Tensor {
        guard let first = parts.first else { throw NameTableError("nothing to concatenate") }
        for p in parts {
            guard p.dtype == first.dtype, p.shape.count == first.shape.count, axis < p.shape.count,
                  p.shape.enumerated().allSatisfy({ $0.offset == axis || $0.element == first.shape[$0.offset] }) else {
                throw NameTableError("parts \(parts.map(\.shape)) (\(parts.map(\.dtype))) cannot be joined along axis \(axis)")
            }
        }
        var shape = first.shape
        shape[axis] = parts.reduce(0) { $0 + $1.shape[axis] }
        let outer = first.shape[..<axis].reduce(1, *)
        let elementSize = first.dtype.byteSize
        let total = try Tensor.checkedByteCount(dtype: first.dtype, shape: shape)
        let storage = ComputedStorage(byteCount: total) { out in
            // Each part contributes `rows` of `shape[axis...]` per outer index; copy part by part.
            var columnOffset = 0
            let rowBytes = shape[axis...].reduce(1, *) * elementSize
            for p in parts {
                let chunk = p.shape[axis...].reduce(1, *) * elementSize  // bytes of one part per outer index
                try p.withContiguousBytes { source in
                    for o in 0..<outer where chunk > 0 {
                        (out.baseAddress! + o * rowBytes + columnOffset).copyMemory(from: source.baseAddress! + o * chunk, byteCount: chunk)
                    }
                }
                columnOffset += chunk
            }
        }
        return try Tensor(dtype: first.dtype, shape: shape, storage: storage)
    }

    /// Largest |a−b| over two tensors of equal shape (∞ when a NaN pattern differs).
    static func maxAbsDifference(_ a: Tensor, _ b: Tensor) throws -> Double {
        let x = try a.doubleValues(), y = try b.doubleValues()
        var worst = 0.0
        for (p, q) in zip(x, y) where !(p == q || (p.isNaN && q.isNaN)) {
            let d = abs(p - q)
            worst = d.isNaN ? .infinity : max(worst, d)
        }
        return worst
    }
}
