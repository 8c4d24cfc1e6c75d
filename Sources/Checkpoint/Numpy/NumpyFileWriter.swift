/// Writes one tensor as a numpy `.npy` file, byte for byte as `np.save` (format 1.0, header padded with
/// spaces to a multiple of 64 bytes, C order, little-endian).
enum NumpyFileWriter: CheckpointWriter {
    static func write(_ tensors: [NamedTensor], metadata: [String: String], to path: String, options: WriterOptions) throws {
        guard tensors.count == 1, let tensor = tensors.first?.tensor else {
            throw CheckpointError(".npy holds exactly one array; select one tensor (got \(tensors.count))", file: path)
        }
        guard let code = tensor.dtype.numpyCode else {
            throw CheckpointError("dtype \(tensor.dtype) has no numpy equivalent", file: path, tensor: tensors[0].name)
        }
        let order = tensor.dtype.byteSize == 1 ? "|" : "<"
        let shape = tensor.shape.count == 1 ? "(\(tensor.shape[0]),)" : "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(order)\(code)', 'fortran_order': False, 'shape': \(shape), }"
        let total = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var out: [UInt8] = NumpyFileReader.magic + [1, 0]
        let length = UInt16(header.utf8.count)
        out += [UInt8(length & 0xFF), UInt8(length >> 8)] + Array(header.utf8)
        let sink = try OutputSink(path: path)
        try sink.write(out)
        do {
            try sink.write(contentsOf: tensor)
        } catch let error as CheckpointError {
            throw error.forTensor(tensors[0].name)
        }
        try sink.flush()
    }
}
