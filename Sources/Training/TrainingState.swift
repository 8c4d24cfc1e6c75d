/// A flat f32 vector over a `ParameterLayout` that checkpoint writers read one view at a time: a local
/// buffer, or (ZeRO-1, on rank 0) views fetched from the process that owns them when a writer asks.
public struct FlatSource {
    /// Copies view `index` of the layout into the buffer (`[view.count]`).
    private let fill: (Int, UnsafeMutableBufferPointer<Float>) -> Void

    /// Views read from `fill(viewIndex, out)`.
    public init(fill: @escaping (Int, UnsafeMutableBufferPointer<Float>) -> Void) { self.fill = fill }

    /// Views of a local buffer (`[layout.count]`).
    public init(_ buffer: [Float], layout: ParameterLayout) {
        let ranges = layout.views.map(\.range)
        fill = { index, out in
            buffer.withUnsafeBufferPointer { all in _ = out.update(fromContentsOf: all[ranges[index]]) }
        }
    }

    /// Copies view `index` of the layout into `out` (`[view.count]`).
    public func copy(view index: Int, into out: UnsafeMutableBufferPointer<Float>) { fill(index, out) }

    /// The whole vector (`[layout.count]`), view by view.
    public func materialise(_ layout: ParameterLayout) -> [Float] {
        var all = [Float](repeating: 0, count: layout.count)  // [layout.count]
        all.withUnsafeMutableBufferPointer { a in
            for (index, view) in layout.views.enumerated() { fill(index, UnsafeMutableBufferPointer(rebasing: a[view.range])) }
        }
        return all
    }
}

/// What a checkpoint saves besides the parameters: the optimizer moments and step, the EMA.
public struct TrainingState {
    /// First moment (torch `exp_avg`, MindSpore `adam_m`).  // [layout.count]
    public var firstMoment: FlatSource
    /// Second moment (torch `exp_avg_sq`, MindSpore `adam_v`).  // [layout.count]
    public var secondMoment: FlatSource
    /// Optimizer steps taken.
    public var optimizerStep: Int
    /// EMA weights (`[layout.count]`) and updates applied; nil without use_ema.
    public var ema: (weights: FlatSource, updates: Int)?

    public init(firstMoment: FlatSource, secondMoment: FlatSource, optimizerStep: Int, ema: (weights: FlatSource, updates: Int)?) {
        self.firstMoment = firstMoment
        self.secondMoment = secondMoment
        self.optimizerStep = optimizerStep
        self.ema = ema
    }

    /// The state of one process holding all of it.
    public init(optimizerState: OptimizerState, ema: EMA?, layout: ParameterLayout) {
        self.init(firstMoment: FlatSource(optimizerState.firstMoment, layout: layout),
                  secondMoment: FlatSource(optimizerState.secondMoment, layout: layout),
                  optimizerStep: optimizerState.step, ema: ema.map { (FlatSource($0.weights, layout: layout), $0.updates) })
    }
}
