/// The `.npy` preamble exactly as numpy 2.4's `format.write_array` writes it (`_write_array_header` +
/// `_wrap_header`): magic `\x93NUMPY`, version, header length, then the dict
/// `{'descr': …, 'fortran_order': False, 'shape': (…), }` followed by numpy's spare space for a growing
/// first axis (`GROWTH_AXIS_MAX_DIGITS` = 21 minus the digits of `shape[0]`), spaces and `\n` so that
/// the data starts on a multiple of 64 bytes. numpy always adds 1…64 spaces (64 when the header would
/// already end on the boundary). Version 1.0 (16-bit length) unless the header needs 2.0 (32-bit).
enum NumpyHeader {
    static let alignment = 64
    static let growthAxisMaxDigits = 21

    /// The preamble for a C-order array of `dtype` and `shape`.
    static func preamble(dtype: DType, shape: [Int]) throws -> [UInt8] {
        guard let code = dtype.numpyCode else { throw CheckpointError("dtype \(dtype) has no numpy equivalent") }
        let order = dtype.byteSize == 1 ? "|" : "<"
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(order)\(code)', 'fortran_order': False, 'shape': \(shapeText), }"
        if let first = shape.first { header += String(repeating: " ", count: max(0, growthAxisMaxDigits - String(first).count)) }
        let text = Array(header.utf8)
        for (version, lengthBytes) in [(UInt8(1), 2), (UInt8(2), 4)] {
            let headerLength = text.count + 1
            let padding = alignment - ((NumpyFileReader.magic.count + 2 + lengthBytes + headerLength) % alignment)
            let total = headerLength + padding
            if lengthBytes == 2 && total > Int(UInt16.max) { continue }
            var out = NumpyFileReader.magic + [version, 0]
            for k in 0..<lengthBytes { out.append(UInt8(truncatingIfNeeded: total >> (8 * k))) }
            out += text
            out += [UInt8](repeating: 0x20, count: padding)
            out.append(0x0A)
            return out
        }
        throw CheckpointError("npy header of \(text.count) bytes is too long")
    }
}
