import CHDF5

/// The HDF5 datatypes the writer stores each dtype as, matching what h5py writes for numpy arrays:
///
/// | dtype | HDF5 file type |
/// |---|---|
/// | f16 | IEEE binary16 as h5py's custom float (size 2, fields 15/10/5/0/10, bias 15), LE |
/// | f32, f64 | `H5T_IEEE_F32LE`, `H5T_IEEE_F64LE` |
/// | i8…i64, u8…u64 | `H5T_STD_I8LE` … `H5T_STD_U64LE` |
/// | bool | h5py's enum over int8: `FALSE`=0, `TRUE`=1 |
/// | bf16, f8e4m3, f8e5m2 | `H5T_STD_U16LE` / `U8LE` holding the raw bits, plus a dataset string attribute `dtype` = `"bfloat16"` / `"float8_e4m3fn"` / `"float8_e5m2"` (this package's convention; its reader honours it, h5py sees unsigned integers) |
/// | c64, c128 | refused (HDF5 has no standard complex type before 2.0) |
///
/// Caller holds the `HDF5Library` lock.
enum HDF5FileTypes {
    /// A new datatype for `dtype` (the caller's handle closes it) and the `dtype` attribute value to
    /// attach, if any. The same type is used as the memory type: tensor bytes are little-endian.
    static func fileType(for dtype: DType, tensor: String) throws -> (type: HDF5Handle, marker: String?) {
        func copy(_ predefined: hid_t) throws -> HDF5Handle {
            try HDF5Handle.check(H5Tcopy(predefined), close: H5Tclose, "cannot create the datatype for \(dtype)", tensor: tensor)
        }
        switch dtype {
        case .f64: return (try copy(shim_H5T_IEEE_F64LE()), nil)
        case .f32: return (try copy(shim_H5T_IEEE_F32LE()), nil)
        case .f16: return (try halfFloat(tensor: tensor), nil)
        case .i64: return (try copy(shim_H5T_STD_I64LE()), nil)
        case .i32: return (try copy(shim_H5T_STD_I32LE()), nil)
        case .i16: return (try copy(shim_H5T_STD_I16LE()), nil)
        case .i8: return (try copy(shim_H5T_STD_I8LE()), nil)
        case .u64: return (try copy(shim_H5T_STD_U64LE()), nil)
        case .u32: return (try copy(shim_H5T_STD_U32LE()), nil)
        case .u16: return (try copy(shim_H5T_STD_U16LE()), nil)
        case .u8: return (try copy(shim_H5T_STD_U8LE()), nil)
        case .bool: return (try boolEnum(tensor: tensor), nil)
        case .bf16: return (try copy(shim_H5T_STD_U16LE()), dtype.torchName)
        case .f8e4m3, .f8e5m2: return (try copy(shim_H5T_STD_U8LE()), dtype.torchName)
        case .c64, .c128:
            throw CheckpointError("\(dtype) cannot be stored in HDF5 by this writer (no standard complex type)", tensor: tensor)
        }
    }

    /// h5py's float16: `H5T_IEEE_F32LE` copied, re-fielded, shrunk to 2 bytes, bias 15.
    private static func halfFloat(tensor: String) throws -> HDF5Handle {
        let type = try HDF5Handle.check(H5Tcopy(shim_H5T_IEEE_F32LE()), close: H5Tclose, "cannot create the float16 type", tensor: tensor)
        try checkHDF5(H5Tset_fields(type.id, 15, 10, 5, 0, 10), "cannot create the float16 type", tensor: tensor)
        try checkHDF5(H5Tset_size(type.id, 2), "cannot create the float16 type", tensor: tensor)
        try checkHDF5(H5Tset_ebias(type.id, 15), "cannot create the float16 type", tensor: tensor)
        return type
    }

    /// h5py's bool: an enum over little-endian int8 with `FALSE`=0 and `TRUE`=1.
    private static func boolEnum(tensor: String) throws -> HDF5Handle {
        let type = try HDF5Handle.check(H5Tenum_create(shim_H5T_STD_I8LE()), close: H5Tclose, "cannot create the bool type", tensor: tensor)
        var falseValue: Int8 = 0, trueValue: Int8 = 1
        try checkHDF5(H5Tenum_insert(type.id, "FALSE", &falseValue), "cannot create the bool type", tensor: tensor)
        try checkHDF5(H5Tenum_insert(type.id, "TRUE", &trueValue), "cannot create the bool type", tensor: tensor)
        return type
    }
}
