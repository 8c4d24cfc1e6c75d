/// Pattern-matches the torch rebuild functions (formats.md §1.6) into `TorchTensorRecipe`s. Nothing is
/// called: the arguments are checked for type and range and recorded.
enum TorchTensorRebuild {
    /// `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`.
    static func v2(_ args: UnpickledTuple, offset: Int) throws -> UnpickledValue {
        let a = try TorchPickleArguments("_rebuild_tensor_v2", args, offset: offset, count: 6...7)
        let storage = try storageArgument(a)
        let flags = a.count == 7 ? try metadata(a, 6) : (negate: false, conjugate: false)
        return try recipe(a, storage: storage, dtype: storage.dtype, flags: flags)
    }

    /// `_rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype[, metadata])`.
    static func v3(_ args: UnpickledTuple, offset: Int) throws -> UnpickledValue {
        let a = try TorchPickleArguments("_rebuild_tensor_v3", args, offset: offset, count: 7...8)
        let storage = try storageArgument(a)
        let symbol = try a.global(6, "dtype")
        guard symbol.module == "torch", let dtype = DType(torchName: symbol.name) else {
            throw CheckpointError("_rebuild_tensor_v3: unsupported dtype '\(symbol.fullName)'", offset: offset)
        }
        guard storage.isUntyped || storage.dtype == dtype else {
            throw CheckpointError("_rebuild_tensor_v3: dtype \(symbol.fullName) does not match its \(storage.className) '\(storage.key)'", offset: offset)
        }
        let flags = a.count == 8 ? try metadata(a, 7) : (negate: false, conjugate: false)
        return try recipe(a, storage: storage, dtype: dtype, flags: flags)
    }

    /// `_rebuild_tensor(storage, storage_offset, size, stride)` (the oldest form).
    static func v1(_ args: UnpickledTuple, offset: Int) throws -> UnpickledValue {
        let a = try TorchPickleArguments("_rebuild_tensor", args, offset: offset, count: 4...4)
        let storage = try storageArgument(a)
        return try recipe(a, storage: storage, dtype: storage.dtype, flags: (false, false))
    }

    /// `_rebuild_parameter(data, requires_grad, backward_hooks)` and
    /// `_rebuild_parameter_with_state(data, requires_grad, backward_hooks, state)`: the parameter is its data.
    static func parameter(_ args: UnpickledTuple, withState: Bool, offset: Int) throws -> UnpickledValue {
        let name = withState ? "_rebuild_parameter_with_state" : "_rebuild_parameter"
        let a = try TorchPickleArguments(name, args, offset: offset, count: withState ? 4...4 : 3...3)
        guard case .custom(let data as TorchTensorRecipe) = a.items[0] else { throw a.fail(0, "a tensor (data)") }
        _ = try a.bool(1, "requires_grad")
        return .custom(data)
    }

    /// `_rebuild_from_type_v2(func, new_type, args, state)`, accepted only as a plain tensor or Parameter
    /// rebuilt by `_rebuild_tensor_v2`; the Python attributes in `state` are dropped.
    static func fromType(_ args: UnpickledTuple, offset: Int) throws -> UnpickledValue {
        let a = try TorchPickleArguments("_rebuild_from_type_v2", args, offset: offset, count: 4...4)
        let function = try a.global(0, "func")
        guard function.fullName == "torch._utils._rebuild_tensor_v2" else {
            throw CheckpointError("_rebuild_from_type_v2 with func '\(function.fullName)' refused (only _rebuild_tensor_v2)", offset: offset)
        }
        let newType = try a.global(1, "new_type")
        guard newType.fullName == "torch.Tensor" || newType.fullName == "torch.nn.parameter.Parameter" else {
            throw CheckpointError("_rebuild_from_type_v2 to type '\(newType.fullName)' refused (only torch.Tensor / Parameter)", offset: offset)
        }
        guard case .tuple(let inner) = a.items[2] else { throw a.fail(2, "a tuple (args)") }
        switch a.items[3] {
        case .dict, .none: break
        default: throw a.fail(3, "a dict (state)")
        }
        return try v2(inner, offset: offset)
    }

    private static func storageArgument(_ a: TorchPickleArguments) throws -> TorchStorageReference {
        guard case .custom(let storage as TorchStorageReference) = a.items[0] else { throw a.fail(0, "a storage (persistent id)") }
        return storage
    }

    /// The optional metadata dict: only `neg` and `conj` flags are understood.
    private static func metadata(_ a: TorchPickleArguments, _ index: Int) throws -> (negate: Bool, conjugate: Bool) {
        switch a.items[index] {
        case .none:
            return (false, false)
        case .dict(let dict):
            var flags = (negate: false, conjugate: false)
            for entry in dict.entries {
                guard case .string(let key) = entry.key, case .bool(let on) = entry.value else {
                    throw CheckpointError("\(a.function): tensor metadata must map names to bools", offset: a.offset)
                }
                switch key {
                case "neg": flags.negate = on
                case "conj": flags.conjugate = on
                default: throw CheckpointError("\(a.function): unsupported tensor metadata '\(key)'", offset: a.offset)
                }
            }
            return flags
        default:
            throw a.fail(index, "a dict (metadata)")
        }
    }

    private static func recipe(_ a: TorchPickleArguments, storage: TorchStorageReference, dtype: DType,
                               flags: (negate: Bool, conjugate: Bool)) throws -> UnpickledValue {
        let storageOffset = try a.int(1, "storage_offset")
        let shape = try a.dimensions(2, "size")
        let strides = try a.dimensions(3, "stride")
        guard shape.count == strides.count else {
            throw CheckpointError("\(a.function): size \(shape) and stride \(strides) differ in rank", offset: a.offset)
        }
        if a.count >= 6 {
            _ = try a.bool(4, "requires_grad")
            guard case .dict = a.items[5] else { throw a.fail(5, "an OrderedDict (backward_hooks)") }
        }
        if let previous = storage.tensorDType, previous != dtype, storage.byteCount > 0 {
            throw CheckpointError("storage '\(storage.key)' is viewed as both \(previous) and \(dtype)", offset: a.offset)
        }
        if storage.tensorDType == nil { storage.tensorDType = dtype }
        return .custom(TorchTensorRecipe(storage: storage, dtype: dtype, shape: shape, strides: strides, storageOffset: storageOffset,
                                         negate: flags.negate, conjugate: flags.conjugate, offset: a.offset))
    }
}
