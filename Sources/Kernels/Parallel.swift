import Dispatch
import Foundation

/// The runtime's own thread split. OpenBLAS runs single-threaded (its worker threads spin after each
/// call and slow the elementwise passes that follow, see docs/benchmarks.md); every kernel splits its
/// work into `threadCount` contiguous parts and runs them with `DispatchQueue.concurrentPerform`.
public enum Parallel {
    /// Worker count: `DITPORT_THREADS` when set, else the number of active processors.
    public static var threadCount: Int = {
        if let text = ProcessInfo.processInfo.environment["DITPORT_THREADS"], let n = Int(text), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// `0..<total` cut into at most `threadCount` contiguous ranges of at least `grain` items
    /// (`alignment` rounds the cut points, e.g. to whole SIMD vectors).
    public static func ranges(_ total: Int, grain: Int = 1, alignment: Int = 1) -> [Range<Int>] {
        guard total > 0 else { return [] }
        let parts = max(1, min(threadCount, total / max(grain, 1)))
        var cuts: [Int] = [0]
        for p in 1..<parts {
            let cut = (total * p / parts) / alignment * alignment
            if cut > cuts.last! && cut < total { cuts.append(cut) }
        }
        cuts.append(total)
        return (0..<(cuts.count - 1)).map { cuts[$0]..<cuts[$0 + 1] }
    }

    /// Runs `body` on each range of `ranges(total, grain:, alignment:)`, in parallel when there are several.
    public static func forRanges(_ total: Int, grain: Int = 1, alignment: Int = 1, _ body: (Range<Int>) -> Void) {
        let parts = ranges(total, grain: grain, alignment: alignment)
        if parts.count <= 1 {
            parts.forEach(body)
            return
        }
        DispatchQueue.concurrentPerform(iterations: parts.count) { body(parts[$0]) }
    }

    /// Runs `body(i)` for `i` in `0..<count`, items spread over the workers in contiguous blocks.
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        forRanges(count) { range in range.forEach(body) }
    }

    /// Runs `body` on a grid of (row range, column range) pieces covering `rows × columns`, one piece per
    /// worker. Columns are split first; rows are halved (at multiples of `rowAlignment`, keeping at least
    /// `minimumRows` per piece) until every worker has at least `columnsPerWorker` columns, so a wide
    /// machine does not leave most workers idle on a narrow output (DiT-XL's proj: 24 panels).
    public static func forGrid(rows: Int, columns: Int, rowAlignment: Int, minimumRows: Int, columnsPerWorker: Int,
                               _ body: (Range<Int>, Range<Int>) -> Void) {
        guard rows > 0, columns > 0 else { return }
        var rowParts = 1
        while rowParts < threadCount, columns * rowParts < columnsPerWorker * threadCount,
              rows / (2 * rowParts) >= max(minimumRows, rowAlignment) {
            rowParts *= 2
        }
        let columnParts = max(1, min(columns, threadCount / rowParts))
        func cut(_ total: Int, _ parts: Int, _ alignment: Int, _ i: Int) -> Int {
            i == parts ? total : (total * i / parts) / alignment * alignment
        }
        let pieces = rowParts * columnParts
        func run(_ piece: Int) {
            let r = piece / columnParts, c = piece % columnParts
            let rowRange = cut(rows, rowParts, rowAlignment, r)..<cut(rows, rowParts, rowAlignment, r + 1)
            let columnRange = cut(columns, columnParts, 1, c)..<cut(columns, columnParts, 1, c + 1)
            if !rowRange.isEmpty && !columnRange.isEmpty { body(rowRange, columnRange) }
        }
        if pieces == 1 { run(0) } else { DispatchQueue.concurrentPerform(iterations: pieces) { run($0) } }
    }
}
