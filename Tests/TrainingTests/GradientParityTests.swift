import Kernels
import Models
import NameMaps
import Parity
import Training
import XCTest

/// Loss terms and every parameter gradient of one training step against the official PyTorch step
/// (fixtures/train-parity). Criteria of the issue: loss terms within 1e-5 relative (of max |ref| per
/// tensor), every gradient tensor max |Δ| ≤ 1e-4 · max(max |ref|, 1e-3 · G), G the largest gradient.
final class GradientParityTests: XCTestCase {
    func runCase(_ name: String) throws {
        let (bundle, _, step) = try TrainingFixtures.load(name)
        XCTAssertTrue(step.batch.timesteps.contains(0) && step.batch.timesteps.contains(999), "\(name): t = 0 and 999 in the batch")
        XCTAssertTrue(step.batch.labels.contains(step.layout.config.numClasses), "\(name): a dropped label (null class)")
        let engine = try DiTGradients(layout: step.layout, heads: bundle.metadataInt("num_heads"))
        let (report, _) = try TrainingParity.run(step, engine: engine, bundle: bundle)
        print(report.table())
        let gradientRows = report.rows.filter { $0.name.hasPrefix("grad.") }
        // Every parameter of the official model, plus pos_embed (trained here: the bundle holds its gradient).
        XCTAssertEqual(gradientRows.count, step.layout.views.count, "\(name): one row per parameter")
        XCTAssertEqual(report.rows.count, gradientRows.count + 3, "\(name): loss, loss_mse, loss_vb")
        for row in report.rows { XCTAssertTrue(row.passed, "\(name) \(row.name): max |Δ| \(row.maxAbs), max |ref| \(row.maxReference)") }
        let worstLoss = report.rows.filter { !$0.name.hasPrefix("grad.") }.map(\.maxRel).max() ?? .infinity
        let worstGradient = gradientRows.filter { $0.name != "grad.pos_embed" }.map(\.maxRel).max() ?? .infinity
        print("\(name): worst loss-term rel \(worstLoss), worst gradient rel (of its max|ref|) \(worstGradient)")
    }

    func testShallowCase() throws { try runCase("train-a") }
    func testDeeperWiderPatch4Case() throws { try runCase("train-b") }
    func testPatch2Latent12Case() throws { try runCase("train-c") }

    /// The official recipe: pos_embed frozen, its gradient exactly zero; the other gradients unchanged.
    func testFrozenPositionTableGetsZeroGradient() throws {
        let (bundle, _, trained) = try TrainingFixtures.load("train-a")
        let frozen = ParameterLayout(config: trained.layout.config, trainPosEmbed: false)
        XCTAssertEqual(frozen.views.map(\.offset), trained.layout.views.map(\.offset))
        let engine = try DiTGradients(layout: frozen, heads: bundle.metadataInt("num_heads"))
        var g = [Float](repeating: .nan, count: frozen.count)  // [layout.count]
        var reference = [Float](repeating: .nan, count: frozen.count)  // [layout.count]
        try trained.parameters.withUnsafeBufferPointer { p in
            _ = try g.withUnsafeMutableBufferPointer { try engine.lossAndGradients(parameters: p, batch: trained.batch, gradients: $0) }
            let other = try DiTGradients(layout: trained.layout, heads: bundle.metadataInt("num_heads"))
            _ = try reference.withUnsafeMutableBufferPointer { try other.lossAndGradients(parameters: p, batch: trained.batch, gradients: $0) }
        }
        let pos = frozen.view(named: "pos_embed")!
        XCTAssertTrue(g[pos.range].allSatisfy { $0 == 0 }, "frozen pos_embed gradient is zero")
        XCTAssertTrue(reference[pos.range].contains { $0 != 0 })
        XCTAssertEqual(Array(g[pos.range.upperBound...]), Array(reference[pos.range.upperBound...]), "other gradients bit-identical")
    }

    /// The contract: gradients are overwritten (a second call on a garbage buffer gives the same bits).
    func testGradientsAreOverwritten() throws {
        let (bundle, _, step) = try TrainingFixtures.load("train-c")
        let engine = try DiTGradients(layout: step.layout, heads: bundle.metadataInt("num_heads"))
        var first = [Float](repeating: 0, count: step.layout.count)  // [layout.count]
        var second = [Float](repeating: 12345, count: step.layout.count)  // [layout.count]
        let (t1, t2) = try step.parameters.withUnsafeBufferPointer { p in
            (try first.withUnsafeMutableBufferPointer { try engine.lossAndGradients(parameters: p, batch: step.batch, gradients: $0) },
             try second.withUnsafeMutableBufferPointer { try engine.lossAndGradients(parameters: p, batch: step.batch, gradients: $0) })
        }
        XCTAssertEqual(t1, t2)
        XCTAssertEqual(first, second)
    }
}
