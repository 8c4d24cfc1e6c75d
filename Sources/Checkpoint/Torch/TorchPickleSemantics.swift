/// The torch checkpoint meaning of the code-running pickle opcodes: every GLOBAL must be on
/// `TorchPickleAllowlist`, and each allowed call is decoded as data (a tensor recipe, a dict, bytes,
/// a Namespace...). No Python-level object is ever created and nothing is called.
final class TorchPickleSemantics: UnpicklerSemantics {
    /// Resolves a persistent id to the (memoised) storage it names.
    typealias StorageLoader = (_ pid: UnpickledValue, _ offset: Int) throws -> TorchStorageReference

    private let loadStorage: StorageLoader

    init(loadStorage: @escaping StorageLoader) {
        self.loadStorage = loadStorage
    }

    func global(module: String, name: String, offset: Int) throws -> UnpickledValue {
        guard TorchPickleAllowlist.role(module: module, name: name) != nil else {
            let shown = (module + "." + name).prefix(200)
            throw CheckpointError("refused global '\(shown)' (not on the checkpoint allowlist; nothing was called)", offset: offset)
        }
        return .global(UnpickledGlobal(module: module, name: name))
    }

    func reduce(_ callable: UnpickledValue, _ args: UnpickledTuple, offset: Int) throws -> UnpickledValue {
        guard case .global(let function) = callable, let role = TorchPickleAllowlist.role(module: function.module, name: function.name) else {
            throw CheckpointError("REDUCE on a \(callable.kind) refused (only allowlisted functions)", offset: offset)
        }
        switch role {
        case .orderedDict:
            guard args.items.isEmpty else { throw CheckpointError("OrderedDict with constructor arguments refused", offset: offset) }
            return .dict(UnpickledDict(offset: offset))
        case .rebuildTensorV2: return try TorchTensorRebuild.v2(args, offset: offset)
        case .rebuildTensorV3: return try TorchTensorRebuild.v3(args, offset: offset)
        case .rebuildTensorV1: return try TorchTensorRebuild.v1(args, offset: offset)
        case .rebuildParameter: return try TorchTensorRebuild.parameter(args, withState: false, offset: offset)
        case .rebuildParameterWithState: return try TorchTensorRebuild.parameter(args, withState: true, offset: offset)
        case .rebuildFromType: return try TorchTensorRebuild.fromType(args, offset: offset)
        case .torchSize:
            let a = try TorchPickleArguments("torch.Size", args, offset: offset, count: 0...1)
            if a.count == 1 { _ = try a.dimensions(0, "sizes") }
            return .custom(TorchDataObject(type: "torch.Size", args: args.items, offset: offset))
        case .torchDevice:
            let a = try TorchPickleArguments("torch.device", args, offset: offset, count: 1...2)
            _ = try a.string(0, "type")
            if a.count == 2 { _ = try a.int(1, "index") }
            return .custom(TorchDataObject(type: "torch.device", args: args.items, offset: offset))
        case .codecsEncode:
            return try TorchPickleSemantics.latin1Bytes(args, offset: offset)
        case .builtinSet:
            let a = try TorchPickleArguments(function.fullName, args, offset: offset, count: 0...1)
            let set = UnpickledSet(offset: offset, frozen: function.name == "frozenset")
            if a.count == 1 {
                let items: [UnpickledValue]
                switch a.items[0] {
                case .list(let list): items = list.items
                case .tuple(let tuple): items = tuple.items
                default: throw a.fail(0, "a list of items")
                }
                for item in items { try set.insert(item, at: offset) }
            }
            return .set(set)
        case .numpyReconstruct: return try NumpyPickleDecoding.reconstruct(args, offset: offset)
        case .numpyDType: return try NumpyPickleDecoding.dtype(args, offset: offset)
        case .numpyScalar: return try NumpyPickleDecoding.scalar(args, offset: offset)
        case .numpyFromBuffer: return try NumpyPickleDecoding.fromBuffer(args, offset: offset)
        case .storageClass, .symbol, .namespace:
            throw CheckpointError("calling '\(function.fullName)' refused", offset: offset)
        }
    }

    func newObject(_ cls: UnpickledValue, _ args: UnpickledTuple, offset: Int) throws -> UnpickledValue {
        guard case .global(let type) = cls, TorchPickleAllowlist.role(module: type.module, name: type.name) == .namespace else {
            throw CheckpointError("NEWOBJ of a \(cls.kind) refused (only argparse.Namespace)", offset: offset)
        }
        guard args.items.isEmpty else { throw CheckpointError("argparse.Namespace NEWOBJ with arguments refused", offset: offset) }
        return .custom(TorchDataObject(type: type.fullName, args: [], offset: offset))
    }

    func build(_ target: UnpickledValue, state: UnpickledValue, offset: Int) throws -> UnpickledValue {
        switch target {
        case .dict:
            // OrderedDict.__dict__.update(state): the `_metadata` of a state_dict. Ignored.
            guard case .dict = state else { throw CheckpointError("BUILD on a dict with a \(state.kind) state refused", offset: offset) }
            return target
        case .custom(let object as TorchDataObject) where object.type == "argparse.Namespace":
            guard object.state == nil, case .dict = state else {
                throw CheckpointError("argparse.Namespace BUILD needs one dict state", offset: offset)
            }
            object.state = state
            return target
        case .custom(let dtype as NumpyDTypeValue):
            try NumpyPickleDecoding.buildDType(dtype, state: state, offset: offset)
            return target
        case .custom(let array as NumpyArrayValue):
            try NumpyPickleDecoding.buildArray(array, state: state, offset: offset)
            return target
        default:
            throw CheckpointError("BUILD on a \(target.kind) refused", offset: offset)
        }
    }

    func persistentLoad(_ pid: UnpickledValue, offset: Int) throws -> UnpickledValue {
        .custom(try loadStorage(pid, offset))
    }

    /// `_codecs.encode(text, 'latin1')`: each code point 0–255 is one byte (how protocol 2 carries bytes).
    static func latin1Bytes(_ args: UnpickledTuple, offset: Int) throws -> UnpickledValue {
        let a = try TorchPickleArguments("_codecs.encode", args, offset: offset, count: 2...2)
        let text = try a.string(0, "text")
        let encoding = try a.string(1, "encoding")
        guard encoding == "latin1" || encoding == "latin-1" else {
            throw CheckpointError("_codecs.encode with encoding '\(encoding.prefix(40))' refused (only latin1)", offset: offset)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            guard scalar.value <= 0xFF else {
                throw CheckpointError("_codecs.encode: character U+\(String(scalar.value, radix: 16)) is not latin1", offset: offset)
            }
            bytes.append(UInt8(scalar.value))
        }
        return .bytes(bytes)
    }
}
