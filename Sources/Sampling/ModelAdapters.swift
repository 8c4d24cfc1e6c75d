import Kernels
import Models

/// A loaded `DiT` as the sampler's denoiser.
public struct DiTDenoiser: GuidedDenoiser {
    public let dit: DiT

    public init(_ dit: DiT) { self.dit = dit }

    public var latentChannels: Int { dit.config.inChannels }
    public var latentSize: Int { dit.config.inputSize }
    public var numClasses: Int { dit.config.numClasses }

    public func denoise(x: [Float], timesteps: [Int], labels: [Int], cfgScale: Float, guidedChannels: Int) throws -> [Float] {
        let input = FloatTensor(shape: [timesteps.count, latentChannels, latentSize, latentSize], values: x)
        if cfgScale != 1 {
            return try dit.forwardWithCFG(input, t: timesteps, y: labels, cfgScale: cfgScale,
                                          channels: guidedChannels == 3 ? .official : .allLatent).values
        }
        return try dit.forward(input, t: timesteps, y: labels).values
    }
}

/// A loaded `AutoencoderKL` as the sampler's decoder.
public struct VAEDecoder: LatentDecoder {
    public let vae: AutoencoderKL

    public init(_ vae: AutoencoderKL) { self.vae = vae }

    public func decode(_ latents: [Float], count: Int, latentSize: Int) throws -> [Float] {
        try vae.decode(FloatTensor(shape: [count, vae.config.latentChannels, latentSize, latentSize], values: latents)).values
    }
}
