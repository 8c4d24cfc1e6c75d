import Datasets
import Foundation

/// The training loop over a latent cache: batch assembly with per-sample randomness, K-micro-batch
/// accumulation, clipping, the optimizer, EMA, checkpoints and resume. One `step()` = one optimizer
/// step; everything it does is a function of (options, state, step index), so a resumed run continues
/// bit for bit.
public final class Trainer {
    public let computer: GradientComputer
    public let cache: LatentCache
    public let options: TrainingOptions
    public var layout: ParameterLayout { computer.layout }

    /// Model parameters.  // [layout.count]
    public internal(set) var parameters: [Float]
    public internal(set) var optimizerState: OptimizerState
    public internal(set) var ema: EMA?
    /// Optimizer steps done.
    public internal(set) var stepsDone = 0

    public let stepsPerEpoch: Int
    /// Steps this run stops after.
    public let totalSteps: Int
    public let schedule: LearningRateSchedule
    private let optimizer: Optimizer
    private let randomness: SampleRandomness
    private var epochOrder: (epoch: Int, order: [Int])? = nil
    /// Combined gradient of a step (and, with K > 1, the per-micro-batch scratch).  // [layout.count]
    private var gradients: [Float]
    private var microGradients: [Float]
    /// The job this process trains in (nil: alone). See `GradientReducer`.
    public let reducer: GradientReducer?
    /// Micro-batches of one optimizer step over all processes: gradient_accumulation_steps × processes.
    public let microBatchesPerStep: Int

    /// A fresh run from `initialParameters` (EMA copied from them, as official `update_ema(decay=0)` /
    /// MindONE's clone). With `reducer` the run is one process's share of a data-parallel job.
    public init(computer: GradientComputer, cache: LatentCache, initialParameters: [Float], options: TrainingOptions,
                reducer: GradientReducer? = nil) throws {
        let layout = computer.layout
        let recipe = options.recipe
        guard initialParameters.count == layout.count else {
            throw TrainingError("initial parameters hold \(initialParameters.count) values, the model needs \(layout.count)")
        }
        if let pos = layout.view(named: "pos_embed"), pos.trainable != recipe.trainPosEmbed {
            throw TrainingError("the gradient computer's pos_embed is \(pos.trainable ? "trainable" : "frozen") but recipe \(recipe.name.rawValue) wants it \(recipe.trainPosEmbed ? "trained" : "frozen")")
        }
        let config = layout.config
        guard cache.channels == config.inChannels, cache.size == config.inputSize else {
            throw TrainingError("latent cache \(cache.path) holds [\(cache.channels), \(cache.size), \(cache.size)] latents but the model takes [\(config.inChannels), \(config.inputSize), \(config.inputSize)] (image size \(config.inputSize * 8))")
        }
        if let bad = cache.labels.firstIndex(where: { !(0..<config.numClasses).contains($0) }) {
            throw TrainingError("latent cache \(cache.path): labels[\(bad)] = \(cache.labels[bad]) is outside 0..<\(config.numClasses) (num_classes)")
        }
        if abs(cache.scaleFactor - options.scaleFactor) > 1e-6 * options.scaleFactor {
            throw TrainingError("latent cache \(cache.path) was made for scale_factor \(cache.scaleFactor) but the run uses sd_scale_factor \(options.scaleFactor)")
        }
        guard options.batchSize > 0, recipe.gradientAccumulationSteps > 0 else {
            throw TrainingError("train_batch_size and gradient_accumulation_steps must be positive")
        }
        microBatchesPerStep = recipe.gradientAccumulationSteps * (reducer?.world ?? 1)
        let globalBatch = options.batchSize * microBatchesPerStep
        stepsPerEpoch = cache.count / globalBatch
        guard stepsPerEpoch > 0 else {
            throw TrainingError("latent cache \(cache.path) holds \(cache.count) samples, fewer than one step's batch (train_batch_size \(options.batchSize) × gradient_accumulation_steps \(recipe.gradientAccumulationSteps)"
                                + (reducer.map { " × \($0.world) processes" } ?? "") + " = \(globalBatch); the last partial batch is dropped)")
        }
        let epochSteps = options.epochs * stepsPerEpoch
        totalSteps = options.maxSteps > 0 ? options.maxSteps : epochSteps
        guard totalSteps > 0 else { throw TrainingError("nothing to train: epochs \(options.epochs), max_steps \(options.maxSteps)") }
        schedule = recipe.schedule(totalSteps: max(epochSteps, totalSteps))
        optimizer = recipe.makeOptimizer()
        randomness = SampleRandomness(seed: options.seed)
        self.computer = computer
        self.cache = cache
        self.options = options
        parameters = initialParameters
        self.reducer = reducer
        let sharded = reducer is ShardedUpdate  // the updater holds the moments and the EMA
        optimizerState = OptimizerState(count: sharded ? 0 : layout.count)
        ema = recipe.useEMA && !sharded ? EMA(kind: recipe.emaKind, decay: recipe.emaDecay, parameters: initialParameters) : nil
        gradients = [Float](repeating: 0, count: layout.count)
        microGradients = recipe.gradientAccumulationSteps > 1 ? [Float](repeating: 0, count: layout.count) : []
    }

    /// Epoch (0-based) of optimizer step `step` (0-based).
    public func epoch(ofStep step: Int) -> Int { step / stepsPerEpoch }

    /// The sample order of an epoch.  // [N]
    func order(epoch: Int) -> [Int] {
        if let cached = epochOrder, cached.epoch == epoch { return cached.order }
        let order = options.shuffle ? randomness.permutation(epoch: epoch, count: cache.count) : Array(0..<cache.count)
        epochOrder = (epoch, order)
        return order
    }

    /// Micro-batch `micro` of optimizer step `step` (both 0-based), randomness drawn per global sample
    /// index j = micro·B + b of the step (or read from the injected file).
    public func batch(step: Int, micro: Int) throws -> TrainingBatch {
        let b = options.batchSize, k = microBatchesPerStep
        let elements = cache.sampleElements
        let globalBatch = b * k
        let within = step % stepsPerEpoch
        let order = order(epoch: epoch(ofStep: step))
        var latents = [Float](repeating: 0, count: b * elements)  // [B, C, S, S]
        var noise = [Float](repeating: 0, count: b * elements)  // [B, C, S, S]
        var labels = [Int](repeating: 0, count: b)  // [B]
        var timesteps = [Int](repeating: 0, count: b)  // [B]
        let injected = try options.injectedNoise?.microStep(step * k + micro, batch: b, elements: elements)
        let numClasses = layout.config.numClasses
        for i in 0..<b {
            let j = micro * b + i
            let index = order[within * globalBatch + j]
            let t: Int, drop: Bool, flip: Bool, vaeNoise: ArraySlice<Float>
            if let injected {
                t = injected.t[i]
                drop = injected.drop[i]
                flip = injected.flip[i]
                vaeNoise = injected.vaeNoise[(i * elements)..<((i + 1) * elements)]
                noise.replaceSubrange((i * elements)..<((i + 1) * elements), with: injected.noise[(i * elements)..<((i + 1) * elements)])
            } else {
                t = randomness.timestep(step: step, sample: j)
                drop = randomness.dropsLabel(step: step, sample: j, probability: options.labelDropProbability)
                flip = options.useFlippedLatents && cache.hasFlipped && randomness.flips(step: step, sample: j)
                vaeNoise = ArraySlice(randomness.normals(.vaeNoise, step: step, sample: j, count: elements))
                noise.replaceSubrange((i * elements)..<((i + 1) * elements), with: randomness.normals(.noise, step: step, sample: j, count: elements))
            }
            if flip && !cache.hasFlipped {
                throw TrainingError("noise file asks for a flipped crop (flip.\(step * k + micro)[\(i)]) but latent cache \(cache.path) has no mean_flipped")
            }
            try vaeNoise.withUnsafeBufferPointer { epsilon in
                try latents.withUnsafeMutableBufferPointer { all in
                    let sample = UnsafeMutableBufferPointer(rebasing: all[(i * elements)..<((i + 1) * elements)])
                    try cache.latent(index: index, flipped: flip, noise: epsilon, scale: options.scaleFactor, into: sample)
                }
            }
            labels[i] = drop ? numClasses : cache.labels[index]
            timesteps[i] = t
        }
        return TrainingBatch(latents: latents, labels: labels, timesteps: timesteps, noise: noise)
    }

    /// One optimizer step: K micro-batches, gradients combined as (g₀ + … + g_{K−1}) / K in that order,
    /// clipped, applied, EMA updated. Throws (state untouched) on a non-finite loss or gradient.
    /// With a `reducer`: this process's K of the step's W·K micro-batches, then the reducer's sum.
    @discardableResult
    public func step() throws -> StepRecord {
        let start = Date()
        let s = stepsDone
        let k = options.recipe.gradientAccumulationSteps
        let firstMicro = (reducer?.rank ?? 0) * k
        var losses: [Float] = []  // [B·K] this process's, then [B·K·W] all
        let overlapping = reducer != nil
        for local in 0..<k {
            let micro = firstMicro + local
            let batch = try batch(step: s, micro: micro)
            let terms = try accumulate(batch: batch, local: local, of: k, overlap: overlapping && local == k - 1)
            losses += terms.loss
        }
        if let reducer { losses = reducer.gatherLosses(losses) }
        var lossSum = 0.0
        for value in losses { lossSum += Double(value) }
        let sharded = reducer as? ShardedUpdate
        let m = microBatchesPerStep
        if sharded == nil {
            if let reducer { gradients.withUnsafeMutableBufferPointer { reducer.sumGradients($0) } }
            if m > 1 {
                let divisor = Float(m)
                gradients.withUnsafeMutableBufferPointer { g in for i in 0..<g.count { g[i] /= divisor } }
            }
        }
        let loss = lossSum / Double(m * options.batchSize)
        let epoch = epoch(ofStep: s) + 1
        guard loss.isFinite else {
            throw TrainingError("loss is \(loss) at step \(s + 1) (epoch \(epoch)); stopping — the last good checkpoint is kept")
        }
        let recipe = options.recipe
        let lr = schedule.rate(at: s)
        if let sharded {
            let norm = gradients.withUnsafeMutableBufferPointer { g in
                parameters.withUnsafeMutableBufferPointer { p in sharded.update(gradients: g, microBatches: m, parameters: p, lr: lr) }
            }
            guard norm.isFinite else {
                throw TrainingError("gradient norm is \(norm) at step \(s + 1) (epoch \(epoch)); stopping — the last good checkpoint is kept")
            }
            stepsDone += 1
            return StepRecord(step: stepsDone, loss: loss, learningRate: lr, gradNorm: Double(norm),
                              seconds: Date().timeIntervalSince(start), epoch: epoch)
        }
        let norm: Float
        if recipe.clipGradients {
            norm = GradientClipping.clip(&gradients, maxNorm: recipe.maxGradNorm, style: recipe.clipStyle, layout: layout)
        } else {
            norm = GradientClipping.globalNorm(gradients, layout: layout)
        }
        guard norm.isFinite else {
            throw TrainingError("gradient norm is \(norm) at step \(s + 1) (epoch \(epoch)); stopping — the last good checkpoint is kept")
        }
        optimizer.step(parameters: &parameters, gradients: gradients, state: &optimizerState, lr: lr, layout: layout)
        ema?.update(from: parameters)
        stepsDone += 1
        return StepRecord(step: stepsDone, loss: loss, learningRate: lr, gradNorm: Double(norm),
                          seconds: Date().timeIntervalSince(start), epoch: epoch)
    }

    /// Micro-batch `local` of `k`: its gradient into `gradients` (k = 1) or `microGradients`, then
    /// `gradients` = m₀ (local 0) or `gradients` += m_local, element by element. With `overlap` (the
    /// last local micro-batch of a data-parallel step) the reducer starts summing each range
    /// of `gradients` as soon as the backward has finished it (and, for k > 1, it has been added).
    private func accumulate(batch: TrainingBatch, local: Int, of k: Int, overlap: Bool) throws -> LossTerms {
        let computer = self.computer, reducer = self.reducer
        let count = layout.count
        return try parameters.withUnsafeBufferPointer { p in
            try gradients.withUnsafeMutableBufferPointer { gradientBuffer in
                try microGradients.withUnsafeMutableBufferPointer { microBuffer in
                    let g = gradientBuffer, m = microBuffer  // [layout.count] each (m empty when k = 1)
                    let started = overlap ? reducer?.beginOverlappedSum(g) : nil
                    if k == 1 { return try computer.lossAndGradients(parameters: p, batch: batch, gradients: g, gradientsReady: started) }
                    var done = count  // [done, count) of g is complete
                    func add(from offset: Int) {
                        guard offset < done else { return }
                        if local == 0 { for i in offset..<done { g[i] = m[i] } } else { for i in offset..<done { g[i] += m[i] } }
                        done = offset
                    }
                    let ready: ((Int) -> Void)? = started.map { forward in { offset in add(from: offset); forward(offset) } }
                    let terms = try computer.lossAndGradients(parameters: p, batch: batch, gradients: m, gradientsReady: ready)
                    add(from: 0)
                    return terms
                }
            }
        }
    }

    /// True when the run has reached its last step.
    public var isFinished: Bool { stepsDone >= totalSteps }

    /// True when step `stepsDone` (just finished) ends an epoch.
    public var atEpochEnd: Bool { stepsDone % stepsPerEpoch == 0 }

    /// Runs `body` with the full optimizer state and EMA on rank 0 (this process when alone) and
    /// returns its result there; nil on the other processes. With a sharded update (ZeRO-1) the views
    /// are fetched from their owners while `body` reads them, the others serving meanwhile: a
    /// collective, so every process of the job must call it at the same step.
    public func withFullState<R>(_ body: (TrainingState) throws -> R) throws -> R? {
        if let sharded = reducer as? ShardedUpdate { return try sharded.withFullState(body) }
        guard (reducer?.rank ?? 0) == 0 else { return nil }
        return try body(TrainingState(optimizerState: optimizerState, ema: ema, layout: layout))
    }

    /// The element range of the optimizer state and EMA this process keeps (all of it unless sharded).
    public var ownedStateRange: Range<Int> { (reducer as? ShardedUpdate)?.ownedStateRange ?? 0..<layout.count }

    /// Restores a saved state (resume). The data order and randomness follow from `stepsDone`.
    /// `optimizerState` and `ema` hold the elements `ownedStateRange` (with a `ShardedUpdate` they go
    /// to the updater: each process keeps its shard).
    public func restore(parameters: [Float], optimizerState: OptimizerState, ema: EMA?, stepsDone: Int) throws {
        if let sharded = reducer as? ShardedUpdate {
            guard parameters.count == layout.count else {
                throw TrainingError("resume state holds \(parameters.count) parameters, the model needs \(layout.count)")
            }
            try sharded.restore(optimizerState: optimizerState, ema: options.recipe.useEMA ? ema : nil)
            self.parameters = parameters
            self.stepsDone = stepsDone
            return
        }
        guard parameters.count == layout.count, optimizerState.firstMoment.count == layout.count,
              optimizerState.secondMoment.count == layout.count else {
            throw TrainingError("resume state holds \(parameters.count) parameters, the model needs \(layout.count)")
        }
        if options.recipe.useEMA {
            guard let ema, ema.weights.count == layout.count else { throw TrainingError("resume state has no EMA weights but use_ema is on") }
            self.ema = ema
        } else {
            self.ema = nil
        }
        self.parameters = parameters
        self.optimizerState = optimizerState
        self.stepsDone = stepsDone
    }
}
