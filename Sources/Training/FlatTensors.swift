import Checkpoint

/// Tensors over the flat buffers (for writers) and back (for resume).
enum FlatTensors {
    /// An f32 tensor of view `index` (`view`) of `source`; bytes are produced only when a writer asks for them.
    static func tensor(_ source: FlatSource, _ index: Int, _ view: ParameterView) -> Tensor {
        let storage = ComputedStorage(byteCount: view.count * 4) { out in
            source.copy(view: index, into: out.bindMemory(to: Float.self))
        }
        return try! Tensor(dtype: .f32, shape: view.shape, storage: storage)
    }

    /// A small tensor from values.
    static func scalar<T>(_ value: T, dtype: DType, shape: [Int] = []) -> Tensor {
        var copy = value
        let bytes = withUnsafeBytes(of: &copy) { Array($0) }  // [dtype.byteSize]
        return try! Tensor(dtype: dtype, shape: shape, storage: OwnedStorage(bytes))
    }

    /// Copies `tensor` (f32, `view`'s shape) into `buffer[view.range]`, shifted down by `base` (a buffer
    /// that starts at element `base` of the layout, e.g. a ZeRO shard).
    static func read(_ tensor: Tensor, into buffer: inout [Float], at base: Int = 0, view: ParameterView, file: String, name: String) throws {
        guard tensor.dtype == .f32, tensor.elementCount == view.count else {
            throw TrainingError("\(file): '\(name)' is \(tensor.dtype) \(tensor.shape), expected f32 \(view.shape) — a checkpoint for another model size or recipe?")
        }
        try tensor.withContiguousBytes { bytes in
            buffer.withUnsafeMutableBytes { all in
                UnsafeMutableRawBufferPointer(rebasing: all[((view.offset - base) * 4)..<((view.offset - base + view.count) * 4)]).copyMemory(from: bytes)
            }
        }
    }

    /// The first element of a numeric tensor as a Double.
    static func number(_ tensor: Tensor) throws -> Double {
        guard let first = try tensor.doubleValues().first else { throw TrainingError("empty scalar tensor") }
        return first
    }
}
