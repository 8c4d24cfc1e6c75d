import Dispatch

/// Sums over the rows of each batch item (a broadcast vector's gradient: Σ over tokens), computed in
/// parallel over row ranges with one partial buffer per worker, then added in worker order (deterministic).
enum ItemReduction {
    /// Runs `body(rows, partial)` on row ranges; `partial` is `[items, width]` zeros for that range, which
    /// `body` adds into (item of row r = r / rowsPerItem). Returns the sum of the partials, `[items, width]`.
    static func run(rows: Int, rowsPerItem: Int, width: Int,
                    _ body: (Range<Int>, UnsafeMutablePointer<Float>) -> Void) -> [Float] {
        let items = (rows + rowsPerItem - 1) / rowsPerItem
        let ranges = Parallel.ranges(rows, grain: 8)
        let partials = ranges.map { _ in OwnedFloats(count: items * width) }
        for p in partials { p.pointer.update(repeating: 0, count: items * width) }
        if ranges.count <= 1 {
            for (i, r) in ranges.enumerated() { body(r, partials[i].pointer) }
        } else {
            DispatchQueue.concurrentPerform(iterations: ranges.count) { body(ranges[$0], partials[$0].pointer) }
        }
        var total = [Float](repeating: 0, count: items * width)  // [items, width]
        for p in partials { for i in 0..<(items * width) { total[i] += p.pointer[i] } }
        return total
    }
}
