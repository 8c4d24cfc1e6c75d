/// The optimizer's per-parameter state over the flat layout: first and second moments plus the number
/// of optimizer steps taken. Both optimizers (torch `AdamW`, MindSpore `AdamWeightDecay`) keep exactly
/// this state, so one resume format serves both.
public struct OptimizerState: Equatable {
    /// First moment m (torch `exp_avg`, MindSpore `adam_m`).  // [layout.count]
    public var firstMoment: [Float]
    /// Second moment v (torch `exp_avg_sq`, MindSpore `adam_v`).  // [layout.count]
    public var secondMoment: [Float]
    /// Optimizer steps taken (torch per-parameter `step`, MindSpore `global_step`).
    public var step: Int

    /// Zero moments, step 0, for `count` parameters.
    public init(count: Int) {
        firstMoment = [Float](repeating: 0, count: count)
        secondMoment = [Float](repeating: 0, count: count)
        step = 0
    }

    public init(firstMoment: [Float], secondMoment: [Float], step: Int) {
        self.firstMoment = firstMoment
        self.secondMoment = secondMoment
        self.step = step
    }
}

/// One optimizer step over the flat buffers. `lr` is this step's learning rate (from the schedule).
public protocol Optimizer {
    /// Updates `parameters` (and `state`) from `gradients` for every trainable view of `layout`; frozen
    /// views are left untouched (their moments stay zero).
    /// `parameters` and `gradients` are `[layout.count]` (a ZeRO shard: the shard's slice of the flat
    /// buffers with a `layout` starting at 0).
    func step(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>, state: inout OptimizerState, lr: Double,
              layout: ParameterLayout)
}

extension Optimizer {
    /// `step` over arrays.
    public func step(parameters: inout [Float], gradients: [Float], state: inout OptimizerState, lr: Double, layout: ParameterLayout) {
        parameters.withUnsafeMutableBufferPointer { p in
            gradients.withUnsafeBufferPointer { g in step(parameters: p, gradients: g, state: &state, lr: lr, layout: layout) }
        }
    }
}
