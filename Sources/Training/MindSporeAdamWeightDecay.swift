import CKernels
import Foundation

/// MindSpore `nn.AdamWeightDecay` (2.10; fused `P.AdamWeightDecay` and the `_update_run_op` composite are
/// bit-identical), in float32 with every operation rounded separately (training.md §3.2):
///
/// 1. m ← β1·m + (1 − β1)·g   with 1 − β1 computed in f32 (0.100000024);
/// 2. v ← β2·v + (1 − β2)·g²  (1 − β2 in f32 = 0.0009999871);
/// 3. u = m / (ε + √v)        — no bias correction, ε on the raw √v;
/// 4. u ← λ·p + u             where the parameter is decayed (p before the update);
/// 5. p ← p − lr·u.
///
/// Computed by `dk_adamw_mindspore` (AVX-512 or portable C, the same bits; contraction off).
///
/// Which parameters are decayed is MindONE's `group_strategy` (`norm_and_bias`: names containing
/// `gamma`, `beta` or `bias` are not), decided once per view by `decayed(_:)`.
public struct MindSporeAdamWeightDecay: Optimizer {
    public var beta1: Double
    public var beta2: Double
    public var eps: Double
    public var weightDecay: Double
    /// MindONE's decay filter: true when the named parameter gets weight decay.
    public var decayed: (String) -> Bool

    public init(beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-6, weightDecay: Double = 0.01,
                decayed: @escaping (String) -> Bool = MindSporeAdamWeightDecay.normAndBiasDecayed) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
        self.decayed = decayed
    }

    /// MindONE `create_optimizer(group_strategy="norm_and_bias")`: no decay for names whose lower-cased
    /// form contains `gamma`, `beta` or `bias`. (Matched on the MindONE name; for DiT it equals the
    /// official one apart from the embedding table, which contains none of the three words either way.)
    public static func normAndBiasDecayed(_ name: String) -> Bool {
        let lower = name.lowercased()
        return !["gamma", "beta", "bias"].contains { lower.contains($0) }
    }

    public func step(parameters p: UnsafeMutableBufferPointer<Float>, gradients g: UnsafeBufferPointer<Float>, state: inout OptimizerState, lr: Double,
                     layout: ParameterLayout) {
        state.step += 1
        let b1 = Float(beta1), b2 = Float(beta2)
        let w1: Float = 1 - b1, w2: Float = 1 - b2  // f32 subtractions, as MindSpore computes them
        let decaysAny = weightDecay > 0
        state.firstMoment.withUnsafeMutableBufferPointer { m in
            state.secondMoment.withUnsafeMutableBufferPointer { v in
                ParallelUpdate.forEachPiece(layout) { elements, view in
                    var constants = dk_adamw_mindspore_constants(b1: b1, w1: w1, b2: b2, w2: w2, eps: Float(eps), lr: Float(lr),
                                                                 weight_decay: Float(weightDecay),
                                                                 apply_decay: decaysAny && decayed(view.name) ? 1 : 0)
                    let i = elements.lowerBound
                    dk_adamw_mindspore(p.baseAddress! + i, g.baseAddress! + i, m.baseAddress! + i, v.baseAddress! + i, elements.count, &constants)
                }
            }
        }
    }
}
