/// How a flat vector of `count` elements is cut into `world` contiguous shards, one per rank (ZeRO-1:
/// each rank owns the optimizer state of its shard). Shards differ in length by at most one element:
/// the first `count % world` shards hold one extra.
public struct ShardLayout: Equatable, Sendable {
    public let count: Int
    public let world: Int

    public init(count: Int, world: Int) {
        precondition(count >= 0 && world > 0, "ShardLayout: count \(count), world \(world)")
        self.count = count
        self.world = world
    }

    /// Elements of rank `r`'s shard.
    public func range(of r: Int) -> Range<Int> {
        precondition(r >= 0 && r < world, "ShardLayout: rank \(r) outside 0..<\(world)")
        let base = count / world, extra = count % world
        let start = r * base + min(r, extra)
        return start..<(start + base + (r < extra ? 1 : 0))
    }

    /// Shard lengths of all ranks, in rank order.
    public var counts: [Int] { (0..<world).map { range(of: $0).count } }
}
