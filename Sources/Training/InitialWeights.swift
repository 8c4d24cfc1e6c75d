import Checkpoint
import Models
import NameMaps

/// Initial parameters for a run: from any checkpoint the project reads (official naming after the
/// name maps), or random exactly as the official `DiT.initialize_weights`.
public enum InitialWeights {
    /// Loads `path` (`.pt`, MindONE `.ckpt` with or without `network.`, diffusers, `.h5`) into the flat
    /// layout; refuses a file for another configuration, naming both.  // [layout.count]
    public static func load(_ path: String, layout: ParameterLayout) throws -> [Float] {
        var options = LoadOptions()
        options.imageSize = layout.config.inputSize * 8
        return try flatten(try ModelLoader.load(path, family: .dit, options: options), layout: layout)
    }

    /// Weights already opened with `ModelLoader` (a DiT) in the flat layout; refuses weights of another
    /// configuration, naming both.  // [layout.count]
    public static func flatten(_ loaded: LoadedWeights, layout: ParameterLayout) throws -> [Float] {
        if let found = loaded.conversion.dit {
            let want = layout.config
            if found.hiddenSize != want.hiddenSize || found.depth != want.depth || found.patchSize != want.patchSize
                || found.inChannels != want.inChannels || found.inputSize != want.inputSize || found.numClasses != want.numClasses
                || found.learnSigma != want.learnSigma {
                throw TrainingError("dit_checkpoint \(loaded.path) holds \(found) but the run trains \(want)")
            }
        }
        var flat = [Float](repeating: 0, count: layout.count)  // [layout.count]
        for view in layout.views {
            let values = try loaded.weights.floats(view.name, count: view.count)
            flat.replaceSubrange(view.range, with: values)
        }
        return flat
    }

    /// The official `initialize_weights` (facebookresearch/DiT `models.py`): Xavier-uniform weights and
    /// zero biases for every `nn.Linear` (`_basic_init`), the patch-embed weight Xavier-uniform on its
    /// [D, C·p·p] view with zero bias, N(0, 0.02) for the label table and both timestep-MLP weights,
    /// zero adaLN modulation (blocks and final layer) and a zero final linear; `pos_embed` the 2-D
    /// sin-cos table. Random numbers from `SampleRandomness(seed)`'s initialisation stream (view i
    /// uses step i), not torch's generator.  // [layout.count]
    public static func random(layout: ParameterLayout, seed: UInt64) throws -> [Float] {
        let config = layout.config
        let randomness = SampleRandomness(seed: seed)
        var flat = [Float](repeating: 0, count: layout.count)
        for (index, view) in layout.views.enumerated() {
            let name = view.name
            if name == "pos_embed" {
                let table = try TensorGenerators.ditPositionEmbedding(hiddenSize: config.hiddenSize, gridSize: config.inputSize / config.patchSize)
                flat.replaceSubrange(view.range, with: try table.doubleValues().map { Float($0) })
                continue
            }
            let zeroed = name.contains("adaLN_modulation") || name.hasPrefix("final_layer.linear") || name.hasSuffix(".bias")
            if zeroed { continue }
            if name == "y_embedder.embedding_table.weight" || name == "t_embedder.mlp.0.weight" || name == "t_embedder.mlp.2.weight" {
                let normals = randomness.normals(.initialization, step: index, sample: 0, count: view.count)
                flat.replaceSubrange(view.range, with: normals.map { $0 * 0.02 })
                continue
            }
            // Xavier uniform on [fan_out, fan_in] (the conv weight viewed as [D, C·p·p]).
            let fanOut = view.shape[0], fanIn = view.count / view.shape[0]
            let bound = (6.0 / Double(fanIn + fanOut)).squareRoot()
            var generator = randomness.generator(.initialization, step: index, sample: 0)
            for i in view.range { flat[i] = Float((2 * generator.uniform() - 1) * bound) }
        }
        return flat
    }
}
