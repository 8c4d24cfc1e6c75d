/// What the sampler needs from a DiT: one guided evaluation per step.
public protocol GuidedDenoiser {
    /// Latent channels (4 for the SD VAE).
    var latentChannels: Int { get }
    /// Latent side length the model was built for (image size / 8).
    var latentSize: Int { get }
    /// Number of real classes; `numClasses` itself is the null (unconditional) label.
    var numClasses: Int { get }
    /// `forward_with_cfg` when `cfgScale != 1` (`x` holds the batch twice, labels end with the null
    /// class), plain `forward` otherwise. `x` `[B, C, L, L]` f32 → `[B, 2C, L, L]` f32.
    func denoise(x: [Float], timesteps: [Int], labels: [Int], cfgScale: Float, guidedChannels: Int) throws -> [Float]
}

/// What the sampler needs from a VAE: decoding scaled-back latents to images.
public protocol LatentDecoder {
    /// `latents` `[N, C, L, L]` f32 (already divided by the scale factor) → `[N, 3, 8L, 8L]` f32 in about [-1, 1].
    func decode(_ latents: [Float], count: Int, latentSize: Int) throws -> [Float]
}
