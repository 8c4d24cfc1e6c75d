import Checkpoint

/// An AutoencoderKL configuration (diffusers constructor arguments), detected from weights.
public struct VAEConfig: Equatable, CustomStringConvertible {
    public var blockOutChannels: [Int]
    public var layersPerBlock: Int
    public var inChannels: Int
    public var outChannels: Int
    public var latentChannels: Int

    public init(blockOutChannels: [Int] = [128, 256, 512, 512], layersPerBlock: Int = 2, inChannels: Int = 3,
                outChannels: Int = 3, latentChannels: Int = 4) {
        self.blockOutChannels = blockOutChannels
        self.layersPerBlock = layersPerBlock
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.latentChannels = latentChannels
    }

    public var description: String {
        let name = self == VAEConfig() ? "sd-vae-ft-mse architecture" : "AutoencoderKL (custom)"
        return "\(name): block_out_channels \(blockOutChannels), layers_per_block \(layersPerBlock), "
            + "\(inChannels)→\(latentChannels)→\(outChannels) channels"
    }

    /// Reads the configuration from diffusers-named tensors.
    public static func detect(_ tensors: [String: Tensor]) throws -> VAEConfig {
        func shape(_ name: String) throws -> [Int] {
            guard let t = tensors[name] else { throw NameTableError("cannot detect the VAE config: '\(name)' is missing") }
            return t.shape
        }
        var channels: [Int] = []
        while let conv = tensors["encoder.down_blocks.\(channels.count).resnets.0.conv1.weight"] { channels.append(conv.shape[0]) }
        guard !channels.isEmpty else { throw NameTableError("cannot detect the VAE config: no encoder.down_blocks.0") }
        var layers = 0
        while tensors["encoder.down_blocks.0.resnets.\(layers).conv1.weight"] != nil { layers += 1 }
        return VAEConfig(blockOutChannels: channels, layersPerBlock: layers, inChannels: try shape("encoder.conv_in.weight")[1],
                         outChannels: try shape("decoder.conv_out.weight")[0], latentChannels: try shape("post_quant_conv.weight")[0])
    }

    /// Every parameter of diffusers' `AutoencoderKL`, with its shape.
    public func expectedParameters() -> [(name: String, shape: [Int])] {
        var out: [(name: String, shape: [Int])] = []
        func conv(_ name: String, _ o: Int, _ i: Int, _ k: Int) { out += [(name + ".weight", [o, i, k, k]), (name + ".bias", [o])] }
        func norm(_ name: String, _ c: Int) { out += [(name + ".weight", [c]), (name + ".bias", [c])] }
        func resnet(_ name: String, _ i: Int, _ o: Int) {
            norm(name + ".norm1", i); conv(name + ".conv1", o, i, 3); norm(name + ".norm2", o); conv(name + ".conv2", o, o, 3)
            if i != o { conv(name + ".conv_shortcut", o, i, 1) }
        }
        func mid(_ prefix: String, _ c: Int) {
            resnet(prefix + ".mid_block.resnets.0", c, c)
            norm(prefix + ".mid_block.attentions.0.group_norm", c)
            for proj in ["to_q", "to_k", "to_v", "to_out.0"] {
                out += [(prefix + ".mid_block.attentions.0.\(proj).weight", [c, c]), (prefix + ".mid_block.attentions.0.\(proj).bias", [c])]
            }
            resnet(prefix + ".mid_block.resnets.1", c, c)
        }
        let c = blockOutChannels, last = c[c.count - 1]
        conv("encoder.conv_in", c[0], inChannels, 3)
        for (level, channels) in c.enumerated() {
            var input = level == 0 ? c[0] : c[level - 1]
            for j in 0..<layersPerBlock {
                resnet("encoder.down_blocks.\(level).resnets.\(j)", input, channels)
                input = channels
            }
            if level < c.count - 1 { conv("encoder.down_blocks.\(level).downsamplers.0.conv", channels, channels, 3) }
        }
        mid("encoder", last)
        norm("encoder.conv_norm_out", last)
        conv("encoder.conv_out", 2 * latentChannels, last, 3)
        conv("decoder.conv_in", last, latentChannels, 3)
        mid("decoder", last)
        var previous = last
        for (level, channels) in c.reversed().enumerated() {
            var input = previous
            for j in 0...layersPerBlock {
                resnet("decoder.up_blocks.\(level).resnets.\(j)", input, channels)
                input = channels
            }
            if level < c.count - 1 { conv("decoder.up_blocks.\(level).upsamplers.0.conv", channels, channels, 3) }
            previous = channels
        }
        norm("decoder.conv_norm_out", c[0])
        conv("decoder.conv_out", outChannels, c[0], 3)
        conv("quant_conv", 2 * latentChannels, 2 * latentChannels, 1)
        conv("post_quant_conv", latentChannels, latentChannels, 1)
        return out
    }
}
