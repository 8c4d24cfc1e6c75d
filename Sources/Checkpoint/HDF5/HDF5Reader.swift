import CHDF5

/// Reads HDF5 weight files through libhdf5 (read-only; libhdf5's error printing silenced, its
/// failures turned into one-line `CheckpointError`s naming the dataset). A forked child parses the
/// file first (`HDF5Preflight`), so a file that crashes or hangs libhdf5 is refused, not fatal; that
/// child also supplies the values of variable-length string attributes, which are never read here.
///
/// Two layouts:
/// - **Flat** (h5py `f.create_dataset(key, data=...)`): every dataset at any depth is a tensor named by
///   its path below the root. h5py turns `/` in a key into groups, so `encoder/layer0/weight` is that
///   path, while a dotted key such as `blocks.0.attn.qkv.weight` is one dataset at the root. Order and
///   link rules are those of `HDF5Walk` (creation order when tracked, else name order; soft links
///   resolved without cycles; external links refused).
/// - **Keras legacy** (root or `/model_weights` carrying `layer_names`): see `HDF5KerasLayout`.
///
/// The root is a dict `name → tensor`; tensors are lazy (see `HDF5DatasetTensor`). Root attributes
/// that hold a single string (fixed- or variable-length) become `metadata`; others are ignored.
enum HDF5Reader {
    static func read(_ file: MappedFile) throws -> CheckpointContents {
        try HDF5Library.serialized {
            let strings = try HDF5Preflight.check(path: file.path)
            let h5 = try HDF5OpenFile(path: file.path, variableLengthStrings: strings)
            let metadata = try HDF5Attributes.scalarStrings(h5.file.id, objectPath: "/", strings)
            let named: [(name: String, path: String)]
            if let weightsGroup = try HDF5KerasLayout.weightsGroup(h5) {
                let datasets = try HDF5Walk.datasets(in: h5, under: weightsGroup)
                let ordered = try HDF5KerasLayout.orderedWeights(h5, groupPath: weightsGroup, datasets: datasets)
                let prefix = weightsGroup == "/" ? "/" : weightsGroup + "/"
                named = ordered.map { ($0, prefix + $0) }
            } else {
                named = try HDF5Walk.datasets(in: h5, under: "/").map { ($0, "/" + $0) }
            }
            var entries: [(key: Node, value: Node)] = []
            entries.reserveCapacity(named.count)
            for (name, path) in named {
                let tensor = try HDF5DatasetTensor.tensor(h5, mapped: file, path: path, name: name)
                entries.append((key: .string(name), value: .tensor(tensor)))
            }
            return CheckpointContents(root: .dict(entries), metadata: metadata)
        }
    }
}
