import Kernels
import NameMaps

/// diffusers `AutoencoderKL` (the SD VAE, e.g. stabilityai/sd-vae-ft-mse, or any smaller configuration
/// of the same block types): encoder to the Gaussian moments, decoder from latents.
///
/// ```swift
/// let vae = try AutoencoderKL(path: "sd-vae-ft-mse/")                        // any format / naming
/// let image = try vae.decode(latents.scaled(by: 1 / AutoencoderKL.scalingFactor))   // [N, 3, 8h, 8w]
/// ```
public final class AutoencoderKL {
    /// SD's latent scale (DiT's `sample.py` decodes `latents / 0.18215`).
    public static let scalingFactor: Float = 0.18215

    public let config: VAEConfig
    public let groups: Int
    let encoder: Encoder
    let decoder: Decoder
    let quantConv: ConvLayer
    let postQuantConv: ConvLayer

    /// Builds the model from diffusers-named weights; `groups` is `norm_num_groups` (32 for SD's VAE),
    /// which the weights do not record.
    public init(weights: ModelWeights, config: VAEConfig, groups: Int = 32) throws {
        self.config = config
        self.groups = groups
        encoder = try Encoder(weights, config: config, groups: groups)
        decoder = try Decoder(weights, config: config, groups: groups)
        quantConv = try ConvLayer(weights, "quant_conv")
        postQuantConv = try ConvLayer(weights, "post_quant_conv")
    }

    /// Loads a VAE from any supported file and naming (diffusers, legacy diffusers, LDM/CompVis, MindONE).
    public convenience init(path: String, options: LoadOptions = LoadOptions(), groups: Int = 32) throws {
        let loaded = try ModelLoader.load(path, family: .vae, options: options)
        try self.init(weights: loaded.weights, config: loaded.conversion.vae!, groups: groups)
    }

    /// `quant_conv(encoder(image))`: `[N, in, H, W]` → moments `[N, 2·latent, H/f, W/f]` (mean | logvar).
    public func encode(_ image: FloatTensor, trace: ModuleTrace? = nil) throws -> FloatTensor {
        guard image.shape.count == 4, image.shape[1] == config.inChannels else {
            throw ModelError("VAE encoder input has shape \(image.shape), expected [N, \(config.inChannels), H, W]")
        }
        let factor = 1 << (config.blockOutChannels.count - 1)
        guard image.shape[2] % factor == 0, image.shape[3] % factor == 0 else {
            throw ModelError("VAE image size \(image.shape[2])×\(image.shape[3]) is not a multiple of \(factor)")
        }
        let moments = quantConv(encoder(image, trace: trace))
        trace?("moments", moments)
        return moments
    }

    /// `decoder(post_quant_conv(z))`: latents `[N, latent, h, w]` → image `[N, out, h·f, w·f]` (no clamp).
    public func decode(_ latents: FloatTensor, trace: ModuleTrace? = nil) throws -> FloatTensor {
        guard latents.shape.count == 4, latents.shape[1] == config.latentChannels else {
            throw ModelError("VAE decoder input has shape \(latents.shape), expected [N, \(config.latentChannels), h, w]")
        }
        let z = postQuantConv(latents)
        trace?("post_quant_conv", z)
        let image = decoder(z, trace: trace)
        trace?("image", image)
        return image
    }

    /// `DiagonalGaussianDistribution(moments).sample()` with the given standard-normal `noise`:
    /// `mean + exp(0.5 · clamp(logvar, -30, 20)) · noise`.
    public static func sample(moments: FloatTensor, noise: FloatTensor) throws -> FloatTensor {
        let (n, c2) = (moments.shape[0], moments.shape[1]), plane = moments.shape.dropFirst(2).reduce(1, *), c = c2 / 2
        guard noise.shape == [n, c] + moments.shape.dropFirst(2) else {
            throw ModelError("noise has shape \(noise.shape), expected \([n, c] + moments.shape.dropFirst(2))")
        }
        return FloatTensor(shape: noise.shape) { out in
            for item in 0..<n {
                for ch in 0..<c {
                    for k in 0..<plane {
                        let mean = moments.values[(item * c2 + ch) * plane + k]
                        let logvar = min(max(moments.values[(item * c2 + c + ch) * plane + k], -30), 20)
                        let std = sexp(0.5 * logvar)
                        out[(item * c + ch) * plane + k] = mean + std * noise.values[(item * c + ch) * plane + k]
                    }
                }
            }
        }
    }
}

extension FloatTensor {
    /// Every value multiplied by `factor`.
    public func scaled(by factor: Float) -> FloatTensor {
        FloatTensor(shape: shape, values: values.map { $0 * factor })
    }
}

/// `conv_in` → `down_blocks` (resnets, stride-2 downsampler with (0, 1, 0, 1) padding except the last)
/// → mid block (resnet, attention, resnet) → GroupNorm + SiLU → `conv_out`.
struct Encoder {
    let convIn: ConvLayer
    let down: [(resnets: [ResnetBlock], downsample: ConvLayer?)]
    let mid: (ResnetBlock, SpatialAttention, ResnetBlock)
    let normOut: GroupNormLayer
    let convOut: ConvLayer

    init(_ w: ModelWeights, config: VAEConfig, groups: Int) throws {
        convIn = try ConvLayer(w, "encoder.conv_in")
        down = try config.blockOutChannels.indices.map { level in
            let prefix = "encoder.down_blocks.\(level)"
            let resnets = try (0..<config.layersPerBlock).map { try ResnetBlock(w, "\(prefix).resnets.\($0)", groups: groups) }
            let last = level == config.blockOutChannels.count - 1
            return (resnets, last ? nil : try ConvLayer(w, "\(prefix).downsamplers.0.conv", stride: 2, padding: (0, 0, 1, 1)))
        }
        mid = (try ResnetBlock(w, "encoder.mid_block.resnets.0", groups: groups),
               try SpatialAttention(w, "encoder.mid_block.attentions.0", groups: groups),
               try ResnetBlock(w, "encoder.mid_block.resnets.1", groups: groups))
        normOut = try GroupNormLayer(w, "encoder.conv_norm_out", groups: groups)
        convOut = try ConvLayer(w, "encoder.conv_out")
    }

    func callAsFunction(_ image: FloatTensor, trace: ModuleTrace?) -> FloatTensor {
        var x = convIn(image)
        trace?("encoder.conv_in", x)
        for (level, block) in down.enumerated() {
            for resnet in block.resnets { x = resnet(x) }
            if let downsample = block.downsample { x = downsample(x) }
            trace?("encoder.down_blocks.\(level)", x)
        }
        x = mid.2(mid.1(mid.0(x)))
        trace?("encoder.mid_block", x)
        x = convOut(normOut(x, silu: true))
        trace?("encoder.conv_out", x)
        return x
    }
}

/// `conv_in` → mid block → `up_blocks` (layers+1 resnets, nearest ×2 + 3×3 conv except the last)
/// → GroupNorm + SiLU → `conv_out`.
struct Decoder {
    let convIn: ConvLayer
    let mid: (ResnetBlock, SpatialAttention, ResnetBlock)
    let up: [(resnets: [ResnetBlock], upsample: ConvLayer?)]
    let normOut: GroupNormLayer
    let convOut: ConvLayer

    init(_ w: ModelWeights, config: VAEConfig, groups: Int) throws {
        convIn = try ConvLayer(w, "decoder.conv_in")
        mid = (try ResnetBlock(w, "decoder.mid_block.resnets.0", groups: groups),
               try SpatialAttention(w, "decoder.mid_block.attentions.0", groups: groups),
               try ResnetBlock(w, "decoder.mid_block.resnets.1", groups: groups))
        up = try config.blockOutChannels.indices.map { level in
            let prefix = "decoder.up_blocks.\(level)"
            let resnets = try (0...config.layersPerBlock).map { try ResnetBlock(w, "\(prefix).resnets.\($0)", groups: groups) }
            let last = level == config.blockOutChannels.count - 1
            return (resnets, last ? nil : try ConvLayer(w, "\(prefix).upsamplers.0.conv"))
        }
        normOut = try GroupNormLayer(w, "decoder.conv_norm_out", groups: groups)
        convOut = try ConvLayer(w, "decoder.conv_out")
    }

    func callAsFunction(_ z: FloatTensor, trace: ModuleTrace?) -> FloatTensor {
        var x = convIn(z)
        trace?("decoder.conv_in", x)
        x = mid.2(mid.1(mid.0(x)))
        trace?("decoder.mid_block", x)
        for (level, block) in up.enumerated() {
            for resnet in block.resnets { x = resnet(x) }
            if let upsample = block.upsample { x = upsample(upsampleNearest2x(x)) }
            trace?("decoder.up_blocks.\(level)", x)
        }
        return convOut(normOut(x, silu: true))
    }
}
