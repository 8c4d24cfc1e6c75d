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
        norm(viewSquareSums: gradients.withUnsafeBufferPointer { viewSquareSums($0, layout: layout) })
    }

    /// Each trainable view's Σ g² (double, rounded to f32), in view order — the per-tensor terms of
    /// `globalNorm`, which a process holding only some views (ZeRO-1) computes for its own.  // [trainable views]
    public static func viewSquareSums(_ g: UnsafeBufferPointer<Float>, layout: ParameterLayout) -> [Float] {
        var sums: [Float] = []
        for view in layout.views where view.trainable {
            var sum = 0.0
            for i in view.range { sum += Double(g[i]) * Double(g[i]) }
            sums.append(Float(sum))
        }
        return sums
    }

    /// The norm from the per-view terms, summed in f32 in view order.
    public static func norm(viewSquareSums sums: [Float]) -> Float {
        var total: Float = 0
        for sum in sums { total += sum }
        return total.squareRoot()
    }

    /// Scales `gradients` in place so their global norm is at most `maxNorm`; returns the norm before clipping.
    @discardableResult
    public static func clip(_ gradients: inout [Float], maxNorm: Double, style: Style, layout: ParameterLayout) -> Float {
        let norm = globalNorm(gradients, layout: layout)
        gradients.withUnsafeMutableBufferPointer { scale($0, norm: norm, maxNorm: maxNorm, style: style, layout: layout) }
        return norm
    }

    /// The clipping of `clip` for a known global `norm`, on the trainable views of `layout`.
    public static func scale(_ g: UnsafeMutableBufferPointer<Float>, norm: Float, maxNorm: Double, style: Style, layout: ParameterLayout) {
        let c = Float(maxNorm)
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
}
