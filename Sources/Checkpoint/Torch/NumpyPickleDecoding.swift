/// Decodes the numpy pickle patterns of formats.md §1.11 as data: arrays (`_reconstruct` + BUILD,
/// or protocol-5 `_frombuffer`), dtypes and scalars. Only plain numeric dtypes are accepted.
enum NumpyPickleDecoding {
    /// `numpy.dtype(code, align, copy)`.
    static func dtype(_ args: UnpickledTuple, offset: Int) throws -> UnpickledValue {
        let a = try TorchPickleArguments("numpy.dtype", args, offset: offset, count: 1...3)
        let code = try a.string(0, "type code")
        if code.hasPrefix("O") {
            throw CheckpointError("numpy object dtype refused: object arrays hold pickled objects (np.load(allow_pickle=False) refuses them too)", offset: offset)
        }
        guard DType(numpyCode: code) != nil else {
            throw CheckpointError("numpy dtype '\(code)' is not supported (only plain numeric dtypes)", offset: offset)
        }
        return .custom(NumpyDTypeValue(code: code, offset: offset))
    }

    /// BUILD on a dtype: `(version, byteorder, subarray, names, fields, elsize, alignment, flags[, metadata])`.
    static func buildDType(_ dtype: NumpyDTypeValue, state: UnpickledValue, offset: Int) throws {
        guard case .tuple(let tuple) = state, tuple.items.count >= 2, case .string(let order) = tuple.items[1],
              order.count == 1, let character = order.first, "<>|=".contains(character) else {
            throw CheckpointError("numpy dtype state is not (version, byteorder, ...)", offset: offset)
        }
        for index in 2..<min(5, tuple.items.count) {
            guard case .none = tuple.items[index] else {
                throw CheckpointError("structured or sub-array numpy dtypes are not supported", offset: offset)
            }
        }
        dtype.byteOrder = character == "=" ? "<" : character
    }

    /// `_reconstruct(ndarray, (0,), b'b')`: an empty array waiting for BUILD.
    static func reconstruct(_ args: UnpickledTuple, offset: Int) throws -> UnpickledValue {
        let a = try TorchPickleArguments("numpy _reconstruct", args, offset: offset, count: 3...3)
        guard try a.global(0, "subtype").fullName == "numpy.ndarray" else {
            throw CheckpointError("numpy _reconstruct of a type other than numpy.ndarray refused", offset: offset)
        }
        return .custom(NumpyArrayValue(offset: offset))
    }

    /// BUILD on an array: `(version, shape, dtype, is_fortran, raw_bytes)`.
    static func buildArray(_ array: NumpyArrayValue, state: UnpickledValue, offset: Int) throws {
        guard array.tensor == nil else { throw CheckpointError("numpy array built twice", offset: offset) }
        guard case .tuple(let tuple) = state else { throw CheckpointError("numpy array state is a \(state.kind), not a tuple", offset: offset) }
        let a = try TorchPickleArguments("numpy array state", tuple, offset: offset, count: 5...5)
        let shape = try a.dimensions(1, "shape")
        guard case .custom(let dtype as NumpyDTypeValue) = a.items[2] else { throw a.fail(2, "a numpy dtype") }
        let fortran = try a.bool(3, "is_fortran")
        guard let raw = a.items[4].byteContents else {
            throw CheckpointError("numpy array data is a \(a.items[4].kind), not raw bytes (object arrays are refused)", offset: offset)
        }
        array.tensor = try tensor(raw, dtype: dtype, shape: shape, fortran: fortran, offset: offset)
    }

    /// `_frombuffer(buffer, dtype, shape, order)` (numpy with pickle protocol 5).
    static func fromBuffer(_ args: UnpickledTuple, offset: Int) throws -> UnpickledValue {
        let a = try TorchPickleArguments("numpy _frombuffer", args, offset: offset, count: 4...4)
        guard let raw = a.items[0].byteContents else { throw a.fail(0, "bytes (buffer)") }
        guard case .custom(let dtype as NumpyDTypeValue) = a.items[1] else { throw a.fail(1, "a numpy dtype") }
        let shape = try a.dimensions(2, "shape")
        let order = try a.string(3, "order")
        guard order == "C" || order == "F" else { throw CheckpointError("numpy _frombuffer order '\(order)' is not C or F", offset: offset) }
        let array = NumpyArrayValue(offset: offset)
        array.tensor = try tensor(raw, dtype: dtype, shape: shape, fortran: order == "F", offset: offset)
        return .custom(array)
    }

    /// `scalar(dtype, raw_bytes)` → a plain int / float / bool value.
    static func scalar(_ args: UnpickledTuple, offset: Int) throws -> UnpickledValue {
        let a = try TorchPickleArguments("numpy scalar", args, offset: offset, count: 2...2)
        guard case .custom(let numpyType as NumpyDTypeValue) = a.items[0] else { throw a.fail(0, "a numpy dtype") }
        guard var raw = a.items[1].byteContents else { throw a.fail(1, "bytes (value)") }
        guard let dtype = DType(numpyCode: numpyType.code), raw.count == dtype.byteSize else {
            throw CheckpointError("numpy scalar of type '\(numpyType.code)' has \(a.items[1].kind) of the wrong size", offset: offset)
        }
        if numpyType.isBigEndian { raw.reverse() }
        return try raw.withUnsafeBytes { bytes -> UnpickledValue in
            switch dtype {
            case .f64: return .float(bytes.loadUnaligned(as: Double.self))
            case .f32: return .float(Double(bytes.loadUnaligned(as: Float.self)))
            case .f16: return .float(Double(DTypeConversion.float(fromHalfBits: bytes.loadUnaligned(as: UInt16.self))))
            case .i64: return .int(bytes.loadUnaligned(as: Int64.self))
            case .i32: return .int(Int64(bytes.loadUnaligned(as: Int32.self)))
            case .i16: return .int(Int64(bytes.loadUnaligned(as: Int16.self)))
            case .i8: return .int(Int64(bytes.loadUnaligned(as: Int8.self)))
            case .u64:
                let value = bytes.loadUnaligned(as: UInt64.self)
                guard value <= UInt64(Int64.max) else { return .bigInt(Array(bytes) + [0]) }
                return .int(Int64(value))
            case .u32: return .int(Int64(bytes.loadUnaligned(as: UInt32.self)))
            case .u16: return .int(Int64(bytes.loadUnaligned(as: UInt16.self)))
            case .u8: return .int(Int64(bytes[0]))
            case .bool: return .bool(bytes[0] != 0)
            default:
                throw CheckpointError("numpy scalar of type '\(numpyType.code)' is not supported", offset: offset)
            }
        }
    }

    /// Wraps the raw array bytes as a tensor (byte-swapped to little-endian; Fortran order as strides).
    private static func tensor(_ raw: [UInt8], dtype numpyType: NumpyDTypeValue, shape: [Int], fortran: Bool, offset: Int) throws -> Tensor {
        guard let dtype = DType(numpyCode: numpyType.code) else {
            throw CheckpointError("numpy dtype '\(numpyType.code)' is not supported", offset: offset)
        }
        let expected = try Tensor.checkedByteCount(dtype: dtype, shape: shape)
        guard raw.count == expected else {
            throw CheckpointError("numpy array \(numpyType.code) \(shape) needs \(expected) bytes but carries \(raw.count)", offset: offset)
        }
        var data = raw
        if numpyType.isBigEndian { TorchLazyBits.swapBytes(&data, dtype: dtype) }
        let storage = OwnedStorage(data)  // [Π shape × elsize] bytes in file order
        guard fortran, shape.count > 1 else { return try Tensor(dtype: dtype, shape: shape, storage: storage) }
        var strides: [Int] = []  // column-major: stride[i] = Π shape[0..<i]
        var running = 1
        for size in shape {
            strides.append(running)
            running *= max(size, 1)
        }
        return try Tensor(dtype: dtype, shape: shape, strides: strides, storageOffset: 0, storage: storage)
    }
}
