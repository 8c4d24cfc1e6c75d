/// Accurate mean / variance of a contiguous run of floats: 8-lane f32 partial sums over blocks of
/// 1024 elements, blocks accumulated in f64 (the groups of the VAE's GroupNorm hold up to 2^18 values).
enum Moments {
    /// Mean and biased variance (two passes: mean, then squared deviations).
    @inline(__always)
    static func meanVariance(_ x: UnsafePointer<Float>, count: Int) -> (mean: Float, variance: Float) {
        let sum = blockedSum(x, count: count) { $0 }
        let mean = Float(sum / Double(count))
        let m8 = Float8(repeating: mean)
        let squares = blockedSum(x, count: count) { ($0 - m8) * ($0 - m8) }
        return (mean, Float(squares / Double(count)))
    }

    @inline(__always)
    static func blockedSum(_ x: UnsafePointer<Float>, count: Int, _ f: (Float8) -> Float8) -> Double {
        var total = 0.0
        var start = 0
        while start < count {
            let end = min(count, start + 1024)
            var acc = Float8.zero
            var i = start
            while i + 8 <= end {
                acc += f(load8(x + i))
                i += 8
            }
            if i < end {
                var tail = Float8.zero
                for lane in 0..<(end - i) { tail[lane] = x[i + lane] }
                var v = f(tail)
                for lane in (end - i)..<8 { v[lane] = 0 }  // padding lanes contribute nothing
                acc += v
            }
            total += Double(acc.sum())
            start = end
        }
        return total
    }
}
