import Kernels

/// Runs an element-wise update (optimizer, EMA) over the flat buffers on every worker: the buffer is cut
/// into `Parallel.threadCount` contiguous pieces and each piece is handed over view by view. Every element
/// is computed on its own, so the result is bit-identical for any thread count or split.
enum ParallelUpdate {
    /// `body(elements, view)` for the parts of each view of `layout` (only trainable ones unless
    /// `includeFrozen`), covering each element exactly once.
    static func forEachPiece(_ layout: ParameterLayout, includeFrozen: Bool = false, _ body: (Range<Int>, ParameterView) -> Void) {
        let views = layout.views
        Parallel.forRanges(layout.count, grain: 1 << 16) { piece in
            for view in views where includeFrozen || view.trainable {
                let lower = max(piece.lowerBound, view.offset), upper = min(piece.upperBound, view.offset + view.count)
                if lower < upper { body(lower..<upper, view) }
            }
        }
    }

    /// `body(elements)` over `0..<count` on every worker.
    static func forEachRange(_ count: Int, _ body: (Range<Int>) -> Void) {
        Parallel.forRanges(count, grain: 1 << 16, body)
    }
}
