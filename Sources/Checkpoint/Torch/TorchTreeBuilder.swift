/// Builds the `Node` tree of a torch pickle: tensor recipes become bounds-checked `Tensor` views over
/// their storages (with lazy neg/conj bits applied), numpy arrays become `.array`, data objects become
/// `.object`. Errors name the tensor by its dotted path and the byte offset of its rebuild call.
enum TorchTreeBuilder {
    static func build(_ root: UnpickledValue, limits: UnpicklerLimits = .standard) throws -> Node {
        let converter = UnpickledTreeConverter(limits: limits) { custom, path, converter, depth in
            try convertCustom(custom, path: path, converter: converter, depth: depth)
        }
        return try converter.convertRoot(root)
    }

    private static func convertCustom(_ custom: UnpickledCustom, path: String, converter: UnpickledTreeConverter, depth: Int) throws -> Node {
        switch custom {
        case let recipe as TorchTensorRecipe:
            do {
                return .tensor(try tensor(recipe))
            } catch var error as CheckpointError {
                if error.offset == nil { error.offset = recipe.offset }
                throw error.forTensor(path)
            }
        case let array as NumpyArrayValue:
            guard let tensor = array.tensor else {
                throw CheckpointError("numpy array was never given its data (missing BUILD)", tensor: path, offset: array.offset)
            }
            return .array(tensor)
        case let object as TorchDataObject:
            let args = try object.args.enumerated().map { try converter.convert($1, path: converter.join(path, String($0)), depth: depth + 1) }
            let state = try object.state.map { try converter.convert($0, path: path, depth: depth + 1) }
            if object.type == "argparse.Namespace", state == nil {
                throw CheckpointError("argparse.Namespace was never given its attributes (missing BUILD)", tensor: path, offset: object.offset)
            }
            return .object(type: object.type, args: args, state: state)
        case let dtype as NumpyDTypeValue:
            let order = dtype.byteOrder == "|" ? "" : String(dtype.byteOrder)
            return .object(type: "numpy.dtype", args: [.string(order + dtype.code)], state: nil)
        case let storage as TorchStorageReference:
            throw CheckpointError("a bare \(storage.className) '\(storage.key)' outside a tensor is not supported", tensor: path, offset: storage.offset)
        default:
            throw CheckpointError("unsupported \(custom.typeName) value", tensor: path, offset: custom.offset)
        }
    }

    /// The checked view of a recipe over its storage's bytes.
    static func tensor(_ recipe: TorchTensorRecipe) throws -> Tensor {
        guard let bytes = recipe.storage.bytes else {
            throw CheckpointError("storage '\(recipe.storage.key)' has no data in the file")
        }
        let view = try Tensor(dtype: recipe.dtype, shape: recipe.shape, strides: recipe.strides,
                              storageOffset: recipe.storageOffset, storage: bytes)
        guard recipe.negate || (recipe.conjugate && (recipe.dtype == .c64 || recipe.dtype == .c128)) else { return view }
        guard TorchLazyBits.canApply(negate: recipe.negate, to: recipe.dtype) else {
            throw CheckpointError("negative bit on a \(recipe.dtype) tensor is not supported")
        }
        // The lazily negated/conjugated values, materialised densely on each read.
        let negate = recipe.negate, conjugate = recipe.conjugate, dtype = recipe.dtype
        let resolved = ComputedStorage(byteCount: view.byteCount) { out in  // [Π shape × elsize] bytes, dense
            try view.withContiguousBytes { dense in out.copyMemory(from: dense) }
            TorchLazyBits.apply(negate: negate, conjugate: conjugate, dtype: dtype, to: out)
        }
        return try Tensor(dtype: dtype, shape: recipe.shape, storage: resolved)
    }
}
