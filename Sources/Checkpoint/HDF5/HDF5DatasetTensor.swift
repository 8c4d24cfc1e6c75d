import CHDF5

/// Turns one HDF5 dataset into a lazily read `Tensor`.
///
/// - Contiguous, unfiltered, little-endian data with allocated storage is mapped in place (zero
///   copy, `H5Dget_offset` gives its absolute file offset, user block included), after checking the
///   whole range lies inside the file.
/// - Everything else (chunked, filtered, compact, big-endian, never written) becomes a
///   `ComputedStorage` that re-opens the dataset and `H5Dread`s it into the consumer's buffer.
/// - Refused: virtual datasets and external storage (they read other files), filters that are not
///   built into libhdf5 (lzf, blosc, … would need a plugin; plugin loading is disabled), null
///   dataspaces (h5py.Empty), unsupported element types (see `HDF5ElementType`), and declared sizes
///   that the stored bytes cannot account for (more than 1100 × the stored size + 16 MiB, beyond
///   what deflate can expand to: such a read would only allocate memory for fill values).
///
/// Caller holds the `HDF5Library` lock.
enum HDF5DatasetTensor {
    static let maxExpansion = 1100
    static let fillValueAllowance = 16 << 20
    /// Built-in filters: deflate, shuffle, fletcher32, szip (when compiled in), nbit, scaleoffset.
    static let builtInFilters: Set<Int32> = [1, 2, 3, 4, 5, 6]

    /// The dataset at absolute `path`, reported as tensor `name`.
    static func tensor(_ file: HDF5OpenFile, mapped: MappedFile, path: String, name: String) throws -> Tensor {
        let dataset = try file.openDataset(path, tensor: name)
        // The type first: H5Dget_create_plist converts the fill value to the dataset's type, which for
        // variable-length types (refused here) would read global-heap data in this process.
        let fileType = try HDF5Handle.check(H5Dget_type(dataset.id), close: H5Tclose, "cannot read the datatype", tensor: name)
        let element = try HDF5ElementType.classify(dataset: dataset.id, type: fileType.id, tensor: name,
                                                   variableLengthStrings: file.variableLengthStrings)
        let create = try HDF5Handle.check(H5Dget_create_plist(dataset.id), close: H5Pclose, "cannot read creation properties", tensor: name)
        let layout = H5Pget_layout(create.id)
        if layout == H5D_VIRTUAL {
            throw CheckpointError("virtual dataset (its data is mapped from other datasets or files); refused", tensor: name)
        }
        guard layout == H5D_CONTIGUOUS || layout == H5D_CHUNKED || layout == H5D_COMPACT else {
            throw HDF5Library.failure("unknown storage layout \(layout.rawValue)", tensor: name)
        }
        let externalFiles = try checkHDF5(H5Pget_external_count(create.id), "cannot read external storage", tensor: name)
        if externalFiles > 0 {
            throw CheckpointError("external storage (raw data kept in \(externalFiles) other file(s)); refused", tensor: name)
        }
        let filterCount = try checkFilters(create.id, tensor: name)
        let shape = try self.shape(dataset.id, tensor: name)
        let byteCount: Int
        do { byteCount = try Tensor.checkedByteCount(dtype: element.dtype, shape: shape) } catch let error as CheckpointError { throw error.forTensor(name) }
        if byteCount == 0 { return try Tensor(dtype: element.dtype, shape: shape, storage: OwnedStorage([])) }

        let stored = Int(clamping: H5Dget_storage_size(dataset.id))
        let range = layout == H5D_CONTIGUOUS && filterCount == 0
            ? try contiguousRange(dataset.id, byteCount: byteCount, stored: stored, fileSize: mapped.count, tensor: name) : nil
        if let range, !element.isBigEndian {
            return try Tensor(dtype: element.dtype, shape: shape, storage: MappedStorage(file: mapped, range: range))
        }
        if range == nil {
            let (scaled, o1) = stored.multipliedReportingOverflow(by: maxExpansion)
            let (limit, o2) = scaled.addingReportingOverflow(fillValueAllowance)
            guard o1 || o2 || byteCount <= limit else {
                throw CheckpointError("declares \(byteCount) bytes of data but stores only \(stored); refused (more than any built-in filter expands to)", tensor: name)
            }
        }
        let storage = ComputedStorage(byteCount: byteCount) { buffer in
            try HDF5Library.serialized { try read(file, path: path, name: name, into: buffer) }
        }
        return try Tensor(dtype: element.dtype, shape: shape, storage: storage)
    }

    /// Refuses filters that are not built into libhdf5; returns the filter count.
    private static func checkFilters(_ create: hid_t, tensor: String) throws -> Int32 {
        let count = try checkHDF5(H5Pget_nfilters(create), "cannot read the filter pipeline", tensor: tensor)
        for index in 0..<UInt32(count) {
            var flags: UInt32 = 0, valueCount = 0, config: UInt32 = 0
            var name = [CChar](repeating: 0, count: 256)  // [256] filter name bytes
            let id = H5Pget_filter2(create, index, &flags, &valueCount, nil, name.count, &name, &config)
            guard id >= 0 else { throw HDF5Library.failure("cannot read filter #\(index)", tensor: tensor) }
            let available = id == 4 ? H5Zfilter_avail(id) > 0 : builtInFilters.contains(id)
            guard available else {
                let label = String(cString: name)
                throw CheckpointError("compression filter \(id) (\(label.isEmpty ? "unnamed" : label)) is not built into libhdf5; refused (plugins are never loaded; rewrite the file without it, e.g. h5repack -f NONE)", tensor: tensor)
            }
        }
        return count
    }

    private static func shape(_ dataset: hid_t, tensor: String) throws -> [Int] {
        let space = try HDF5Handle.check(H5Dget_space(dataset), close: H5Sclose, "cannot read the dataspace", tensor: tensor)
        switch H5Sget_simple_extent_type(space.id) {
        case H5S_SCALAR: return []
        case H5S_NULL: throw CheckpointError("null dataspace (h5py.Empty) holds no array", tensor: tensor)
        case H5S_SIMPLE: break
        default: throw HDF5Library.failure("cannot read the dataspace", tensor: tensor)
        }
        let rank = try checkHDF5(H5Sget_simple_extent_ndims(space.id), "cannot read the rank", tensor: tensor)
        guard rank <= 32 else { throw CheckpointError("rank \(rank) exceeds HDF5's 32", tensor: tensor) }
        var dims = [hsize_t](repeating: 0, count: Int(rank))  // [rank] extents
        try checkHDF5(H5Sget_simple_extent_dims(space.id, &dims, nil), "cannot read the extents", tensor: tensor)
        return try dims.map { size in
            guard size <= UInt64(Int.max) else { throw CheckpointError("extent \(size) is too large", tensor: tensor) }
            return Int(size)
        }
    }

    /// The absolute byte range of allocated contiguous data, checked against the file; nil when no
    /// storage has been allocated (the dataset reads as its fill value).
    private static func contiguousRange(_ dataset: hid_t, byteCount: Int, stored: Int, fileSize: Int, tensor: String) throws -> Range<Int>? {
        let rawAddress = H5Dget_offset(dataset)
        guard rawAddress != shim_HADDR_UNDEF() else { return nil }
        let address = UInt64(rawAddress)
        guard stored == byteCount else {
            throw CheckpointError("contiguous storage of \(stored) bytes for \(byteCount) bytes of data", tensor: tensor)
        }
        guard address <= UInt64(fileSize), UInt64(byteCount) <= UInt64(fileSize) - address else {
            throw CheckpointError("data of \(byteCount) bytes runs past the end of the file (\(fileSize) bytes)", tensor: tensor,
                                  offset: address <= UInt64(Int.max) ? Int(address) : nil)
        }
        return Int(address)..<(Int(address) + byteCount)
    }

    /// Reads the whole dataset as little-endian elements into `buffer` (exactly its dense byte size).
    static func read(_ file: HDF5OpenFile, path: String, name: String, into buffer: UnsafeMutableRawBufferPointer) throws {
        let dataset = try file.openDataset(path, tensor: name)
        let fileType = try HDF5Handle.check(H5Dget_type(dataset.id), close: H5Tclose, "cannot read the datatype", tensor: name)
        let memoryType = try HDF5ElementType.memoryType(fileType: fileType.id, tensor: name)
        let space = try HDF5Handle.check(H5Dget_space(dataset.id), close: H5Sclose, "cannot read the dataspace", tensor: name)
        let points = try checkHDF5(H5Sget_simple_extent_npoints(space.id), "cannot count elements", tensor: name)
        let (needed, overflow) = Int(points).multipliedReportingOverflow(by: H5Tget_size(memoryType.id))
        guard !overflow, needed == buffer.count else {
            throw CheckpointError("dataset changed since it was opened (\(points) elements for \(buffer.count) bytes)", tensor: name)
        }
        try checkHDF5(H5Dread(dataset.id, memoryType.id, hdf5AllElements, hdf5AllElements, hdf5DefaultList, buffer.baseAddress),
                      "cannot read the data", tensor: name)
    }
}
