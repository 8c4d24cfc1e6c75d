import CHDF5

/// An HDF5 file opened read-only through libhdf5, with access property lists that refuse to traverse
/// external links (no lookup through this file can open another one). Kept alive by the lazily read
/// tensors that re-open their datasets on access.
final class HDF5OpenFile {
    let path: String
    let file: HDF5Handle
    /// Link access list used for every link lookup (external links denied, soft-link chains ≤ 16).
    let linkAccess: HDF5Handle
    /// Dataset access list with the same restrictions.
    let datasetAccess: HDF5Handle
    /// Variable-length string attribute values read by the sandboxed pre-pass (see `HDF5Attributes`).
    let variableLengthStrings: HDF5PreflightStrings

    /// Opens `path` read-only, with the pre-pass's `variableLengthStrings`. Caller holds the
    /// `HDF5Library` lock.
    init(path: String, variableLengthStrings: HDF5PreflightStrings) throws {
        self.path = path
        self.variableLengthStrings = variableLengthStrings
        let fileAccess = try HDF5Handle.check(H5Pcreate(shim_H5P_FILE_ACCESS()), close: H5Pclose, "cannot create a file access list")
        // Lock the file when the file system allows it; do not fail where it cannot (read-only use).
        try checkHDF5(H5Pset_file_locking(fileAccess.id, true, true), "cannot configure file locking")
        file = try HDF5Handle.check(H5Fopen(path, shim_H5F_ACC_RDONLY(), fileAccess.id), close: H5Fclose,
                                    "libhdf5 cannot open the file")
        linkAccess = try HDF5OpenFile.restrictedAccessList(shim_H5P_LINK_ACCESS())
        datasetAccess = try HDF5OpenFile.restrictedAccessList(shim_H5P_DATASET_ACCESS())
    }

    private static func restrictedAccessList(_ propertyClass: hid_t) throws -> HDF5Handle {
        let list = try HDF5Handle.check(H5Pcreate(propertyClass), close: H5Pclose, "cannot create an access list")
        try checkHDF5(shim_deny_external_links(list.id), "cannot deny external links")
        try checkHDF5(H5Pset_nlinks(list.id, 16), "cannot limit soft-link chains")
        return list
    }

    /// Opens the dataset at absolute `path` (e.g. `/encoder/layer0/weight`).
    func openDataset(_ datasetPath: String, tensor: String) throws -> HDF5Handle {
        try HDF5Handle.check(H5Dopen2(file.id, datasetPath, datasetAccess.id), close: H5Dclose,
                             "cannot open dataset '\(datasetPath)'", tensor: tensor)
    }
}
