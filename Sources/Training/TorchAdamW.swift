import CKernels
import Foundation

/// `torch.optim.AdamW` (torch 2.15, CPU single-tensor path), reproduced operation by operation in
/// float32 (training.md §1.6):
///
/// 1. step += 1; in double: bc1 = 1 − β1^step, bc2 = 1 − β2^step, step_size = lr / bc1, s2 = √bc2;
/// 2. decoupled weight decay first: p ← p · f32(1 − lr·λ) (skipped when λ = 0);
/// 3. m ← fma(f32(1 − β1), g − m, m)  (torch `lerp_` with weight < 0.5);
/// 4. v ← fma(f32(1 − β2)·g, g, v · f32(β2))  (`mul_` then `addcmul_`);
/// 5. denom = √v / f32(s2) + f32(ε), each rounded to f32;
/// 6. p ← p + (f32(−step_size) · m) / denom  (`addcdiv_`).
///
/// Computed by `dk_adamw_torch` (AVX-512 or portable C, the same bits). Bit-exact against torch except where torch's MKL float32 `sqrt` is not correctly rounded (±1 ulp on
/// ~15 % of elements on x86), which the fixtures measure.
public struct TorchAdamW: Optimizer {
    public var beta1: Double
    public var beta2: Double
    public var eps: Double
    public var weightDecay: Double

    public init(beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8, weightDecay: Double = 0) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
    }

    public func step(parameters p: UnsafeMutableBufferPointer<Float>, gradients g: UnsafeBufferPointer<Float>, state: inout OptimizerState, lr: Double,
                     layout: ParameterLayout) {
        state.step += 1
        let step = Double(state.step)
        let bc1 = 1 - pow(beta1, step), bc2 = 1 - pow(beta2, step)
        let negativeStepSize = Float(-(lr / bc1))
        let s2 = Float(bc2.squareRoot())
        let w1 = Float(1 - beta1), b2 = Float(beta2), w2 = Float(1 - beta2), epsF = Float(eps)
        var constants = dk_adamw_torch_constants(decay: Float(1 - lr * weightDecay), apply_decay: weightDecay != 0 ? 1 : 0,
                                                 w1: Float(1 - beta1), b2: Float(beta2), w2: Float(1 - beta2), s2: Float(bc2.squareRoot()),
                                                 neg_step: Float(-(lr / bc1)), eps: Float(eps))
        state.firstMoment.withUnsafeMutableBufferPointer { m in
            state.secondMoment.withUnsafeMutableBufferPointer { v in
                ParallelUpdate.forEachPiece(layout) { elements, _ in
                    let i = elements.lowerBound
                    dk_adamw_torch(p.baseAddress! + i, g.baseAddress! + i, m.baseAddress! + i, v.baseAddress! + i, elements.count, &constants)
                }
            }
        }
    }
}
