import Foundation

/// The official `GaussianDiffusion.training_losses` of facebookresearch/DiT (`create_diffusion(timestep_respacing="")`:
/// 1000 linear-β steps, ε prediction, learned-range variance, `LossType.MSE`) and its analytic gradient with
/// respect to the model output (docs/training.md, engine section).
///
/// Per sample n (D = C·H·W elements, every table value gathered at tₙ in float64 and cast to float32 as
/// `_extract_into_tensor` does, everything else in float32):
/// - `x_t = √ᾱ·x₀ + √(1−ᾱ)·ε`;
/// - `mse = mean((ε − ε̂)²)`;
/// - `vb` with the mean detached: `λ = f·log β + (1−f)·L̃`, `f = (v+1)/2`; KL(q ‖ p_θ)/ln 2 for t > 0, the
///   discretised Gaussian NLL/ln 2 for t = 0 (edges chosen by x₀ < −0.999 / x₀ > 0.999);
/// - `loss = mse + vb`; the gradient is that of the mean of `loss` over the N samples.
public struct TrainingLoss {
    /// Float32 casts of the float64 tables, indexed by t (0…999).
    let sqrtAlphasCumprod: [Float]
    let sqrtOneMinusAlphasCumprod: [Float]
    let meanCoef1: [Float]
    let meanCoef2: [Float]
    let logVarianceClipped: [Float]
    let logBetas: [Float]
    let sqrtRecipAlphasCumprod: [Float]
    let sqrtRecipm1AlphasCumprod: [Float]

    /// Number of diffusion steps (valid timesteps are 0..<steps).
    public let steps: Int

    public init(diffusionSteps: Int = 1000) throws {
        let d = try GaussianDiffusion(respacing: "", diffusionSteps: diffusionSteps)
        func f32(_ table: [Double]) -> [Float] { table.map { Float($0) } }
        sqrtAlphasCumprod = f32(d.alphasCumprod.map { $0.squareRoot() })
        sqrtOneMinusAlphasCumprod = f32(d.alphasCumprod.map { (1 - $0).squareRoot() })
        meanCoef1 = f32(d.posteriorMeanCoef1)
        meanCoef2 = f32(d.posteriorMeanCoef2)
        logVarianceClipped = f32(d.posteriorLogVarianceClipped)
        logBetas = f32(d.logBetas)
        sqrtRecipAlphasCumprod = f32(d.sqrtRecipAlphasCumprod)
        sqrtRecipm1AlphasCumprod = f32(d.sqrtRecipm1AlphasCumprod)
        steps = d.betas.count
    }

    /// `q_sample`: `x_t = √ᾱ[t]·x₀ + √(1−ᾱ[t])·ε` (two float32 products, one add).
    /// - Parameters: `latents`, `noise`: `[N, C, H, W]`; `timesteps`: N values.
    /// - Returns: `[N, C, H, W]`.
    public func noised(latents: [Float], noise: [Float], timesteps: [Int]) -> [Float] {
        precondition(latents.count == noise.count && latents.count % max(timesteps.count, 1) == 0)
        let per = latents.count / max(timesteps.count, 1)
        var out = [Float](repeating: 0, count: latents.count)  // [N, C, H, W]
        for (n, t) in timesteps.enumerated() {
            let a = sqrtAlphasCumprod[t], b = sqrtOneMinusAlphasCumprod[t]
            for i in (n * per)..<((n + 1) * per) {
                let left = a * latents[i], right = b * noise[i]
                out[i] = left + right
            }
        }
        return out
    }

    /// Per-sample loss terms and, when `gradient` is given, d(mean over n of lossₙ)/d(model output).
    /// - Parameters:
    ///   - output: the model output `[N, 2C, H, W]` (ε̂ in channels 0..<C, v in C..<2C).
    ///   - latents: x₀ `[N, C, H, W]`; `noisedLatents`: x_t `[N, C, H, W]`; `noise`: ε `[N, C, H, W]`.
    ///   - gradient: receives `[N, 2C, H, W]` (overwritten).
    /// - Returns: (loss, mse, vb), each N values.
    public func evaluate(output: UnsafePointer<Float>, latents: UnsafePointer<Float>, noisedLatents: UnsafePointer<Float>,
                         noise: UnsafePointer<Float>, timesteps: [Int], channels c: Int, spatial hw: Int,
                         gradient: UnsafeMutablePointer<Float>?) -> (loss: [Float], mse: [Float], vb: [Float]) {
        let n = timesteps.count, per = c * hw
        let ln2 = Float(log(2.0))  // np.log(2.0) as a float32 divisor
        let k = Float((2.0 / Double.pi).squareRoot()), cubic: Float = 0.044715, bin = Float(1.0 / 255.0)
        let meanScale = 1 / Float(n * per)  // d(mean over n of mean over D)
        var loss = [Float](repeating: 0, count: n), mse = loss, vb = loss
        func cdf(_ x: Float) -> (value: Float, derivative: Float) {
            let th = tanh(k * (x + cubic * (x * x * x)))
            return (0.5 * (1 + th), 0.5 * k * (1 + 3 * cubic * x * x) * (1 - th * th))
        }
        for s in 0..<n {
            let t = timesteps[s]
            precondition(t >= 0 && t < steps, "timestep \(t) outside 0..<\(steps)")
            let c1 = meanCoef1[t], c2 = meanCoef2[t], lq = logVarianceClipped[t], maxLog = logBetas[t], minLog = lq
            let sra = sqrtRecipAlphasCumprod[t], srm1 = sqrtRecipm1AlphasCumprod[t]
            let dLambdaDv = (maxLog - minLog) / 2
            var squared = 0.0, kl = 0.0, nll = 0.0
            let eps = output + s * 2 * per, v = eps + per
            let g = gradient.map { $0 + s * 2 * per }
            for i in 0..<per {
                let x0 = latents[s * per + i], xt = noisedLatents[s * per + i], e = noise[s * per + i], eh = eps[i]
                let diff = e - eh
                squared += Double(diff * diff)
                // VB terms on the detached ε̂.
                let muQ = c1 * x0 + c2 * xt
                let predX0 = sra * xt - srm1 * eh
                let muP = c1 * predX0 + c2 * xt
                let frac = (v[i] + 1) / 2
                let lambda = frac * maxLog + (1 - frac) * minLog
                let dm = muQ - muP
                let expQ = exp(lq - lambda), expNeg = exp(-lambda)
                let klTerm = 0.5 * ((((-1 + lambda) - lq) + expQ) + (dm * dm) * expNeg)
                kl += Double(klTerm)
                // Discretised Gaussian log-likelihood (log scale = λ/2).
                let centered = x0 - muP
                let inv = exp(-(0.5 * lambda))
                let plusIn = inv * (centered + bin), minIn = inv * (centered - bin)
                let (cdfPlus, dPlus) = cdf(plusIn), (cdfMin, dMin) = cdf(minIn)
                let logP: Float, dLogPds: Float  // s = λ/2, ∂z/∂s = −z
                if x0 < -0.999 {
                    logP = log(max(cdfPlus, 1e-12))
                    dLogPds = cdfPlus >= 1e-12 ? -plusIn * dPlus / cdfPlus : 0
                } else if x0 > 0.999 {
                    let one = 1 - cdfMin
                    logP = log(max(one, 1e-12))
                    dLogPds = one >= 1e-12 ? minIn * dMin / one : 0
                } else {
                    let delta = cdfPlus - cdfMin
                    logP = log(max(delta, 1e-12))
                    dLogPds = delta >= 1e-12 ? (minIn * dMin - plusIn * dPlus) / delta : 0
                }
                nll += Double(-logP)
                if let g {
                    g[i] = -2 * diff * meanScale
                    let gLambda = t == 0 ? -0.5 * dLogPds : 0.5 * ((1 - expQ) - (dm * dm) * expNeg)
                    g[per + i] = gLambda * dLambdaDv * meanScale / ln2
                }
            }
            mse[s] = Float(squared / Double(per))
            vb[s] = t == 0 ? Float(nll / Double(per)) / ln2 : Float(kl / Double(per)) / ln2
            loss[s] = mse[s] + vb[s]
        }
        return (loss, mse, vb)
    }
}
