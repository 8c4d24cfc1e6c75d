// Placeholders replaced by the format implementations.
enum HDF5Reader { static func read(_ file: MappedFile) throws -> CheckpointContents { throw CheckpointError("hdf5 reader not implemented") } }
enum HDF5Writer: CheckpointWriter { static func write(_ tensors: [NamedTensor], metadata: [String: String], to path: String, options: WriterOptions) throws { throw CheckpointError("not implemented") } }
