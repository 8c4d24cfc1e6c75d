/// One micro-batch of a training step on latents, randomness already drawn (by the loop, keyed by
/// (seed, step, global sample index), or injected from a file).
public struct TrainingBatch {
    /// Scaled latents x₀ = scale · (mean + σ·ε_vae).  // [B, C, S, S]
    public var latents: [Float]
    /// Class labels after label dropout (dropped → `numClasses`, the null row).  // [B]
    public var labels: [Int]
    /// Diffusion timesteps 0…999.  // [B]
    public var timesteps: [Int]
    /// ε of q_sample.  // [B, C, S, S]
    public var noise: [Float]

    public init(latents: [Float], labels: [Int], timesteps: [Int], noise: [Float]) {
        self.latents = latents
        self.labels = labels
        self.timesteps = timesteps
        self.noise = noise
    }

    public var count: Int { labels.count }
}

/// Per-sample loss terms of the official `training_losses` (loss = mse + vb).
public struct LossTerms: Equatable {
    public var loss: [Float]  // [B]
    public var mse: [Float]  // [B]
    public var vb: [Float]  // [B]

    public init(loss: [Float], mse: [Float], vb: [Float]) {
        self.loss = loss
        self.mse = mse
        self.vb = vb
    }
}

/// Computes a micro-batch's loss and the gradient of its mean over the micro-batch.
///
/// Contract (what makes accumulation and N ranks agree bit for bit): `gradients` is OVERWRITTEN (not
/// added to) with d(mean of `loss` over the B samples)/dθ for every trainable view of `layout`, zero for
/// the others. The optimizer loop combines micro-batches / ranks itself, in a fixed order.
///
/// `gradientsReady`, when given, is called during the backward with offsets o, descending: elements
/// `[o, layout.count)` of `gradients` hold their final values from then on (a data-parallel reducer
/// starts summing them while the rest is computed, as DDP's buckets do).
public protocol GradientComputer: AnyObject {
    var layout: ParameterLayout { get }
    func lossAndGradients(parameters: UnsafeBufferPointer<Float>, batch: TrainingBatch,
                          gradients: UnsafeMutableBufferPointer<Float>, gradientsReady: ((Int) -> Void)?) throws -> LossTerms
}

extension GradientComputer {
    /// Without reporting finished gradients.
    public func lossAndGradients(parameters: UnsafeBufferPointer<Float>, batch: TrainingBatch,
                                 gradients: UnsafeMutableBufferPointer<Float>) throws -> LossTerms {
        try lossAndGradients(parameters: parameters, batch: batch, gradients: gradients, gradientsReady: nil)
    }
}
