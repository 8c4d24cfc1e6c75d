import CHDF5

/// Maps tensor names to HDF5 paths while writing, as h5py does with `f.create_dataset(name, ...)`:
/// `/` in a name creates intermediate groups. Each group is created once, tracking link creation
/// order so the tensor order survives. Refused: empty names or components, `.` components, NUL, and
/// collisions (a tensor name that is also a group of another tensor, in either order).
/// Caller holds the `HDF5Library` lock.
struct HDF5GroupTree {
    private enum Kind { case group, dataset }
    private var kinds: [String: Kind] = [:]
    private let file: hid_t
    private let groupCreation: hid_t

    init(file: hid_t, groupCreation: hid_t) {
        self.file = file
        self.groupCreation = groupCreation
    }

    /// Creates the groups `name` needs and reserves it for a dataset; returns its absolute path.
    mutating func datasetPath(for name: String) throws -> String {
        let components = name.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !name.isEmpty, !name.utf8.contains(0), components.allSatisfy({ !$0.isEmpty && $0 != "." }) else {
            throw CheckpointError("name cannot be stored in HDF5 (empty or '.' path component, or NUL)", tensor: name)
        }
        var prefix = ""
        for component in components.dropLast() {
            prefix += prefix.isEmpty ? component : "/" + component
            switch kinds[prefix] {
            case .dataset?:
                throw CheckpointError("name needs group '\(prefix)', but '\(prefix)' is already a tensor", tensor: name)
            case .group?:
                continue
            case nil:
                let group = try HDF5Handle.check(H5Gcreate2(file, "/" + prefix, hdf5DefaultList, groupCreation, hdf5DefaultList),
                                                 close: H5Gclose, "cannot create group '\(prefix)'", tensor: name)
                _ = group
                kinds[prefix] = .group
            }
        }
        switch kinds[name] {
        case .group?: throw CheckpointError("name is already a group holding other tensors ('\(name)/...')", tensor: name)
        case .dataset?: throw CheckpointError("duplicate tensor name", tensor: name)
        case nil: kinds[name] = .dataset
        }
        return "/" + name
    }
}
