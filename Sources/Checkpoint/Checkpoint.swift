/// A tensor with the name it is stored under.
public struct NamedTensor {
    public var name: String
    public var tensor: Tensor

    public init(name: String, tensor: Tensor) {
        self.name = name
        self.tensor = tensor
    }
}

/// What a format reader produces: the object tree plus free-form string metadata
/// (safetensors `__metadata__`, HDF5 root attributes, ...).
public struct CheckpointContents {
    public var root: Node
    public var metadata: [String: String]

    public init(root: Node, metadata: [String: String] = [:]) {
        self.root = root
        self.metadata = metadata
    }
}

/// An opened checkpoint file of any supported format. The format is detected from the bytes, never
/// from the extension; tensors are read lazily from the mapped file.
public final class Checkpoint {
    public let path: String
    public let format: CheckpointFormat
    /// The whole stored object: a state dict, `{"state_dict": ...}`, a training checkpoint
    /// `{"model", "ema", "opt", "args"}`, ...
    public let root: Node
    public let metadata: [String: String]
    /// The mapping the tensors read from (kept alive with the checkpoint).
    public let file: MappedFile

    /// Opens and validates `path`. Errors name the file and, where known, the tensor and byte offset.
    /// The format is detected from the bytes unless `format` forces one reader.
    public init(path: String, as forcedFormat: CheckpointFormat? = nil) throws {
        do {
            let file = try MappedFile(path: path)
            let format = try forcedFormat ?? CheckpointFormat.detect(file.bytes(0..<min(file.count, 4096 + 8)))
            let contents: CheckpointContents
            switch format {
            case .torchZip: contents = try TorchZipReader.read(file)
            case .torchLegacy: contents = try TorchLegacyReader.read(file)
            case .mindspore: contents = try MindSporeReader.read(file)
            case .safetensors: contents = try SafetensorsReader.read(file)
            case .hdf5: contents = try HDF5Reader.read(file)
            case .numpy: contents = try NumpyFileReader.read(file)
            case .numpyArchive: contents = try NumpyArchiveReader.read(file)
            case .pickle: contents = try BarePickleReader.read(file)
            }
            self.path = path
            self.file = file
            self.format = format
            self.root = contents.root
            self.metadata = contents.metadata
        } catch let error as CheckpointError {
            throw error.inFile(path)
        }
    }

    /// The tensors to convert or load, in file order.
    ///
    /// - `select: nil`: the root when it is a plain state dict; otherwise `state_dict` if present;
    ///   otherwise every tensor in the tree under its dotted path.
    /// - `select: "ema"` (any dotted path): the tensors under that node, named relative to it.
    public func tensors(select: String? = nil) throws -> [NamedTensor] {
        let node: Node
        if let select {
            guard let found = root.value(atPath: select) else {
                let keys: [String]
                if case .dict(let entries) = root { keys = entries.map(\.key.keyText) } else { keys = [] }
                throw CheckpointError("no entry '\(select)' in the checkpoint (top-level keys: \(keys.prefix(12).joined(separator: ", ")))", file: path)
            }
            node = found
        } else if !root.isTensorDict, let stateDict = root["state_dict"] {
            node = stateDict
        } else {
            node = root
        }
        let flat = node.flattenedTensors()
        var seen = Set<String>()
        for entry in flat where !seen.insert(entry.name).inserted {
            throw CheckpointError("two tensors flatten to the same name", file: path, tensor: entry.name)
        }
        return flat.map { NamedTensor(name: $0.name, tensor: $0.tensor) }
    }
}
