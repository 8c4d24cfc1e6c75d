#if canImport(Glibc)
import Glibc
#endif

/// A random source that reproduces PyTorch's CPU generator bit for bit: `torch.manual_seed(seed)`
/// followed by `torch.randn(shape)` / `randn_like` calls in the same order yields the same floats.
///
/// Algorithms (ATen, CPU): mt19937; `uniform_real_distribution<float>` takes the low 24 bits of one
/// 32-bit draw; tensors of ≥ 16 elements use `normal_fill` with the AVX2 Box–Muller over blocks of 16
/// (the trailing partial block is redrawn and recomputed over the last 16 elements); smaller tensors use
/// the scalar double-precision `normal_distribution<double>` with its cached second sample.
public struct TorchGenerator {
    private var engine: MersenneTwister
    private var cachedNormal: Double?

    public init(seed: UInt64) {
        engine = MersenneTwister(seed: seed)
    }

    private mutating func uniformFloat() -> Float {
        let bits = engine.next() & ((1 << 24) - 1)
        return Float(bits) * 0x1p-24
    }

    private mutating func uniformDouble() -> Double {
        let hi = UInt64(engine.next()), lo = UInt64(engine.next())
        let bits = ((hi << 32) | lo) & ((1 << 53) - 1)
        return Double(bits) * 0x1p-53
    }

    private mutating func normalDouble() -> Double {
        if let cached = cachedNormal {
            cachedNormal = nil
            return cached
        }
        let u1 = uniformDouble(), u2 = uniformDouble()
        let radius = (-2.0 * log1p(-u2)).squareRoot()
        let theta = 2.0 * Double.pi * u1
        cachedNormal = radius * sin(theta)
        return radius * cos(theta)
    }

    /// `torch.randperm(n, generator=g)` on the CPU: a Fisher–Yates pass where position i swaps with
    /// i + (32-bit draw mod (n - i)). Torch switches to 64-bit draws from n ≥ 2³²/20, which is not
    /// reproduced (precondition).
    public mutating func randperm(_ n: Int) -> [Int] {
        precondition(n < Int(UInt32.max / 20), "randperm of \(n) elements: torch uses 64-bit draws there")
        var order = Array(0..<n)
        if n < 2 { return order }
        for i in 0..<(n - 1) {
            let z = Int(engine.next() % UInt32(n - i))
            order.swapAt(i, i + z)
        }
        return order
    }

    /// `torch.randint(0, n, (1,), generator=g)` on the CPU for n < 2³²: one 32-bit draw mod n
    /// (ATen's `uniform_int_from_to_distribution`; 64-bit draws above that are not reproduced).
    public mutating func randint(below n: Int) -> Int {
        precondition(n > 0 && n < (1 << 32), "randint below \(n): torch uses 64-bit draws from 2^32")
        return Int(engine.next() % UInt32(n))
    }

    /// `torch.randn(count)` (any shape with `count` elements), standard normal float32.
    public mutating func randn(count: Int) -> [Float] {
        guard count >= 16 else { return (0..<count).map { _ in Float(normalDouble()) } }
        var data = [Float](repeating: 0, count: count)  // [count] f32
        for i in 0..<count { data[i] = uniformFloat() }
        var start = 0
        while start + 16 <= count {
            TorchGenerator.boxMuller16(&data, at: start)
            start += 16
        }
        if count % 16 != 0 {
            let tail = count - 16
            for i in 0..<16 { data[tail + i] = uniformFloat() }
            TorchGenerator.boxMuller16(&data, at: tail)
        }
        return data
    }

    /// `normal_fill_16_AVX2` with mean 0 and std 1.
    private static func boxMuller16(_ data: inout [Float], at offset: Int) {
        let twoPi = Float(2.0 * Double.pi)
        for j in 0..<8 {
            let u1 = 1 - data[offset + j]
            let u2 = data[offset + j + 8]
            let radius = (-2 * AVXMathFun.log(u1)).squareRoot()
            let (s, c) = AVXMathFun.sincos(twoPi * u2)
            data[offset + j] = radius * c
            data[offset + j + 8] = radius * s
        }
    }
}
