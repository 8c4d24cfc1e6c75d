import CKernels
import Foundation

/// The exponential moving average of the weights, over every view of the layout (official: all
/// `named_parameters` including the frozen `pos_embed`; MindONE: its trainable params, which include
/// `pos_embed`).
public enum EMAKind: String, Equatable {
    /// facebookresearch/DiT `update_ema`: constant decay (0.9999), the EMA copied from the model at step 0;
    /// ema ← fma(p, f32(1 − d), ema · f32(d)), which torch's `mul_(d).add_(p, alpha=1−d)` computes.
    case official
    /// MindONE `mindone/trainers/ema.py`: updates ← updates + 1; d = decay·(1 − exp(−updates/2000)) in
    /// f32; ema ← ema·d + p·(1 − d), each operation rounded.
    case mindone
}

public struct EMA: Equatable {
    public var kind: EMAKind
    public var decay: Double
    /// EMA weights.  // [layout.count]
    public var weights: [Float]
    /// Updates applied so far (MindONE's `updates` parameter; counted for the official kind too).
    public var updates: Int

    /// An EMA that starts as a copy of `parameters` (official `update_ema(decay=0)`; MindONE's clone).
    public init(kind: EMAKind, decay: Double = 0.9999, parameters: [Float]) {
        self.kind = kind
        self.decay = decay
        self.weights = parameters
        self.updates = 0
    }

    /// The decay of the next update for the MindONE kind (f32 as MindSpore computes it).
    public static func mindoneDecay(decay: Double, updates: Int) -> Float {
        let n = Float(updates)
        let e = Float(exp(Double(-n / 2000)))  // f32 exp (correctly rounded here; MindSpore's may differ by an ulp)
        return Float(decay) * (1 - e)
    }

    /// Applies one update after an optimizer step.
    public mutating func update(from parameters: [Float]) {
        parameters.withUnsafeBufferPointer { update(from: $0) }
    }

    /// Applies one update after an optimizer step from `parameters` (`[weights.count]`).
    public mutating func update(from p: UnsafeBufferPointer<Float>) {
        precondition(p.count == weights.count, "EMA.update: \(p.count) parameters for \(weights.count) weights")
        updates += 1
        let (d, w): (Float, Float)
        switch kind {
        case .official: (d, w) = (Float(decay), Float(1 - decay))
        case .mindone:
            d = EMA.mindoneDecay(decay: decay, updates: updates)
            w = 1 - d
        }
        let fused: Int32 = kind == .official ? 1 : 0
        weights.withUnsafeMutableBufferPointer { e in
            ParallelUpdate.forEachRange(e.count) { range in
                dk_ema_update(e.baseAddress! + range.lowerBound, p.baseAddress! + range.lowerBound, range.count, d, w, fused)
            }
        }
    }
}
