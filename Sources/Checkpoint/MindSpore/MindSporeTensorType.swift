/// What a `.ckpt` `tensor_type` string (`str(mindspore dtype)`) means to this package.
enum MindSporeTensorType: Equatable {
    /// A numeric tensor.
    case numeric(DType)
    /// `"str"`: an `append_dict` string, stored as numpy `<U` bytes (UTF-32LE).
    case string

    /// The string MindSpore uses for `append_dict` strings.
    static let stringTypeName = "str"

    /// Parses a `tensor_type`. Accepts every name `mindspore.load_checkpoint` knows (except `Int4`) plus
    /// the other `str(dtype)` spellings of types this package represents (`Complex64`, `Complex128`,
    /// which `save_checkpoint` writes, and the float8 names). Anything else is refused with a message.
    static func parse(_ name: String) throws -> MindSporeTensorType {
        if name == stringTypeName { return .string }
        if let dtype = DType(mindsporeName: name) { return .numeric(dtype) }
        if name == "Int4" {
            throw CheckpointError("tensor_type Int4 (qint4x2, two 4-bit values per byte) is not supported by this package")
        }
        throw CheckpointError("unknown tensor_type '\(name)' (MindSpore writes e.g. Float32, Float16, BFloat16, Int64, Bool, str)")
    }

    /// The `tensor_type` the writer uses for `dtype`; throws for types `mindspore.load_checkpoint`
    /// cannot load (complex, float8).
    static func writerName(for dtype: DType) throws -> String {
        switch dtype {
        case .f64, .f32, .f16, .bf16, .i64, .i32, .i16, .i8, .u64, .u32, .u16, .u8, .bool:
            return dtype.mindsporeName ?? ""
        case .c64, .c128, .f8e4m3, .f8e5m2:
            throw CheckpointError("MindSpore cannot load \(dtype.torchName) tensors from a .ckpt (load_checkpoint has no \(dtype.mindsporeName ?? dtype.rawValue) type); convert them first")
        }
    }
}
