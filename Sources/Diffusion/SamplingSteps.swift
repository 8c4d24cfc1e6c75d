#if canImport(Glibc)
import Glibc
#endif

/// One reverse-diffusion step on flat float32 buffers, with the reference's float32 operation order
/// (`p_mean_variance`, `p_sample`, `ddim_sample` in the official `gaussian_diffusion.py`).
extension GaussianDiffusion {
    /// Layout of a batch: `batch` samples of `channels` planes of `plane` values each.
    public struct Layout: Equatable {
        public var batch: Int
        public var channels: Int
        public var plane: Int
        public init(batch: Int, channels: Int, plane: Int) {
            self.batch = batch
            self.channels = channels
            self.plane = plane
        }
        var count: Int { batch * channels * plane }
    }

    /// The model's mean, log-variance and x₀ prediction at respaced index `index`.
    /// - Parameters:
    ///   - x: `[B, C, H·W]` f32 current sample.
    ///   - output: `[B, 2C, H·W]` f32 model output (ε, then the variance interpolation values).
    public func meanVariance(x: [Float], output: [Float], index: Int, layout: Layout) -> (mean: [Float], logVariance: [Float], predictedStart: [Float]) {
        precondition(x.count == layout.count && output.count == 2 * layout.count, "buffer sizes do not match the layout")
        let minLog = Float(posteriorLogVarianceClipped[index]), maxLog = Float(logBetas[index])
        let recip = Float(sqrtRecipAlphasCumprod[index]), recipm1 = Float(sqrtRecipm1AlphasCumprod[index])
        let coef1 = Float(posteriorMeanCoef1[index]), coef2 = Float(posteriorMeanCoef2[index])
        var mean = [Float](repeating: 0, count: x.count)         // [B, C, H·W] f32
        var logVariance = [Float](repeating: 0, count: x.count)  // [B, C, H·W] f32
        var start = [Float](repeating: 0, count: x.count)        // [B, C, H·W] f32
        let sampleSize = layout.channels * layout.plane
        for b in 0..<layout.batch {
            for i in 0..<sampleSize {
                let at = b * sampleSize + i
                let eps = output[b * 2 * sampleSize + i]
                let v = output[b * 2 * sampleSize + sampleSize + i]
                let frac = (v + 1) / 2
                logVariance[at] = frac * maxLog + (1 - frac) * minLog
                let x0 = recip * x[at] - recipm1 * eps
                start[at] = x0
                mean[at] = coef1 * x0 + coef2 * x[at]
            }
        }
        return (mean, logVariance, start)
    }

    /// `p_sample`: ancestral DDPM step; `noise` is ignored (masked) at index 0, as in the reference.
    public func ddpmStep(x: [Float], output: [Float], index: Int, noise: [Float], layout: Layout) -> [Float] {
        let (mean, logVariance, _) = meanVariance(x: x, output: output, index: index, layout: layout)
        let mask: Float = index != 0 ? 1 : 0
        return mean.indices.map { mean[$0] + (mask * expf(0.5 * logVariance[$0])) * noise[$0] }
    }

    /// `ddim_sample` with `eta` (0 = deterministic DDIM).
    public func ddimStep(x: [Float], output: [Float], index: Int, noise: [Float], eta: Float = 0, layout: Layout) -> [Float] {
        let (_, _, start) = meanVariance(x: x, output: output, index: index, layout: layout)
        let recip = Float(sqrtRecipAlphasCumprod[index]), recipm1 = Float(sqrtRecipm1AlphasCumprod[index])
        let alphaBar = Float(alphasCumprod[index]), alphaBarPrev = Float(alphasCumprodPrev[index])
        let sigma = eta * ((1 - alphaBarPrev) / (1 - alphaBar)).squareRoot() * (1 - alphaBar / alphaBarPrev).squareRoot()
        let mask: Float = index != 0 ? 1 : 0
        let keep = alphaBarPrev.squareRoot(), direction = (1 - alphaBarPrev - sigma * sigma).squareRoot()
        return x.indices.map { i in
            let eps = (recip * x[i] - start[i]) / recipm1
            let meanPrediction = start[i] * keep + direction * eps
            return meanPrediction + (mask * sigma) * noise[i]
        }
    }
}
