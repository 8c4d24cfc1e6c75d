/// Where the sampler's Gaussian noise comes from.
public protocol NoiseSource {
    /// The initial latents `z`: `count` values (`[n, C, L, L]`).
    mutating func initial(count: Int) throws -> [Float]
    /// The noise drawn at loop step `step` (0 = first step taken): `count` values (`[2n or n, C, L, L]`).
    mutating func step(_ step: Int, count: Int) throws -> [Float]
}

extension TorchGenerator: NoiseSource {
    public mutating func initial(count: Int) throws -> [Float] { randn(count: count) }
    public mutating func step(_ step: Int, count: Int) throws -> [Float] { randn(count: count) }
}

/// The sampling loop of official DiT's sample.py (DDPM, `p_sample_loop`) and MindONE's (DDIM option),
/// independent of the model: the caller supplies the denoiser.
public struct DiTSampler {
    public enum Method: Equatable {
        case ddpm
        case ddim(eta: Float)
    }

    public let diffusion: GaussianDiffusion
    public let method: Method

    public init(diffusion: GaussianDiffusion, method: Method) {
        self.diffusion = diffusion
        self.method = method
    }

    /// One model evaluation: `x` `[B, C, L, L]`, original timesteps `[B]`, labels `[B]` → `[B, 2C, L, L]`.
    public typealias Denoiser = (_ x: [Float], _ timesteps: [Int], _ labels: [Int]) throws -> [Float]

    /// Samples latents for `labels`.
    ///
    /// With guidance (`guided == true`) the batch is doubled as sample.py does: `z` is drawn for n
    /// samples, concatenated with itself, labels are followed by `nullClass`, every step draws noise for
    /// all 2n rows, and the first n rows are returned. Without guidance the batch is n.
    /// - Returns: `[n, C, L, L]` f32 final latents (and every intermediate `x` through `onStep`).
    public func sample(labels: [Int], channels: Int, latentSize: Int, guided: Bool, nullClass: Int,
                       noise: inout some NoiseSource, denoise: Denoiser,
                       onStep: (_ step: Int, _ total: Int, _ x: [Float]) -> Void = { _, _, _ in }) throws -> [Float] {
        let n = labels.count
        let perSample = channels * latentSize * latentSize
        let z = try noise.initial(count: n * perSample)
        var x = guided ? z + z : z  // [B, C, L, L] f32
        let y = guided ? labels + Array(repeating: nullClass, count: n) : labels
        let batch = y.count
        let layout = GaussianDiffusion.Layout(batch: batch, channels: channels, plane: latentSize * latentSize)
        let total = diffusion.stepCount
        for (step, index) in (0..<total).reversed().enumerated() {
            let t = Array(repeating: diffusion.timestepMap[index], count: batch)
            let output = try denoise(x, t, y)
            let drawn = try noise.step(step, count: batch * perSample)
            switch method {
            case .ddpm: x = diffusion.ddpmStep(x: x, output: output, index: index, noise: drawn, layout: layout)
            case .ddim(let eta): x = diffusion.ddimStep(x: x, output: output, index: index, noise: drawn, eta: eta, layout: layout)
            }
            onStep(step, total, x)
        }
        return Array(x[0..<(n * perSample)])
    }
}
