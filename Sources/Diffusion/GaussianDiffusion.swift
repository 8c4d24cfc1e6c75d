#if canImport(Glibc)
import Glibc
#endif

/// The official DiT diffusion (`create_diffusion`): linear β schedule over 1000 steps, respaced, with
/// learned-range variance and ε prediction. Every table is computed in float64, as the reference does,
/// and rounded to float32 where a step uses it (`_extract_into_tensor(...).float()`).
public struct GaussianDiffusion {
    /// Original timestep of each respaced index (what the model is called with).
    public let timestepMap: [Int]
    public let betas: [Double]
    public let alphasCumprod: [Double]
    public let alphasCumprodPrev: [Double]
    public let sqrtRecipAlphasCumprod: [Double]
    public let sqrtRecipm1AlphasCumprod: [Double]
    public let posteriorVariance: [Double]
    public let posteriorLogVarianceClipped: [Double]
    public let posteriorMeanCoef1: [Double]
    public let posteriorMeanCoef2: [Double]
    public let logBetas: [Double]

    /// Number of sampling steps after respacing.
    public var stepCount: Int { timestepMap.count }

    /// `create_diffusion(timestep_respacing: spec)` with the linear schedule (`""` = all 1000 steps).
    public init(respacing spec: String, diffusionSteps: Int = 1000) throws {
        let n = diffusionSteps
        let scale = 1000.0 / Double(n)
        let start = scale * 0.0001, end = scale * 0.02
        // np.linspace(start, end, n, dtype=float64)
        let step = (end - start) / Double(n - 1)
        var base = (0..<n).map { start + Double($0) * step }
        base[n - 1] = end
        var cumulative = 1.0
        let baseCumprod = base.map { beta -> Double in cumulative *= (1 - beta); return cumulative }
        let kept = try Respacing.timesteps(total: n, spec: spec)
        var betas: [Double] = [], map: [Int] = []
        var last = 1.0
        for i in kept {
            betas.append(1 - baseCumprod[i] / last)
            last = baseCumprod[i]
            map.append(i)
        }
        timestepMap = map
        self.betas = betas
        var ac: [Double] = []
        cumulative = 1.0
        for beta in betas { cumulative *= (1 - beta); ac.append(cumulative) }
        alphasCumprod = ac
        alphasCumprodPrev = [1.0] + ac.dropLast()
        sqrtRecipAlphasCumprod = ac.map { (1 / $0).squareRoot() }
        sqrtRecipm1AlphasCumprod = ac.map { (1 / $0 - 1).squareRoot() }
        let prev = alphasCumprodPrev
        let variance = betas.indices.map { betas[$0] * (1 - prev[$0]) / (1 - ac[$0]) }
        posteriorVariance = variance
        posteriorLogVarianceClipped = variance.indices.map { log(variance.count > 1 && $0 == 0 ? variance[1] : variance[$0]) }
        posteriorMeanCoef1 = betas.indices.map { betas[$0] * prev[$0].squareRoot() / (1 - ac[$0]) }
        posteriorMeanCoef2 = betas.indices.map { (1 - prev[$0]) * (1 - betas[$0]).squareRoot() / (1 - ac[$0]) }
        logBetas = betas.map { log($0) }
    }
}
