/// Writes one tensor as a numpy `.npy` file, byte for byte as `np.save` (the preamble of
/// `NumpyHeader`, C order, little-endian).
enum NumpyFileWriter: CheckpointWriter {
    static func write(_ tensors: [NamedTensor], metadata: [String: String], to path: String, options: WriterOptions) throws {
        guard tensors.count == 1, let tensor = tensors.first?.tensor else {
            throw CheckpointError(".npy holds exactly one array; select one tensor (got \(tensors.count))", file: path)
        }
        let preamble: [UInt8]
        do {
            preamble = try NumpyHeader.preamble(dtype: tensor.dtype, shape: tensor.shape)
        } catch let error as CheckpointError {
            throw error.forTensor(tensors[0].name)
        }
        let sink = try OutputSink(path: path)
        try sink.write(preamble)
        do {
            try sink.write(contentsOf: tensor)
        } catch let error as CheckpointError {
            throw error.forTensor(tensors[0].name)
        }
        try sink.flush()
    }
}
