import CHDF5

/// The element type of an HDF5 dataset, recognised by its properties (class, size, byte order,
/// precision, bit fields, exponent bias), never by a predefined type's name, so that h5py's custom
/// float16 and HDF5 ≥ 1.14.4's `H5T_IEEE_F16LE` are both float16.
///
/// | HDF5 | dtype |
/// |---|---|
/// | `H5T_FLOAT` size 2, fields (15,10,5,0,10), bias 15 | f16 |
/// | `H5T_FLOAT` size 2, fields (15,7,8,0,7), bias 127 | bf16 |
/// | `H5T_FLOAT` size 4 / 8, IEEE fields | f32 / f64 |
/// | `H5T_INTEGER` size 1/2/4/8, signed or not | i8…i64 / u8…u64 |
/// | `H5T_ENUM` over a 1-byte integer with exactly `FALSE`=0, `TRUE`=1 (h5py's bool) | bool |
/// | integer of 2 (1) bytes with a string attribute `dtype = "bfloat16"` (`"float8_e4m3fn"`, `"float8_e5m2"`) | bf16 (f8…) |
///
/// Both byte orders are accepted; big-endian data is converted by libhdf5 on read. Compound (complex),
/// string, opaque, array, variable-length, reference, bitfield and time types are refused.
struct HDF5ElementType {
    let dtype: DType
    let isBigEndian: Bool

    /// The name of the dataset attribute that marks an integer dataset as holding another dtype's bits.
    static let dtypeAttribute = "dtype"
    /// `dtype` attribute values this package writes and honours (the torch dtype names).
    static let attributeDTypes: [String: DType] = ["bfloat16": .bf16, "float8_e4m3fn": .f8e4m3, "float8_e5m2": .f8e5m2]

    /// Classifies the type of open dataset `dataset` (`variableLengthStrings`: the pre-pass's values,
    /// for a variable-length `dtype` attribute). Caller holds the `HDF5Library` lock.
    static func classify(dataset: hid_t, type: hid_t, tensor: String, variableLengthStrings: HDF5PreflightStrings) throws -> HDF5ElementType {
        func refuse(_ message: String) -> CheckpointError { CheckpointError(message, tensor: tensor) }
        let typeClass = H5Tget_class(type)
        let size = H5Tget_size(type)
        switch typeClass {
        case H5T_INTEGER, H5T_FLOAT:
            let order = H5Tget_order(type)
            guard order == H5T_ORDER_LE || order == H5T_ORDER_BE else { throw refuse("unsupported byte order \(order.rawValue)") }
            guard H5Tget_precision(type) == size * 8, H5Tget_offset(type) == 0 else {
                throw refuse("\(typeClass == H5T_FLOAT ? "float" : "integer") type with \(H5Tget_precision(type)) significant bits at bit offset \(H5Tget_offset(type)) in \(size) bytes (padded types are not supported)")
            }
            let dtype = typeClass == H5T_FLOAT ? try floatDType(type, size: size, refuse: refuse)
                                                : try integerDType(type, size: size, dataset: dataset, vlen: variableLengthStrings, refuse: refuse)
            return HDF5ElementType(dtype: dtype, isBigEndian: order == H5T_ORDER_BE)
        case H5T_ENUM:
            try checkBoolEnum(type, refuse: refuse)
            return HDF5ElementType(dtype: .bool, isBigEndian: false)
        case H5T_COMPOUND: throw refuse("compound datatype (complex numbers or records) is not a supported tensor type")
        case H5T_STRING: throw refuse("string dataset is not a tensor")
        case H5T_OPAQUE: throw refuse("opaque datatype (raw bytes of unknown meaning) is not a supported tensor type")
        case H5T_ARRAY: throw refuse("array datatype is not a supported tensor type")
        case H5T_VLEN: throw refuse("variable-length datatype is not a supported tensor type")
        case H5T_REFERENCE: throw refuse("reference datatype is not a supported tensor type")
        case H5T_BITFIELD: throw refuse("bitfield datatype is not a supported tensor type")
        case H5T_TIME: throw refuse("time datatype is not a supported tensor type")
        default: throw HDF5Library.failure("cannot read the datatype", tensor: tensor)
        }
    }

    private static func floatDType(_ type: hid_t, size: Int, refuse: (String) -> CheckpointError) throws -> DType {
        var sign = 0, exponentPosition = 0, exponentSize = 0, mantissaPosition = 0, mantissaSize = 0
        try checkHDF5(H5Tget_fields(type, &sign, &exponentPosition, &exponentSize, &mantissaPosition, &mantissaSize), "cannot read the float layout")
        let bias = H5Tget_ebias(type)
        let layout = [size, sign, exponentPosition, exponentSize, mantissaPosition, mantissaSize, bias]
        guard H5Tget_norm(type) == H5T_NORM_IMPLIED else { throw refuse("float type without an implied mantissa bit is not IEEE") }
        switch layout {
        case [2, 15, 10, 5, 0, 10, 15]: return .f16
        case [2, 15, 7, 8, 0, 7, 127]: return .bf16
        case [4, 31, 23, 8, 0, 23, 127]: return .f32
        case [8, 63, 52, 11, 0, 52, 1023]: return .f64
        default:
            throw refuse("unsupported float layout (size \(size), sign bit \(sign), exponent \(exponentSize) bits at \(exponentPosition), mantissa \(mantissaSize) bits at \(mantissaPosition), bias \(bias))")
        }
    }

    private static func integerDType(_ type: hid_t, size: Int, dataset: hid_t, vlen: HDF5PreflightStrings,
                                     refuse: (String) -> CheckpointError) throws -> DType {
        let signed = H5Tget_sign(type) == H5T_SGN_2
        let plain: DType
        switch size {
        case 1: plain = signed ? .i8 : .u8
        case 2: plain = signed ? .i16 : .u16
        case 4: plain = signed ? .i32 : .u32
        case 8: plain = signed ? .i64 : .u64
        default: throw refuse("\(size)-byte integers are not supported")
        }
        guard let marker = try HDF5Attributes.strings(dataset, dtypeAttribute, vlen), marker.count == 1,
              let marked = attributeDTypes[marker[0]] else { return plain }
        guard marked.byteSize == size else {
            throw refuse("attribute dtype='\(marker[0])' on \(size)-byte integers (it needs \(marked.byteSize)-byte elements)")
        }
        return marked
    }

    private static func checkBoolEnum(_ type: hid_t, refuse: (String) -> CheckpointError) throws {
        let notBool = "enum datatype other than h5py's bool (FALSE=0, TRUE=1 over one byte) is not supported"
        let base = try HDF5Handle.check(H5Tget_super(type), close: H5Tclose, "cannot read the enum base type")
        guard H5Tget_class(base.id) == H5T_INTEGER, H5Tget_size(base.id) == 1, H5Tget_nmembers(type) == 2 else { throw refuse(notBool) }
        var members: [String: UInt8] = [:]
        for index in UInt32(0)..<2 {
            guard let name = H5Tget_member_name(type, index) else { throw refuse(notBool) }
            defer { H5free_memory(name) }
            var value: UInt8 = 0
            try checkHDF5(H5Tget_member_value(type, index, &value), "cannot read the enum values")
            members[String(cString: name)] = value
        }
        guard members == ["FALSE": 0, "TRUE": 1] else { throw refuse(notBool) }
    }

    /// A memory type for `H5Dread` that yields the dataset's elements as little-endian bytes of
    /// `dtype` (the file type with its byte order set to little-endian; libhdf5 swaps BE data).
    static func memoryType(fileType: hid_t, tensor: String) throws -> HDF5Handle {
        let copy = try HDF5Handle.check(H5Tcopy(fileType), close: H5Tclose, "cannot copy the datatype", tensor: tensor)
        if H5Tget_class(fileType) != H5T_ENUM {
            try checkHDF5(H5Tset_order(copy.id, H5T_ORDER_LE), "cannot set the byte order", tensor: tensor)
        }
        return copy
    }
}
