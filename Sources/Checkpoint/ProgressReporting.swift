/// Wraps tensors so that a writer's first read of each one is reported as progress. Writers need not
/// know about progress: a tensor counts as written once the writer has consumed its bytes.
final class ProgressTracker {
    private let callback: (WriteProgress) -> Void
    private var done = Set<Int>()
    private var bytesDone = 0
    private let count: Int
    private let totalBytes: Int

    init(tensors: [NamedTensor], callback: @escaping (WriteProgress) -> Void) {
        self.callback = callback
        count = tensors.count
        totalBytes = tensors.reduce(0) { $0 + $1.tensor.byteCount }
    }

    func markDone(_ index: Int, bytes: Int) {
        guard done.insert(index).inserted else { return }
        bytesDone += bytes
        callback(WriteProgress(tensorsWritten: done.count, tensorCount: count, bytesWritten: bytesDone, totalBytes: totalBytes))
    }

    /// The same tensors, each over a storage that reports to this tracker after its bytes are used.
    func wrap(_ tensors: [NamedTensor]) throws -> [NamedTensor] {
        try tensors.enumerated().map { index, named in
            let t = named.tensor
            let storage = ObservedStorage(base: t.storage) { self.markDone(index, bytes: t.byteCount) }  // keeps the tracker alive
            let wrapped = try Tensor(dtype: t.dtype, shape: t.shape, strides: t.strides, storageOffset: t.storageOffset, storage: storage)
            return NamedTensor(name: named.name, tensor: wrapped)
        }
    }
}

/// A storage that calls `onUse` after each access to the wrapped storage's bytes.
final class ObservedStorage: TensorStorage {
    let base: TensorStorage
    let onUse: () -> Void

    init(base: TensorStorage, onUse: @escaping () -> Void) {
        self.base = base
        self.onUse = onUse
    }

    var byteCount: Int { base.byteCount }

    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let result = try base.withBytes(body)
        onUse()
        return result
    }

    func releaseCache() { base.releaseCache() }

    func withFileRange<R>(_ body: (MappedFile, Range<Int>) throws -> R) throws -> R? {
        guard let result = try base.withFileRange(body) else { return nil }
        onUse()
        return result
    }
}
