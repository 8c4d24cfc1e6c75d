/// Reads a numpy `.npy` file (format versions 1-3, as `np.save` writes it) as a one-tensor store named
/// after the file's stem. The header dict is parsed strictly (`descr`, `fortran_order`, `shape`);
/// object (`|O`) and structured dtypes are refused, as `np.load(allow_pickle=False)` refuses object
/// arrays. The data must be exactly `Π shape × itemsize` bytes; it is read in place unless it is
/// big-endian (then swapped into memory).
enum NumpyFileReader {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY

    struct Header {
        var descr: String
        var fortranOrder: Bool
        var shape: [Int]
        var dataOffset: Int
    }

    static func read(_ file: MappedFile) throws -> CheckpointContents {
        let header = try parseHeader(file.all)
        let tensor = try tensor(file, header)
        let stem = file.path.split(separator: "/").last.map { name -> String in
            let text = String(name)
            return text.hasSuffix(".npy") ? String(text.dropLast(4)) : text
        } ?? "array"
        return CheckpointContents(root: .dict([(key: .string(stem), value: .tensor(tensor))]))
    }

    static func parseHeader(_ bytes: UnsafeRawBufferPointer) throws -> Header {
        let fields = ZipFields(bytes: bytes)
        try fields.require(0, 10, "npy preamble")
        let major = bytes[6]
        let length: Int, start: Int
        switch major {
        case 1: length = Int(try fields.u16(8, "npy header length")); start = 10
        case 2, 3: length = Int(try fields.u32(8, "npy header length")); start = 12
        default: throw CheckpointError("unsupported .npy format version \(major).\(bytes[7])", offset: 6)
        }
        let text = try fields.slice(start, length, "npy header")
        guard length <= 1 << 20, let header = String(validating: text, as: UTF8.self) else {
            throw CheckpointError("npy header is not valid text", offset: start)
        }
        var cursor = NumpyHeaderCursor(text: header, offset: start)
        let dict = try cursor.dict()
        guard Set(dict.keys) == ["descr", "fortran_order", "shape"] else {
            throw CheckpointError("npy header keys are \(dict.keys.sorted()), not descr, fortran_order, shape", offset: start)
        }
        guard case .string(let descr)? = dict["descr"] else {
            throw CheckpointError("npy descr is not a simple dtype string (structured dtypes are not supported)", offset: start)
        }
        guard case .bool(let fortran)? = dict["fortran_order"] else { throw CheckpointError("npy fortran_order is not True/False", offset: start) }
        guard case .tuple(let shape)? = dict["shape"] else { throw CheckpointError("npy shape is not a tuple of integers", offset: start) }
        return Header(descr: descr, fortranOrder: fortran, shape: shape, dataOffset: start + length)
    }

    private static func tensor(_ file: MappedFile, _ header: Header) throws -> Tensor {
        let range = header.dataOffset..<file.count
        return try tensor(header, data: file.bytes(range), what: "npy") { MappedStorage(file: file, range: range) }
    }

    /// The tensor of a parsed `.npy` stream whose data bytes (after the header) are `data`; `inPlace`
    /// makes the storage that reads them where they are (used unless they must be byte-swapped).
    /// `what` names the stream in errors (`npy`, `npz member 'x.npy'`).
    static func tensor(_ header: Header, data: UnsafeRawBufferPointer, what: String, inPlace: () -> TensorStorage) throws -> Tensor {
        let descr = header.descr
        if descr.hasSuffix("O") {
            throw CheckpointError("object array (dtype '\(descr)') refused: its data is a pickle (np.load(allow_pickle=False) refuses it too)", offset: 10)
        }
        guard let dtype = DType(numpyCode: descr) else {
            throw CheckpointError("numpy dtype '\(descr)' is not supported (only plain numeric dtypes)", offset: 10)
        }
        let byteCount = try Tensor.checkedByteCount(dtype: dtype, shape: header.shape)
        guard data.count == byteCount else {
            throw CheckpointError("\(what) data holds \(data.count) bytes but \(descr) \(header.shape) needs \(byteCount)", offset: header.dataOffset)
        }
        let storage: TensorStorage
        if descr.first == ">" && dtype.byteSize > 1 {
            var swapped = Array(data)  // [Π shape × elsize] bytes, swapped to little-endian
            TorchLazyBits.swapBytes(&swapped, dtype: dtype)
            storage = OwnedStorage(swapped)
        } else {
            storage = inPlace()
        }
        guard header.fortranOrder, header.shape.count > 1 else { return try Tensor(dtype: dtype, shape: header.shape, storage: storage) }
        var strides: [Int] = []  // column-major: stride[i] = Π shape[0..<i]
        var running = 1
        for size in header.shape {
            strides.append(running)
            running *= max(size, 1)
        }
        return try Tensor(dtype: dtype, shape: header.shape, strides: strides, storageOffset: 0, storage: storage)
    }
}

/// The Python-literal dict of an npy header: string keys; values are strings, True/False or int tuples.
struct NumpyHeaderCursor {
    enum Value { case string(String), bool(Bool), tuple([Int]), other }

    let scalars: [Unicode.Scalar]
    let offset: Int
    var index = 0

    init(text: String, offset: Int) {
        scalars = Array(text.unicodeScalars)
        self.offset = offset
    }

    private func fail(_ message: String) -> CheckpointError { CheckpointError("npy header: \(message)", offset: offset) }

    private mutating func skipSpace() { while index < scalars.count, [" ", "\n", "\t"].contains(scalars[index]) { index += 1 } }

    private mutating func expect(_ c: Unicode.Scalar) throws {
        skipSpace()
        guard index < scalars.count, scalars[index] == c else { throw fail("expected '\(c)'") }
        index += 1
    }

    private mutating func peek() -> Unicode.Scalar? { skipSpace(); return index < scalars.count ? scalars[index] : nil }

    mutating func dict() throws -> [String: Value] {
        try expect("{")
        var out: [String: Value] = [:]
        while peek() != "}" {
            guard case .string(let key) = try value() else { throw fail("dict key is not a string") }
            try expect(":")
            guard out.updateValue(try value(), forKey: key) == nil else { throw fail("key '\(key)' appears twice") }
            if peek() == "," { index += 1 } else { break }
        }
        try expect("}")
        skipSpace()
        guard index == scalars.count else { throw fail("text after the dict") }
        return out
    }

    private mutating func value() throws -> Value {
        guard let c = peek() else { throw fail("truncated") }
        if c == "'" || c == "\"" {
            index += 1
            var text = ""
            while index < scalars.count, scalars[index] != c {
                guard scalars[index] != "\\" else { throw fail("escapes are not supported") }
                text.unicodeScalars.append(scalars[index])
                index += 1
            }
            try expect(c)
            return .string(text)
        }
        if c == "(" {
            index += 1
            var items: [Int] = []
            while peek() != ")" {
                var digits = ""
                while let d = peek(), d.properties.numericType != nil, ("0"..."9").contains(d) { digits.unicodeScalars.append(d); index += 1 }
                if peek() == "L" { index += 1 }
                guard let n = Int(digits), n >= 0 else { throw fail("shape entry is not a non-negative integer") }
                items.append(n)
                if peek() == "," { index += 1 } else { break }
            }
            try expect(")")
            return .tuple(items)
        }
        for (word, result) in [("True", true), ("False", false)] where scalars[index...].starts(with: word.unicodeScalars) {
            index += word.unicodeScalars.count
            return .bool(result)
        }
        if c == "[" { return .other }
        throw fail("unsupported value")
    }
}
