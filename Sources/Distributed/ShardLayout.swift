/// How a flat vector of `count` elements is cut into `world` contiguous shards, one per rank (ZeRO-1:
/// each rank owns the optimizer state of its shard). By default shards differ in length by at most one
/// element (the first `count % world` hold one extra); explicit cut points (e.g. on tensor boundaries)
/// are allowed too.
public struct ShardLayout: Equatable, Sendable {
    /// `world + 1` cut points: shard r is `boundaries[r]..<boundaries[r + 1]`.
    public let boundaries: [Int]

    public var count: Int { boundaries.last! }
    public var world: Int { boundaries.count - 1 }

    /// Even shards.
    public init(count: Int, world: Int) {
        precondition(count >= 0 && world > 0, "ShardLayout: count \(count), world \(world)")
        let base = count / world, extra = count % world
        boundaries = (0...world).map { r in r * base + min(r, extra) }
    }

    /// Shards between the given cut points (non-decreasing, starting at 0; the last is the count).
    public init(boundaries: [Int]) {
        precondition(boundaries.count >= 2 && boundaries.first == 0 && zip(boundaries, boundaries.dropFirst()).allSatisfy { $0 <= $1 },
                     "ShardLayout: cut points \(boundaries)")
        self.boundaries = boundaries
    }

    /// Elements of rank `r`'s shard.
    public func range(of r: Int) -> Range<Int> {
        precondition(r >= 0 && r < world, "ShardLayout: rank \(r) outside 0..<\(world)")
        return boundaries[r]..<boundaries[r + 1]
    }

    /// Shard lengths of all ranks, in rank order.
    public var counts: [Int] { (0..<world).map { range(of: $0).count } }
}
