/// Resource limits of the unpickler. Real checkpoints stay far below them; hostile files hit them
/// quickly and fail with a clear message instead of exhausting memory or the call stack.
struct UnpicklerLimits {
    /// Values on the stack at once (SETITEMS batches hold 2000).
    var maxStackDepth = 1 << 16
    /// Open MARKs at once.
    var maxMarkDepth = 1 << 10
    /// Distinct memo entries.
    var maxMemoEntries = 1 << 22
    /// Values created in total (every push counts).
    var maxValues = 1 << 23
    /// Container nesting depth of the final tree.
    var maxNestingDepth = 500
    /// Nodes produced when the final tree is expanded (shared references count each time).
    var maxTreeNodes = 1 << 20
    /// Length of a text argument (GLOBAL names, decimal numbers).
    var maxLineLength = 1 << 12

    static let standard = UnpicklerLimits()
}
