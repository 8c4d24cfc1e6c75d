import Foundation
import Kernels

/// DiT's `TimestepEmbedder`: sinusoidal frequencies (cos first, then sin) → Linear → SiLU → Linear.
struct TimestepEmbedder {
    static let frequencySize = 256

    let linear1: Weight  // [D, 256]
    let bias1: [Float]  // [D]
    let linear2: Weight  // [D, D]
    let bias2: [Float]  // [D]

    /// `freqs[k] = exp(float(float(-ln 10000) · k) / 128)`, k = 0..<128, as the official code evaluates it
    /// in float32. `exp` is glibc's `expf` (correctly rounded here) except at k = 12 and 106, where PyTorch's
    /// CPU `exp` returns the float one ulp above (it does for about 1 % of inputs): these two are stepped
    /// up so the table is bit-identical to the official one. It matters because `cos(t·f)` amplifies a
    /// 1-ulp difference in f by t: up to 3e-5 in `t_freq` at t = 999 (measured, docs/parity.md).
    static let frequencyTable: [Float] = {
        let half = frequencySize / 2
        let logMaxPeriod = Float(-log(10000.0))  // the Python double rounded to float32, as torch does
        var freqs = (0..<half).map { k in Foundation.exp(logMaxPeriod * Float(k) / Float(half)) }  // [128] f32
        for k in [12, 106] { freqs[k] = freqs[k].nextUp }
        return freqs
    }()

    /// `timestep_embedding(t, 256)`: `args = float(t) · freqs`, `[cos(args), sin(args)]`. Returns `[N, 256]` f32.
    static func frequencies(_ timesteps: [Int]) -> [Float] {
        let half = frequencySize / 2
        let freqs = frequencyTable
        var out = [Float](repeating: 0, count: timesteps.count * frequencySize)  // [N, 256] f32
        for (n, t) in timesteps.enumerated() {
            for k in 0..<half {
                let arg = Float(t) * freqs[k]
                out[n * frequencySize + k] = Foundation.cos(arg)
                out[n * frequencySize + half + k] = Foundation.sin(arg)
            }
        }
        return out
    }

    /// `mlp(t_freq)`: `[N, 256]` → `[N, D]` f32. `savingHidden` receives the first Linear's output before
    /// SiLU (`[N, D]`, training).
    func embed(_ frequencies: [Float], batch: Int, savingHidden: UnsafeMutablePointer<Float>? = nil) -> [Float] {
        let d = linear1.shape[0]
        var hidden = [Float](repeating: 0, count: batch * d)  // [N, D] f32
        var out = [Float](repeating: 0, count: batch * d)  // [N, D] f32
        frequencies.withUnsafeBufferPointer { f in hidden.withUnsafeMutableBufferPointer { h in
            Linear.forward(f.baseAddress!, rows: batch, weight: linear1, bias: bias1, output: h.baseAddress!)
            savingHidden?.update(from: h.baseAddress!, count: batch * d)
            Elementwise.silu(h.baseAddress!, count: batch * d)
        } }
        hidden.withUnsafeBufferPointer { h in out.withUnsafeMutableBufferPointer { o in
            Linear.forward(h.baseAddress!, rows: batch, weight: linear2, bias: bias2, output: o.baseAddress!)
        } }
        return out
    }
}
