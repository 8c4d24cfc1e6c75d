/// The globals a torch checkpoint pickle may name (formats.md §1.10 "What a Swift reader should do"),
/// stricter than torch's `weights_only`. Each entry says what the symbol may be used for; anything not
/// listed is refused at the GLOBAL opcode, so it is never even looked up, let alone called.
enum TorchPickleAllowlist {
    enum Role: Equatable {
        case orderedDict
        case rebuildTensorV2, rebuildTensorV3, rebuildTensorV1, rebuildParameter, rebuildParameterWithState, rebuildFromType
        /// A storage class, only meaningful inside a persistent id.
        case storageClass
        /// A bare symbol (dtypes, `torch.Tensor`, `numpy.ndarray`): data, never callable.
        case symbol
        case torchSize, torchDevice
        case codecsEncode
        case builtinSet
        case namespace
        case numpyReconstruct, numpyDType, numpyScalar, numpyFromBuffer
    }

    private static let exact: [String: Role] = [
        "collections.OrderedDict": .orderedDict,
        "torch._utils._rebuild_tensor_v2": .rebuildTensorV2,
        "torch._utils._rebuild_tensor_v3": .rebuildTensorV3,
        "torch._utils._rebuild_tensor": .rebuildTensorV1,
        "torch._utils._rebuild_parameter": .rebuildParameter,
        "torch._utils._rebuild_parameter_with_state": .rebuildParameterWithState,
        "torch._tensor._rebuild_from_type_v2": .rebuildFromType,
        "torch.storage.UntypedStorage": .storageClass,
        "torch.UntypedStorage": .storageClass,
        "torch.Tensor": .symbol,
        "torch.nn.parameter.Parameter": .symbol,
        "torch.Size": .torchSize,
        "torch.device": .torchDevice,
        "_codecs.encode": .codecsEncode,
        "builtins.set": .builtinSet,
        "builtins.frozenset": .builtinSet,
        "argparse.Namespace": .namespace,
        "numpy.ndarray": .symbol,
        "numpy.dtype": .numpyDType,
        "numpy._core.multiarray._reconstruct": .numpyReconstruct,
        "numpy.core.multiarray._reconstruct": .numpyReconstruct,
        "numpy._core.multiarray.scalar": .numpyScalar,
        "numpy.core.multiarray.scalar": .numpyScalar,
        "numpy._core.numeric._frombuffer": .numpyFromBuffer,
        "numpy.core.numeric._frombuffer": .numpyFromBuffer,
    ]

    /// torch dtype names that may appear as symbols (values or `_rebuild_tensor_v3` arguments); only
    /// those `DType` knows can back a tensor.
    private static let otherTorchDTypes: Set<String> = [
        "complex32", "chalf", "qint8", "quint8", "qint32", "quint4x2", "quint2x4", "float8_e4m3fnuz", "float8_e5m2fnuz",
        "float8_e8m0fnu", "float4_e2m1fn_x2", "bits8", "bits16", "bits1x8", "bits2x4", "bits4x2", "bcomplex32",
        "uint1", "uint2", "uint3", "uint4", "uint5", "uint6", "uint7", "int1", "int2", "int3", "int4", "int5", "int6", "int7",
    ]

    /// The role of `module.name`, or nil when it is refused.
    static func role(module: String, name: String) -> Role? {
        if let role = exact[module + "." + name] { return role }
        if module == "torch" || module == "torch.cuda", DType(torchStorageName: name) != nil { return .storageClass }
        if module == "torch", DType(torchName: name) != nil || otherTorchDTypes.contains(name) { return .symbol }
        return nil
    }
}
