/// The deterministic inputs of `mpi-selftest collectives` (DistributedTests has the same formula).
enum SelftestInput {
    /// Elements of the test vectors: odd, so shards are uneven, and more than one 1 MiB chunk.
    static let count = 600_011

    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Element `index` of rank `rank`: uniform in [−1000, 1000) with a full 24-bit mantissa, or, with
    /// `exact`, an integer in [0, 1000) (sums exact in any order).
    static func value(rank: Int, index: Int, exact: Bool) -> Float {
        let h = mix(UInt64(rank) << 40 ^ UInt64(index))
        if exact { return Float(h >> 54) }
        return Float(Double(h >> 11) * 0x1p-53 * 2000 - 1000)
    }

    static func vector(rank: Int, exact: Bool) -> [Float] {
        (0..<count).map { value(rank: rank, index: $0, exact: exact) }
    }
}
