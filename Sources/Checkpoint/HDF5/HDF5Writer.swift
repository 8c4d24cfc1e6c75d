import CHDF5

/// Writes the flat layout h5py reads: one contiguous dataset per tensor, named by the tensor name
/// (`/` creating groups, see `HDF5GroupTree`), element types as in `HDF5FileTypes`, groups and the
/// root tracking link creation order (so `HDF5Reader` and h5py list tensors in the order given —
/// grouped: the members of a group come together where the group was first created, as in any
/// hierarchical listing; a list whose groups are contiguous, as state dicts are, keeps its order),
/// metadata as root variable-length UTF-8 string attributes (sorted by key). No timestamps are
/// stored, so equal input gives equal bytes. Streams: one tensor's bytes at a time
/// (`withContiguousBytes` → `H5Dwrite` → `releaseCache()`); progress is reported by `writeCheckpoint`,
/// which observes those reads. `path` is the caller's temporary file.
enum HDF5Writer: CheckpointWriter {
    static func write(_ tensors: [NamedTensor], metadata: [String: String], to path: String, options: WriterOptions) throws {
        try HDF5Library.serialized {
            let order = UInt32(H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED)
            let fileCreation = try HDF5Handle.check(H5Pcreate(shim_H5P_FILE_CREATE()), close: H5Pclose, "cannot create file properties")
            try checkHDF5(H5Pset_link_creation_order(fileCreation.id, order), "cannot track link order")
            try checkHDF5(H5Pset_attr_creation_order(fileCreation.id, order), "cannot track attribute order")
            // The root group's object header: without this it stores the creation second, so two writes of the
            // same tensors a second apart differed in 8 bytes (CrossFormatRoundTripTests failed at second boundaries).
            try checkHDF5(H5Pset_obj_track_times(fileCreation.id, false), "cannot disable the root group's timestamps")
            let groupCreation = try HDF5Handle.check(H5Pcreate(shim_H5P_GROUP_CREATE()), close: H5Pclose, "cannot create group properties")
            try checkHDF5(H5Pset_link_creation_order(groupCreation.id, order), "cannot track link order")
            try checkHDF5(H5Pset_obj_track_times(groupCreation.id, false), "cannot disable timestamps")
            let datasetCreation = try HDF5Handle.check(H5Pcreate(shim_H5P_DATASET_CREATE()), close: H5Pclose, "cannot create dataset properties")
            try checkHDF5(H5Pset_layout(datasetCreation.id, H5D_CONTIGUOUS), "cannot select contiguous layout")
            try checkHDF5(H5Pset_obj_track_times(datasetCreation.id, false), "cannot disable timestamps")

            let fileAccess = try HDF5Handle.check(H5Pcreate(shim_H5P_FILE_ACCESS()), close: H5Pclose, "cannot create file access properties")
            try checkHDF5(H5Pset_file_locking(fileAccess.id, true, true), "cannot configure file locking")
            let file = try HDF5Handle.check(H5Fcreate(path, shim_H5F_ACC_TRUNC(), fileCreation.id, fileAccess.id), close: H5Fclose,
                                            "libhdf5 cannot create the file")
            for key in metadata.keys.sorted() {
                try writeStringAttribute(on: file.id, name: key, value: metadata[key] ?? "")
            }
            var tree = HDF5GroupTree(file: file.id, groupCreation: groupCreation.id)
            for named in tensors {
                let datasetPath = try tree.datasetPath(for: named.name)
                try writeTensor(named, at: datasetPath, file: file.id, datasetCreation: datasetCreation.id)
                named.tensor.releaseCache()
            }
            try checkHDF5(H5Fflush(file.id, H5F_SCOPE_GLOBAL), "cannot flush the file")
        }
    }

    private static func writeTensor(_ named: NamedTensor, at path: String, file: hid_t, datasetCreation: hid_t) throws {
        let tensor = named.tensor
        let (type, marker) = try HDF5FileTypes.fileType(for: tensor.dtype, tensor: named.name)
        let space = try dataspace(tensor.shape, tensor: named.name)
        let dataset = try HDF5Handle.check(H5Dcreate2(file, path, type.id, space.id, hdf5DefaultList, datasetCreation, hdf5DefaultList),
                                           close: H5Dclose, "cannot create the dataset", tensor: named.name)
        if let marker {
            try writeStringAttribute(on: dataset.id, name: HDF5ElementType.dtypeAttribute, value: marker)
        }
        guard tensor.byteCount > 0 else { return }
        _ = try tensor.withContiguousBytes { bytes in  // [elementCount × dtype.byteSize] little-endian bytes
            try checkHDF5(H5Dwrite(dataset.id, type.id, hdf5AllElements, hdf5AllElements, hdf5DefaultList, bytes.baseAddress),
                          "cannot write the data", tensor: named.name)
        }
    }

    private static func dataspace(_ shape: [Int], tensor: String) throws -> HDF5Handle {
        if shape.isEmpty {
            return try HDF5Handle.check(H5Screate(H5S_SCALAR), close: H5Sclose, "cannot create a dataspace", tensor: tensor)
        }
        guard shape.count <= 32 else { throw CheckpointError("rank \(shape.count) exceeds HDF5's 32", tensor: tensor) }
        let dims = shape.map { hsize_t($0) }  // [rank] extents
        return try HDF5Handle.check(H5Screate_simple(Int32(dims.count), dims, nil), close: H5Sclose, "cannot create a dataspace", tensor: tensor)
    }

    /// A scalar variable-length UTF-8 string attribute, as h5py stores a Python `str`.
    private static func writeStringAttribute(on object: hid_t, name: String, value: String) throws {
        let type = try HDF5Handle.check(H5Tcopy(shim_H5T_C_S1()), close: H5Tclose, "cannot create a string type")
        try checkHDF5(H5Tset_size(type.id, shim_H5T_VARIABLE()), "cannot create a string type")
        try checkHDF5(H5Tset_cset(type.id, H5T_CSET_UTF8), "cannot create a string type")
        let space = try HDF5Handle.check(H5Screate(H5S_SCALAR), close: H5Sclose, "cannot create a dataspace")
        let attribute = try HDF5Handle.check(H5Acreate2(object, name, type.id, space.id, hdf5DefaultList, hdf5DefaultList), close: H5Aclose,
                                             "cannot create attribute '\(name)'")
        try value.withCString { text in
            var pointer: UnsafePointer<CChar>? = text
            try checkHDF5(H5Awrite(attribute.id, type.id, &pointer), "cannot write attribute '\(name)'")
        }
    }
}
