/// Reads a bare pickle (`pickle.dump` of a state dict, `.pkl`) without executing it: the whole file is
/// one pickle (any protocol 0-5), run through the torch checkpoint allowlist. numpy arrays in it are the
/// file's tensors. Persistent ids (torch storages) cannot occur in a bare pickle and are refused; so are
/// bytes after STOP.
enum BarePickleReader {
    static func read(_ file: MappedFile) throws -> CheckpointContents {
        let semantics = TorchPickleSemantics { _, offset in
            throw CheckpointError("persistent id in a bare pickle (only torch.save files have storages)", offset: offset)
        }
        let root = try Unpickler.load(file.all, baseOffset: 0, semantics: semantics) { value, end in
            guard end == file.count else {
                throw CheckpointError("\(file.count - end) unexpected bytes after STOP (a second pickle?)", offset: end)
            }
            return try TorchTreeBuilder.build(value)
        }
        return CheckpointContents(root: arraysAsTensors(root))
    }

    /// numpy arrays become tensors: in a bare pickle they are the weights.
    static func arraysAsTensors(_ node: Node) -> Node {
        switch node {
        case .array(let tensor): return .tensor(tensor)
        case .dict(let entries): return .dict(entries.map { (key: $0.key, value: arraysAsTensors($0.value)) })
        case .list(let items): return .list(items.map(arraysAsTensors))
        case .tuple(let items): return .tuple(items.map(arraysAsTensors))
        case .object(let type, let args, let state): return .object(type: type, args: args, state: state.map(arraysAsTensors))
        default: return node
        }
    }
}

/// Bare pickles are only read.
enum BarePickleWriter: CheckpointWriter {
    static func write(_ tensors: [NamedTensor], metadata: [String: String], to path: String, options: WriterOptions) throws {
        throw CheckpointError("writing bare pickles is not supported (use .pt, .safetensors, .ckpt, .h5 or .npy)", file: path)
    }
}
