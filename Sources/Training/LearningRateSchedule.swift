import Foundation

/// MindONE's learning-rate list (`mindone/trainers/lr_schedule.py::create_scheduler` with
/// `dynamic_lr.py::linear_refined_lr` and `cosine_decay_refined_lr`), indexed by optimizer step 0, 1, …:
///
/// - warm-up (W > 0, `warmup_factor` 0): lr_i = 0 + min(i, W)/W · (lr − 0) for i < W, so step 0 has lr 0;
/// - `constant`: lr for the remaining steps;
/// - `cosine_decay`: for i < decay_steps (counted after warm-up) η_min + ½(lr − η_min)(1 + cos(π·i/decay_steps)),
///   then η_min; `decay_steps` 0 means total − W (MindONE `train.py`).
///
/// The official recipe is `constant` without warm-up: lr at every step.
public struct LearningRateSchedule: Equatable {
    public enum Kind: String, Equatable, CaseIterable {
        case constant
        case cosineDecay = "cosine_decay"
    }

    public var kind: Kind
    public var learningRate: Double
    public var endLearningRate: Double
    public var warmupSteps: Int
    public var decaySteps: Int
    /// Steps the list covers (MindONE: epochs × steps per epoch); later steps keep the last value.
    public var totalSteps: Int

    public init(kind: Kind, learningRate: Double, endLearningRate: Double = 1e-7, warmupSteps: Int = 0,
                decaySteps: Int = 0, totalSteps: Int) {
        self.kind = kind
        self.learningRate = learningRate
        self.endLearningRate = endLearningRate
        self.warmupSteps = warmupSteps
        self.decaySteps = decaySteps
        self.totalSteps = totalSteps
    }

    /// The learning rate of optimizer step `step` (0-based), in double as MindONE's Python list holds it.
    public func rate(at step: Int) -> Double {
        let i = min(step, max(totalSteps - 1, 0))
        let w = warmupSteps
        if w > 0 && i < w {
            let startLR = learningRate * 0.0, endLR = learningRate * 1.0
            let multiplier = Double(min(i, w)) / Double(w)
            return startLR + multiplier * (endLR - startLR)
        }
        let j = i - max(w, 0)
        switch kind {
        case .constant:
            return learningRate
        case .cosineDecay:
            let decay = decaySteps > 0 ? decaySteps : totalSteps - max(w, 0)
            guard decay > 0, j < decay else { return endLearningRate }
            let delta = 0.5 * (learningRate - endLearningRate)
            return endLearningRate + delta * (1.0 + cos(Double.pi * Double(min(j, decay)) / Double(decay)))
        }
    }
}
