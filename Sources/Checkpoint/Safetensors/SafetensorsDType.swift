/// Every dtype string the safetensors reference implementation (0.8) accepts, in the order of its Rust
/// `Dtype` enum ("increasing alignment order"). The writer sorts tensors by this order, descending.
enum SafetensorsDType: Int, CaseIterable, Comparable {
    case bool, f4, f6e2m3, f6e3m2, u8, i8, f8e5m2, f8e4m3, f8e8m0, f8e4m3fnuz, f8e5m2fnuz
    case i16, u16, f16, bf16, i32, u32, f32, c64, f64, i64, u64

    /// The exact (case-sensitive) header spelling.
    var name: String {
        switch self {
        case .bool: return "BOOL"
        case .f4: return "F4"
        case .f6e2m3: return "F6_E2M3"
        case .f6e3m2: return "F6_E3M2"
        case .u8: return "U8"
        case .i8: return "I8"
        case .f8e5m2: return "F8_E5M2"
        case .f8e4m3: return "F8_E4M3"
        case .f8e8m0: return "F8_E8M0"
        case .f8e4m3fnuz: return "F8_E4M3FNUZ"
        case .f8e5m2fnuz: return "F8_E5M2FNUZ"
        case .i16: return "I16"
        case .u16: return "U16"
        case .f16: return "F16"
        case .bf16: return "BF16"
        case .i32: return "I32"
        case .u32: return "U32"
        case .f32: return "F32"
        case .c64: return "C64"
        case .f64: return "F64"
        case .i64: return "I64"
        case .u64: return "U64"
        }
    }

    /// Bits per element (F4 and F6 are sub-byte types).
    var bitSize: Int {
        switch self {
        case .f4: return 4
        case .f6e2m3, .f6e3m2: return 6
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3, .f8e8m0, .f8e4m3fnuz, .f8e5m2fnuz: return 8
        case .i16, .u16, .f16, .bf16: return 16
        case .i32, .u32, .f32: return 32
        case .c64, .f64, .i64, .u64: return 64
        }
    }

    /// The package dtype, or nil for safetensors types this package cannot represent.
    var dtype: DType? { DType(safetensorsName: name) }

    /// The safetensors type of a package dtype, or nil when safetensors has none (complex128).
    init?(_ dtype: DType) {
        guard let name = dtype.safetensorsName, let match = SafetensorsDType(name: name) else { return nil }
        self = match
    }

    init?(name: String) {
        guard let match = SafetensorsDType.allCases.first(where: { $0.name == name }) else { return nil }
        self = match
    }

    /// The list of accepted names as serde formats it in "unknown variant" errors.
    static var expectedList: String { allCases.map { "`\($0.name)`" }.joined(separator: ", ") }

    static func < (lhs: SafetensorsDType, rhs: SafetensorsDType) -> Bool { lhs.rawValue < rhs.rawValue }
}
