import CHDF5

/// Keras legacy `.h5` weights (`legacy_h5_format.py`): a weights group — the root for
/// `save_weights("w.h5")`, `/model_weights` for `model.save("m.h5")` — whose `layer_names` attribute
/// lists the layers in model order, each layer group listing its datasets in `weight_names`.
/// Attributes Keras split past 64512 bytes (`layer_names0`, `layer_names1`, …) are concatenated.
///
/// Tensors are named `<layer>/<weight name>` (the dataset's path below the weights group, e.g.
/// `dense/dense/kernel:0`) in `layer_names` × `weight_names` order, the order Keras loads them in.
/// Only listed weights are returned: `/optimizer_weights` and unlisted datasets are left out.
/// Caller holds the `HDF5Library` lock.
enum HDF5KerasLayout {
    static let layerNames = "layer_names"
    static let weightNames = "weight_names"

    /// Absolute path of the Keras weights group, or nil when the file is not in Keras layout.
    static func weightsGroup(_ file: HDF5OpenFile) throws -> String? {
        let root = file.file.id
        if try hasLayerNames(root) { return "/" }
        let modelWeights = "model_weights"
        guard shim_link_type(root, modelWeights, file.linkAccess.id) == Int32(H5L_TYPE_HARD.rawValue) else { return nil }
        let group = try HDF5Handle.check(H5Oopen(root, modelWeights, file.linkAccess.id), close: H5Oclose, "cannot open '/model_weights'")
        guard H5Iget_type(group.id) == H5I_GROUP else { return nil }
        return try hasLayerNames(group.id) ? "/" + modelWeights : nil
    }

    private static func hasLayerNames(_ object: hid_t) throws -> Bool {
        try HDF5Attributes.exists(object, layerNames) || HDF5Attributes.exists(object, layerNames + "0")
    }

    /// `<layer>/<weight>` paths relative to the weights group at `groupPath`, in Keras order; each
    /// must be one of `datasets` (the walk of that group), else a clear error.
    static func orderedWeights(_ file: HDF5OpenFile, groupPath: String, datasets: [String]) throws -> [String] {
        let group = try HDF5Handle.check(H5Gopen2(file.file.id, groupPath, hdf5DefaultList), close: H5Gclose, "cannot open '\(groupPath)'")
        guard let layers = try HDF5Attributes.splitStrings(group.id, layerNames, file.variableLengthStrings) else {
            throw CheckpointError("Keras group '\(groupPath)' has no string attribute '\(layerNames)'")
        }
        let available = Set(datasets)
        var ordered: [String] = []
        var seen = Set<String>()
        for layer in layers {
            guard !layer.isEmpty, layer != ".", !layer.contains("/"),
                  try checkHDF5(H5Lexists(group.id, layer, file.linkAccess.id), "cannot look up layer '\(layer)'") > 0 else {
                throw CheckpointError("layer '\(layer)' listed in \(layerNames) has no group in '\(groupPath)'")
            }
            let layerGroup = try HDF5Handle.check(H5Gopen2(group.id, layer, hdf5DefaultList), close: H5Gclose,
                                                  "cannot open layer group '\(layer)'")
            guard let weights = try HDF5Attributes.splitStrings(layerGroup.id, weightNames, file.variableLengthStrings) else {
                throw CheckpointError("layer '\(layer)' has no string attribute '\(weightNames)'")
            }
            for weight in weights {
                let path = layer + "/" + weight
                guard available.contains(path) else {
                    throw CheckpointError("weight '\(weight)' listed in \(weightNames) of layer '\(layer)' is not a dataset of the file", tensor: path)
                }
                guard seen.insert(path).inserted else {
                    throw CheckpointError("weight listed twice in \(weightNames)", tensor: path)
                }
                ordered.append(path)
            }
        }
        return ordered
    }
}
