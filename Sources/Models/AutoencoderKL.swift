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
    /// What the convolutions and the attention projections compute in (`.f32` when bf16 was asked for on a CPU
    /// without AVX512_BF16).
    public let precision: ComputePrecision
    let encoder: Encoder
    let decoder: Decoder
    let quantConv: ConvLayer
    let postQuantConv: ConvLayer

    /// Builds the model from diffusers-named weights; `groups` is `norm_num_groups` (32 for SD's VAE),
    /// which the weights do not record. `precision`: `.bf16` computes every convolution (Winograd and im2col
    /// GEMMs) and the mid-block attention's q, k, v and output projections with bf16 operands and f32
    /// accumulation (weights rounded and packed once here, replacing the originals in `weights`; needs
    /// `ComputePrecision.bf16Available`, else f32); GroupNorm, SiLU, the attention's softmax and weighted sum,
    /// upsampling and the residual adds stay f32 — torch.autocast's bf16 split for these layers.
    public init(weights: ModelWeights, config: VAEConfig, groups: Int = 32, precision: ComputePrecision = .f32) throws {
        let used: ComputePrecision = ComputePrecision.bf16Available ? precision : .f32
        self.config = config
        self.groups = groups
        self.precision = used
        encoder = try Encoder(weights, config: config, groups: groups, precision: used)
        decoder = try Decoder(weights, config: config, groups: groups, precision: used)
        quantConv = try ConvLayer(weights, "quant_conv", precision: used)
        postQuantConv = try ConvLayer(weights, "post_quant_conv", precision: used)
    }

    /// The most bf16 GEMM layers (`ComputePrecision.bf16`) one value passes through in sequence, encoder or
    /// decoder: the main path's convolutions (two per resnet, the resamplers, conv_in / conv_out and the 1×1
    /// quant_conv or post_quant_conv) plus the mid attention's v and output projections (q and k only steer
    /// the softmax weights). The count `Tolerance.vaeBF16` is derived from.
    public static func bf16ChainLength(_ config: VAEConfig) -> Int {
        let levels = config.blockOutChannels.count, mid = 2 + 2 + 2
        let encoder = 1 + levels * config.layersPerBlock * 2 + (levels - 1) + mid + 1 + 1
        let decoder = 1 + 1 + mid + levels * (config.layersPerBlock + 1) * 2 + (levels - 1) + 1
        return max(encoder, decoder)
    }

    /// Loads a VAE from any supported file and naming (diffusers, legacy diffusers, LDM/CompVis, MindONE).
    public convenience init(path: String, options: LoadOptions = LoadOptions(), groups: Int = 32, precision: ComputePrecision = .f32) throws {
        let loaded = try ModelLoader.load(path, family: .vae, options: options)
        try self.init(weights: loaded.weights, config: loaded.conversion.vae!, groups: groups, precision: precision)
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

/// A mid block `prefix` (`resnets.0`, `attentions.0`, `resnets.1`), encoder's or decoder's.
func midBlock(_ w: ModelWeights, _ prefix: String, groups: Int, precision: ComputePrecision) throws
    -> (ResnetBlock, SpatialAttention, ResnetBlock) {
    (try ResnetBlock(w, prefix + ".resnets.0", groups: groups, precision: precision),
     try SpatialAttention(w, prefix + ".attentions.0", groups: groups, precision: precision),
     try ResnetBlock(w, prefix + ".resnets.1", groups: groups, precision: precision))
}

/// `conv_in` → `down_blocks` (resnets, stride-2 downsampler with (0, 1, 0, 1) padding except the last)
/// → mid block (resnet, attention, resnet) → GroupNorm + SiLU → `conv_out`.
struct Encoder {
    let convIn: ConvLayer
    let down: [(resnets: [ResnetBlock], downsample: ConvLayer?)]
    let mid: (ResnetBlock, SpatialAttention, ResnetBlock)
    let normOut: GroupNormLayer
    let convOut: ConvLayer

    init(_ w: ModelWeights, config: VAEConfig, groups: Int, precision: ComputePrecision) throws {
        convIn = try ConvLayer(w, "encoder.conv_in", precision: precision)
        down = try config.blockOutChannels.indices.map { level in
            let prefix = "encoder.down_blocks.\(level)"
            let resnets = try (0..<config.layersPerBlock).map {
                try ResnetBlock(w, "\(prefix).resnets.\($0)", groups: groups, precision: precision)
            }
            let last = level == config.blockOutChannels.count - 1
            return (resnets, last ? nil
                : try ConvLayer(w, "\(prefix).downsamplers.0.conv", stride: 2, padding: (0, 0, 1, 1), precision: precision))
        }
        mid = try midBlock(w, "encoder.mid_block", groups: groups, precision: precision)
        normOut = try GroupNormLayer(w, "encoder.conv_norm_out", groups: groups)
        convOut = try ConvLayer(w, "encoder.conv_out", precision: precision)
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

    init(_ w: ModelWeights, config: VAEConfig, groups: Int, precision: ComputePrecision) throws {
        convIn = try ConvLayer(w, "decoder.conv_in", precision: precision)
        mid = try midBlock(w, "decoder.mid_block", groups: groups, precision: precision)
        up = try config.blockOutChannels.indices.map { level in
            let prefix = "decoder.up_blocks.\(level)"
            let resnets = try (0...config.layersPerBlock).map {
                try ResnetBlock(w, "\(prefix).resnets.\($0)", groups: groups, precision: precision)
            }
            let last = level == config.blockOutChannels.count - 1
            return (resnets, last ? nil : try ConvLayer(w, "\(prefix).upsamplers.0.conv", precision: precision))
        }
        normOut = try GroupNormLayer(w, "decoder.conv_norm_out", groups: groups)
        convOut = try ConvLayer(w, "decoder.conv_out", precision: precision)
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
