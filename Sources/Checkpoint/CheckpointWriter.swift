/// Options shared by the writers. Each writer ignores what does not apply to its format.
public struct WriterOptions {
    /// `.ckpt`: append MindSpore's `crc_num` trailer (as `save_checkpoint(crc_check=True)`).
    public var mindsporeCRC = false
    /// `.ckpt`: record payload size above which a tensor is split (MindSpore: 512 MiB). Lowered by tests.
    public var mindsporeSliceBytes = 512 * 1024 * 1024
    /// `.pt`: the archive's top-level folder name (torch uses the target's file stem).
    public var torchArchiveName: String? = nil
    /// Called after each tensor's bytes have been consumed by the writer (`writeCheckpoint` arranges it;
    /// writers need not call it).
    public var progress: ((WriteProgress) -> Void)? = nil

    public init() {}
}

/// Progress of a streaming write.
public struct WriteProgress {
    public var tensorsWritten: Int
    public var tensorCount: Int
    public var bytesWritten: Int
    public var totalBytes: Int
}

/// A format writer. Writers stream: at most one tensor's bytes are materialised at a time.
public protocol CheckpointWriter {
    /// Writes `tensors` (in order) and `metadata` to `path`, which the caller has made a temporary file.
    static func write(_ tensors: [NamedTensor], metadata: [String: String], to path: String, options: WriterOptions) throws
}

extension CheckpointFormat {
    /// The writer for this format.
    public var writer: CheckpointWriter.Type {
        switch self {
        case .torchZip, .torchLegacy: return TorchZipWriter.self
        case .mindspore: return MindSporeWriter.self
        case .safetensors: return SafetensorsWriter.self
        case .hdf5: return HDF5Writer.self
        case .numpy: return NumpyFileWriter.self
        case .numpyArchive: return NumpyArchiveRefusingWriter.self
        case .pickle: return BarePickleWriter.self
        }
    }
}

/// Writes `tensors` to `path` in `format` atomically (temporary file, fsync, rename): a failure leaves
/// no target file behind. Duplicate names are refused before anything is written.
public func writeCheckpoint(_ tensors: [NamedTensor], metadata: [String: String] = [:], to path: String,
                            format: CheckpointFormat, options: WriterOptions = WriterOptions()) throws {
    var seen = Set<String>()
    for tensor in tensors where !seen.insert(tensor.name).inserted {
        throw CheckpointError("duplicate tensor name", file: path, tensor: tensor.name)
    }
    var observed = tensors
    if let progress = options.progress {
        let tracker = ProgressTracker(tensors: tensors, callback: progress)
        observed = try tracker.wrap(tensors)
    }
    do {
        try AtomicFile.write(to: path) { temporary in
            var options = options
            if options.torchArchiveName == nil { options.torchArchiveName = TorchZipWriter.archiveName(for: path) }
            try format.writer.write(observed, metadata: metadata, to: temporary, options: options)
        }
    } catch var error as CheckpointError {
        error.file = path
        throw error
    }
}

/// `.npz` is read as a tensor store but not written through `writeCheckpoint` (the one-array FID
/// archive has its own streaming writer); converting to it is refused with one line.
enum NumpyArchiveRefusingWriter: CheckpointWriter {
    static func write(_ tensors: [NamedTensor], metadata: [String: String], to path: String, options: WriterOptions) throws {
        throw CheckpointError("writing .npz checkpoints is not supported (convert to .npy, .safetensors, .pt, .ckpt or .h5)", file: path)
    }
}
