import Foundation

/// Counter-based randomness: every random number of a run is a pure function of (seed, purpose, step,
/// global sample index, element index), so results never depend on how a step's batch is split into
/// micro-batches or ranks, on the order samples are processed, or on where a run was resumed.
///
/// Construction (documented so another implementation can reproduce it): a 64-bit key
/// `k = mix(mix(mix(mix(seed ⊕ 0x5851F42D4C957F2D) ⊕ stream) ⊕ step) ⊕ sample)` with `mix` the
/// SplitMix64 finaliser; the i-th 64-bit draw is `mix(k + (i + 1)·0x9E3779B97F4A7C15)` (SplitMix64's
/// sequence started at `k`). Derived values:
/// - uniform in [0, 1): `(x >> 11) · 2⁻⁵³`;
/// - integer in [0, n): `⌊(x >> 32) · n / 2³²⌋` (bias < n/2³², negligible for n = 1000);
/// - standard normal: Box–Muller in double on two draws u₁ = ((x₁ >> 11) + 1)·2⁻⁵³ ∈ (0, 1],
///   u₂ = (x₂ >> 11)·2⁻⁵³, giving √(−2 ln u₁)·cos(2πu₂) and √(−2 ln u₁)·sin(2πu₂), rounded to f32.
public struct SampleRandomness: Equatable {
    /// What a stream of draws is used for (the stream id enters the key).
    public enum Stream: UInt64 {
        case timestep = 1, noise = 2, labelDrop = 3, vaeNoise = 4, flip = 5, epochOrder = 6, initialization = 7
    }

    public let seed: UInt64

    public init(seed: UInt64) { self.seed = seed }

    @inline(__always) static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The generator of one (stream, step, sample).
    public func generator(_ stream: Stream, step: Int, sample: Int) -> CounterGenerator {
        var key = SampleRandomness.mix(seed ^ 0x5851_F42D_4C95_7F2D)
        key = SampleRandomness.mix(key ^ stream.rawValue)
        key = SampleRandomness.mix(key ^ UInt64(bitPattern: Int64(step)))
        key = SampleRandomness.mix(key ^ UInt64(bitPattern: Int64(sample)))
        return CounterGenerator(key: key)
    }

    /// Timestep of a sample in [0, count).
    public func timestep(step: Int, sample: Int, count: Int = 1000) -> Int {
        var g = generator(.timestep, step: step, sample: sample)
        return g.integer(below: count)
    }

    /// True when the sample's label is replaced by the null class (probability `probability`).
    public func dropsLabel(step: Int, sample: Int, probability: Double = 0.1) -> Bool {
        var g = generator(.labelDrop, step: step, sample: sample)
        return g.uniform() < probability
    }

    /// True when the sample uses its horizontally flipped crop (probability ½).
    public func flips(step: Int, sample: Int) -> Bool {
        var g = generator(.flip, step: step, sample: sample)
        return g.next() >> 63 == 1
    }

    /// `count` standard normals of one sample's stream.  // [count]
    public func normals(_ stream: Stream, step: Int, sample: Int, count: Int) -> [Float] {
        var g = generator(stream, step: step, sample: sample)
        var out = [Float](repeating: 0, count: count)
        var i = 0
        while i < count {
            let (a, b) = g.normalPair()
            out[i] = a
            if i + 1 < count { out[i + 1] = b }
            i += 2
        }
        return out
    }

    /// A permutation of 0..<n for an epoch (Fisher–Yates over the epoch's stream).  // [n]
    public func permutation(epoch: Int, count n: Int) -> [Int] {
        var order = Array(0..<n)
        var g = generator(.epochOrder, step: epoch, sample: 0)
        if n > 1 {
            for i in stride(from: n - 1, to: 0, by: -1) {
                let j = g.integer(below: i + 1)
                order.swapAt(i, j)
            }
        }
        return order
    }
}

/// SplitMix64 over a key: draw i is `mix(key + (i+1)·γ)`.
public struct CounterGenerator {
    public let key: UInt64
    public private(set) var counter: UInt64 = 0

    public init(key: UInt64) { self.key = key }

    public mutating func next() -> UInt64 {
        counter &+= 1
        return SampleRandomness.mix(key &+ counter &* 0x9E37_79B9_7F4A_7C15)
    }

    /// Uniform in [0, 1) with 53 bits.
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Integer in [0, n).
    public mutating func integer(below n: Int) -> Int { Int(((next() >> 32) &* UInt64(n)) >> 32) }

    /// Two independent standard normals (Box–Muller, double, rounded to f32).
    public mutating func normalPair() -> (Float, Float) {
        let u1 = Double((next() >> 11) + 1) * 0x1p-53
        let u2 = Double(next() >> 11) * 0x1p-53
        let r = (-2 * log(u1)).squareRoot()
        let angle = 2 * Double.pi * u2
        return (Float(r * cos(angle)), Float(r * sin(angle)))
    }
}
