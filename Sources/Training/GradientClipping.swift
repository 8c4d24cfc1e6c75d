/// Global-norm gradient clipping over the trainable views.
public enum GradientClipping {
    /// How the clip coefficient is formed.
    public enum Style: String, Equatable {
        /// `torch.nn.utils.clip_grad_norm_`: coef = max_norm / (norm + 1e-6), applied when < 1.
        case torch
        /// MindSpore `ops.clip_by_global_norm` (MindONE `clip_grad`): (g · c) / max(norm, c), no epsilon.
        case mindspore
    }

    /// √(Σ_tensors Σ g²): each tensor's sum of squares accumulated in double and rounded to f32 (as
    /// MindSpore casts each per-tensor square sum to f32), the total in f32.
    public static func globalNorm(_ gradients: [Float], layout: ParameterLayout) -> Float {
        var total: Float = 0
        gradients.withUnsafeBufferPointer { g in
            for view in layout.views where view.trainable {
                var sum = 0.0
                for i in view.range { sum += Double(g[i]) * Double(g[i]) }
                total += Float(sum)
            }
        }
        return total.squareRoot()
    }

    /// Scales `gradients` in place so their global norm is at most `maxNorm`; returns the norm before clipping.
    @discardableResult
    public static func clip(_ gradients: inout [Float], maxNorm: Double, style: Style, layout: ParameterLayout) -> Float {
        let norm = globalNorm(gradients, layout: layout)
        let c = Float(maxNorm)
        gradients.withUnsafeMutableBufferPointer { g in
            switch style {
            case .torch:
                let coefficient = min(c / (norm + 1e-6), 1)
                guard coefficient < 1 else { return }
                for view in layout.views where view.trainable {
                    for i in view.range { g[i] *= coefficient }
                }
            case .mindspore:
                let divisor = norm >= c ? norm : c  // `select(norm >= c, norm, c)`; then x · c / divisor
                for view in layout.views where view.trainable {
                    for i in view.range { g[i] = (g[i] * c) / divisor }
                }
            }
        }
        return norm
    }
}
