/// Element types a checkpoint tensor can hold, with their names in every supported file format.
public enum DType: String, CaseIterable, Sendable, Hashable {
    case f64, f32, f16, bf16
    case i64, i32, i16, i8
    case u64, u32, u16, u8
    case bool
    case c64, c128
    case f8e4m3, f8e5m2

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .f64, .i64, .u64, .c64: return 8
        case .c128: return 16
        case .f32, .i32, .u32: return 4
        case .f16, .bf16, .i16, .u16: return 2
        case .i8, .u8, .bool, .f8e4m3, .f8e5m2: return 1
        }
    }

    /// True for the real floating-point types that `--dtype` conversion applies to.
    public var isFloatingPoint: Bool {
        switch self {
        case .f64, .f32, .f16, .bf16, .f8e4m3, .f8e5m2: return true
        default: return false
        }
    }

    /// The safetensors header spelling (`"F32"`, `"BF16"`, ...); nil where safetensors has no such type.
    public var safetensorsName: String? {
        switch self {
        case .f64: return "F64"
        case .f32: return "F32"
        case .f16: return "F16"
        case .bf16: return "BF16"
        case .i64: return "I64"
        case .i32: return "I32"
        case .i16: return "I16"
        case .i8: return "I8"
        case .u64: return "U64"
        case .u32: return "U32"
        case .u16: return "U16"
        case .u8: return "U8"
        case .bool: return "BOOL"
        case .c64: return "C64"
        case .c128: return nil
        case .f8e4m3: return "F8_E4M3"
        case .f8e5m2: return "F8_E5M2"
        }
    }

    /// Parses a safetensors dtype string (case-sensitive, as the reference implementation).
    public init?(safetensorsName: String) {
        guard let match = DType.allCases.first(where: { $0.safetensorsName == safetensorsName }) else { return nil }
        self = match
    }

    /// MindSpore `str(dtype)` spelling used as `tensor_type` in `.ckpt` files; nil where MindSpore cannot load it.
    public var mindsporeName: String? {
        switch self {
        case .f64: return "Float64"
        case .f32: return "Float32"
        case .f16: return "Float16"
        case .bf16: return "BFloat16"
        case .i64: return "Int64"
        case .i32: return "Int32"
        case .i16: return "Int16"
        case .i8: return "Int8"
        case .u64: return "UInt64"
        case .u32: return "UInt32"
        case .u16: return "UInt16"
        case .u8: return "UInt8"
        case .bool: return "Bool"
        case .c64: return "Complex64"
        case .c128: return "Complex128"
        case .f8e4m3: return "Float8E4M3FN"
        case .f8e5m2: return "Float8E5M2"
        }
    }

    /// Parses a MindSpore `tensor_type` string.
    public init?(mindsporeName: String) {
        guard let match = DType.allCases.first(where: { $0.mindsporeName == mindsporeName }) else { return nil }
        self = match
    }

    /// The legacy PyTorch storage class (`torch.<Name>`) for this dtype; nil for dtypes that need
    /// `UntypedStorage` + `_rebuild_tensor_v3`.
    public var torchStorageName: String? {
        switch self {
        case .f64: return "DoubleStorage"
        case .f32: return "FloatStorage"
        case .f16: return "HalfStorage"
        case .bf16: return "BFloat16Storage"
        case .i64: return "LongStorage"
        case .i32: return "IntStorage"
        case .i16: return "ShortStorage"
        case .i8: return "CharStorage"
        case .u8: return "ByteStorage"
        case .bool: return "BoolStorage"
        case .c64: return "ComplexFloatStorage"
        case .c128: return "ComplexDoubleStorage"
        case .u16, .u32, .u64, .f8e4m3, .f8e5m2: return nil
        }
    }

    /// Parses a legacy storage class name such as `FloatStorage` (module ignored, as torch does).
    public init?(torchStorageName: String) {
        guard let match = DType.allCases.first(where: { $0.torchStorageName == torchStorageName }) else { return nil }
        self = match
    }

    /// The `torch.<name>` dtype symbol (`float32`, `bfloat16`, `float8_e4m3fn`, ...).
    public var torchName: String {
        switch self {
        case .f64: return "float64"
        case .f32: return "float32"
        case .f16: return "float16"
        case .bf16: return "bfloat16"
        case .i64: return "int64"
        case .i32: return "int32"
        case .i16: return "int16"
        case .i8: return "int8"
        case .u64: return "uint64"
        case .u32: return "uint32"
        case .u16: return "uint16"
        case .u8: return "uint8"
        case .bool: return "bool"
        case .c64: return "complex64"
        case .c128: return "complex128"
        case .f8e4m3: return "float8_e4m3fn"
        case .f8e5m2: return "float8_e5m2"
        }
    }

    /// Parses a `torch.<name>` dtype symbol, including the aliases torch pickles (`float`, `half`, `long`, ...).
    public init?(torchName: String) {
        let aliases: [String: DType] = [
            "float": .f32, "double": .f64, "half": .f16, "long": .i64, "int": .i32, "short": .i16,
            "cfloat": .c64, "cdouble": .c128,
        ]
        if let alias = aliases[torchName] { self = alias; return }
        guard let match = DType.allCases.first(where: { $0.torchName == torchName }) else { return nil }
        self = match
    }

    /// numpy dtype `str` without the byte-order character (`f4`, `i8`, `b1`, ...).
    public var numpyCode: String? {
        switch self {
        case .f64: return "f8"
        case .f32: return "f4"
        case .f16: return "f2"
        case .i64: return "i8"
        case .i32: return "i4"
        case .i16: return "i2"
        case .i8: return "i1"
        case .u64: return "u8"
        case .u32: return "u4"
        case .u16: return "u2"
        case .u8: return "u1"
        case .bool: return "b1"
        case .c64: return "c8"
        case .c128: return "c16"
        case .bf16, .f8e4m3, .f8e5m2: return nil
        }
    }

    /// Parses a numpy type code (`f4`, `<f4`, `|b1`, `float32`, ...).
    public init?(numpyCode raw: String) {
        var code = raw
        if let first = code.first, "<>|=".contains(first) { code.removeFirst() }
        let names: [String: DType] = [
            "float64": .f64, "float32": .f32, "float16": .f16, "int64": .i64, "int32": .i32, "int16": .i16,
            "int8": .i8, "uint64": .u64, "uint32": .u32, "uint16": .u16, "uint8": .u8, "bool": .bool,
            "complex64": .c64, "complex128": .c128, "?": .bool,
        ]
        if let named = names[code] { self = named; return }
        guard let match = DType.allCases.first(where: { $0.numpyCode == code }) else { return nil }
        self = match
    }
}
