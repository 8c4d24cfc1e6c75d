import Checkpoint
import Kernels
import Models
import NameMaps

/// The models timed: loaded from files when given, else random weights of the named configuration.
enum BenchModels {
    /// The DiT and the bytes its weights take in memory.
    static func dit(weights path: String?, model: String, imageSize: Int, options: LoadOptions,
                    precision: ComputePrecision = .f32) throws -> (DiT, Int) {
        if let path {
            let loaded = try ModelLoader.load(path, family: .dit, options: options)
            let dit = try DiT(weights: loaded.weights, config: loaded.conversion.dit!, precision: precision)
            return (dit, loaded.weights.storedBytes)
        }
        let config = try DiTVariant.config(model, imageSize: imageSize)
        let random = try RandomWeights.dit(config)
        let dit = try DiT(weights: random, config: config, precision: precision)
        return (dit, random.storedBytes)
    }

    /// The VAE (sd-vae-ft-mse's configuration when random).
    static func vae(weights path: String?, options: LoadOptions, precision: ComputePrecision = .f32) throws -> AutoencoderKL {
        if let path {
            let loaded = try ModelLoader.load(path, family: .vae, options: options)
            return try AutoencoderKL(weights: loaded.weights, config: loaded.conversion.vae!, precision: precision)
        }
        return try AutoencoderKL(weights: RandomWeights.vae(VAEConfig()), config: VAEConfig(), precision: precision)
    }
}
