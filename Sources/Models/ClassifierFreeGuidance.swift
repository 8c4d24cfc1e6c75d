import Kernels

/// Which output channels classifier-free guidance mixes.
public enum GuidedChannels: Equatable {
    /// Channels 0, 1, 2 only: the official `forward_with_cfg` (a GLIDE leftover kept for reproducibility,
    /// facebookresearch/DiT#41).
    case official
    /// Every latent channel (`in_channels`, i.e. all of ε), as MindONE and diffusers' `DiTPipeline` do.
    case allLatent
}

extension DiT {
    /// The official `forward_with_cfg(x, t, y, cfg_scale)`: runs `forward` on the first half of `x`
    /// duplicated, then for the guided channels replaces both halves by
    /// `uncond + scale·(cond − uncond)` (cond = first half, uncond = second half). The other channels
    /// (the rest of ε with `.official`, and the learned variance) are returned unguided.
    /// - Parameters:
    ///   - x: `[2n, C, S, S]`; only its first n rows are used.
    ///   - y: `[labels…, null…]`, the null label being `config.numClasses`.
    public func forwardWithCFG(_ x: FloatTensor, t: [Int], y: [Int], cfgScale: Float, channels: GuidedChannels = .official,
                               trace: ModuleTrace? = nil) throws -> FloatTensor {
        let batch = x.shape.first ?? 0
        guard batch % 2 == 0, batch > 0 else { throw ModelError("forwardWithCFG needs an even batch (conditional + unconditional halves), got \(batch)") }
        let half = x.slice(batch: 0..<(batch / 2))
        var out = try forward(FloatTensor.concatenate(batch: [half, half]), t: t, y: y, trace: trace)
        let guided = channels == .official ? min(3, config.inChannels) : config.inChannels
        let n = batch / 2, c = out.shape[1], plane = out.shape[2] * out.shape[3]
        out.withUnsafeMutableBufferPointer { o in
            for item in 0..<n {
                for ch in 0..<guided {
                    let cond = o.baseAddress! + (item * c + ch) * plane, uncond = o.baseAddress! + ((n + item) * c + ch) * plane
                    for k in 0..<plane {
                        let difference = cond[k] - uncond[k]
                        let guidedValue = uncond[k] + cfgScale * difference
                        cond[k] = guidedValue
                        uncond[k] = guidedValue
                    }
                }
            }
        }
        return out
    }
}
