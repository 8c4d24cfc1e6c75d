import Checkpoint
import Foundation
import Training
import XCTest

/// What the loop guarantees about its own state: accumulation equals one large batch, a resumed run
/// continues bit for bit from either checkpoint format. Seeded randomness (no injected file), shuffled order.
final class TrainingResumeTests: XCTestCase {
    /// A recipe of the tests: official as is; MindONE with EMA (warm-up decay), decay and clipping on.
    static func recipe(_ name: TrainingRecipe.Name) -> TrainingRecipe {
        var recipe = TrainingRecipe(name)
        if name == .mindone {
            recipe.learningRate = 1e-4
            recipe.warmupSteps = 2
            recipe.weightDecay = 0.01
            recipe.clipGradients = true
            recipe.maxGradNorm = 0.5
            recipe.useEMA = true
        }
        return recipe
    }

    static func options(_ recipe: TrainingRecipe, batchSize: Int, maxSteps: Int, output: String = "", format: TrainingOptions.CheckpointFormat = .ckpt) -> TrainingOptions {
        var options = TrainingOptions(recipe: recipe)
        options.batchSize = batchSize
        options.epochs = 3
        options.maxSteps = maxSteps
        options.seed = 7
        options.outputPath = output
        options.checkpointFormat = format
        return options
    }

    func records(_ trainer: Trainer) throws -> [StepRecord] {
        var out: [StepRecord] = []
        while !trainer.isFinished { out.append(try trainer.step()) }
        return out
    }

    /// K = 2 micro-batches of 2 against one batch of 4 with the same per-sample randomness (keyed by the
    /// global sample index, so both see identical samples, draws and order). Only the summation order of
    /// the gradient differs: (mean₂ + mean₂)/2 vs mean₄.
    ///
    /// 1. Step-0 gradients (same parameters): per tensor within 1e-6 of ‖g‖ — f32 rounding of reordered
    ///    sums is ~1e-7 (measured 1.4e-7 on every vector path).
    /// 2. Per element, though, ~0.2% of the gradient entries are sums that cancel (the analytically zero key
    ///    bias and a few others), whose relative difference is O(1); Adam normalises every element
    ///    (m/√v), so those elements' steps differ by up to ~lr while the tensor moves ~lr·√n per step.
    ///    After 6 steps the parameters differ by 6.4e-6 (portable), 6.7e-6 (AVX-512) and 1.2e-5 (AVX2) of
    ///    the update norm. Bound 1e-4: 8× the worst path, 30× below the parity criterion (3e-3), while
    ///    a real accumulation bug (missing /K, a dropped micro-batch, shifted samples or draws) moves
    ///    parameters by O(1) of the update. (A first estimate of 1e-5 ignored the cancelling elements and
    ///    failed on the AVX2 path.) Losses within 1e-6 relative (measured ≤ 9e-8).
    func testAccumulationEqualsOneLargeBatch() throws {
        let layout = try TrainingLoopFixtures.layout(trainPosEmbed: false)
        var accumulated = Self.recipe(.official)
        accumulated.gradientAccumulationSteps = 2
        let large = try TrainingLoopFixtures.trainer(Self.options(Self.recipe(.official), batchSize: 4, maxSteps: 6), layout: layout)
        let split = try TrainingLoopFixtures.trainer(Self.options(accumulated, batchSize: 2, maxSteps: 6), layout: layout)
        let initial = large.parameters

        var whole = [Float](repeating: 0, count: layout.count)  // [layout.count]
        var first = whole, second = whole  // [layout.count] each
        try initial.withUnsafeBufferPointer { p in
            _ = try whole.withUnsafeMutableBufferPointer { try large.computer.lossAndGradients(parameters: p, batch: try large.batch(step: 0, micro: 0), gradients: $0) }
            _ = try first.withUnsafeMutableBufferPointer { try split.computer.lossAndGradients(parameters: p, batch: try split.batch(step: 0, micro: 0), gradients: $0) }
            _ = try second.withUnsafeMutableBufferPointer { try split.computer.lossAndGradients(parameters: p, batch: try split.batch(step: 0, micro: 1), gradients: $0) }
        }
        let combined = zip(first, second).map { ($0 + $1) / 2 }  // [layout.count]
        let gradientRows = TensorDistance.all(combined, whole, initial: nil, layout: layout) { $0.trainable }
        for row in gradientRows { XCTAssertLessThanOrEqual(row.ratio, 1e-6, "step-0 gradient \(row.name): ‖Δ‖ \(row.error), ‖g‖ \(row.scale)") }

        let a = try records(large), b = try records(split)
        var worstLoss = 0.0
        for (x, y) in zip(a, b) {
            worstLoss = max(worstLoss, abs(x.loss - y.loss) / x.loss)
            XCTAssertEqual(x.loss, y.loss, accuracy: 1e-6 * x.loss, "step \(x.step)")
        }
        // Parameters only: the EMA is a fixed function of the parameter trajectory (checked against torch in
        // TrainingLoopParityTests); its steps are 1e-4 of the parameters', so ulp-level rounding of ema·d
        // would dominate any ratio to its update.
        let rows = TensorDistance.all(split.parameters, large.parameters, initial: initial, layout: layout) { $0.trainable }
        for row in rows { XCTAssertLessThanOrEqual(row.ratio, 1e-4, "\(row.name): ‖Δ‖ \(row.error), update \(row.scale)") }
        print("accumulation K=2×2 vs 1×4: step-0 gradients worst \(gradientRows.map(\.ratio).max()!), worst loss rel \(worstLoss), worst ‖Δ‖/update \(rows.map(\.ratio).max()!)")
    }

    /// N = 8 steps straight vs 4 + save + restore into a new Trainer + 4 (mid-epoch: 3 steps per epoch).
    func checkResume(_ name: TrainingRecipe.Name, format: TrainingOptions.CheckpointFormat) throws {
        let layout = try TrainingLoopFixtures.layout(trainPosEmbed: name == .mindone)
        let recipe = Self.recipe(name)
        let straight = try TrainingLoopFixtures.trainer(Self.options(recipe, batchSize: 4, maxSteps: 8), layout: layout)
        let full = try records(straight)

        let output = try temporaryDirectory()
        let options = Self.options(recipe, batchSize: 4, maxSteps: 8, output: output, format: format)
        let first = try TrainingLoopFixtures.trainer(options, layout: layout)
        for _ in 0..<4 { try first.step() }
        let checkpoints = try TrainingCheckpoints(outputPath: output, format: format, maxKeep: 3, layout: layout)
        try checkpoints.save(first, epochLabel: first.epoch(ofStep: 3) + 1, stepMode: true, arguments: [])
        let path = try XCTUnwrap(checkpoints.latestResumable(), "\(name) \(format): nothing to resume from")

        let second = try TrainingLoopFixtures.trainer(options, layout: layout)
        try checkpoints.resume(second, from: path)
        XCTAssertEqual(second.stepsDone, 4)
        XCTAssertEqual(second.parameters, first.parameters, "\(name) \(format): restored parameters")
        XCTAssertEqual(second.optimizerState, first.optimizerState, "\(name) \(format): restored moments and step")
        XCTAssertEqual(second.ema, first.ema, "\(name) \(format): restored EMA (weights and updates)")
        let rest = try records(second)
        XCTAssertEqual(rest.map(\.loss), full[4...].map(\.loss), "\(name) \(format): losses after resume")
        XCTAssertEqual(rest.map(\.learningRate), full[4...].map(\.learningRate), "\(name) \(format): learning rates after resume")
        XCTAssertEqual(second.stepsDone, straight.stepsDone)
        XCTAssertEqual(second.parameters, straight.parameters, "\(name) \(format): parameters bit-identical")
        XCTAssertEqual(second.optimizerState, straight.optimizerState, "\(name) \(format): moments and step bit-identical")
        XCTAssertEqual(second.ema, straight.ema, "\(name) \(format): EMA bit-identical")
    }

    func testResumeOfficialFromPt() throws { try checkResume(.official, format: .pt) }
    func testResumeOfficialFromCkpt() throws { try checkResume(.official, format: .ckpt) }
    func testResumeMindoneFromPt() throws { try checkResume(.mindone, format: .pt) }
    func testResumeMindoneFromCkpt() throws { try checkResume(.mindone, format: .ckpt) }
}
