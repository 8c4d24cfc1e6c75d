import Checkpoint
import Kernels
import Models
import NameMaps
import Training

/// One training step of a `dit-train` bundle (fixtures/generate/gen_train_parity.py) against the official
/// PyTorch step: loss terms and every parameter gradient.
///
/// Tolerances (the criteria): loss terms max |Δ| ≤ 1e-5 · max |ref|; each gradient tensor
/// max |Δ| ≤ 1e-4 · max(max |ref|, 1e-3 · G), G = the largest |gradient| of the whole bundle.
public enum TrainingParity {
    /// A bundle's step, ready for a `GradientComputer`.
    public struct Step {
        public let layout: ParameterLayout
        public let parameters: [Float]  // [layout.count]
        public let batch: TrainingBatch
    }

    /// The step of `bundle` with the model's `weights`; `pos_embed` is trainable when the bundle holds its
    /// gradient (`grad.pos_embed`, the MindONE case), otherwise frozen.
    public static func step(bundle: ReferenceBundle, weights: ModelWeights, config: DiTConfig) throws -> Step {
        guard bundle.kind == .ditTrain else { throw CheckpointError("not a dit-train bundle (kind \(bundle.kind.rawValue))", file: bundle.path) }
        let layout = ParameterLayout(config: config, trainPosEmbed: bundle.contains("grad.pos_embed"))
        var parameters = [Float](repeating: 0, count: layout.count)  // [layout.count]
        for view in layout.views {
            let w = try weights.weight(view.name, shape: nil)
            guard w.count == view.count else { throw ModelError("weight '\(view.name)' has \(w.count) elements, the layout expects \(view.count)") }
            let values = w.floats()
            parameters.replaceSubrange(view.range, with: values)
        }
        let x0 = try bundle.requireFloats("x0"), noise = try bundle.requireFloats("noise")
        guard let y = try bundle.integers("y"), let t = try bundle.integers("t"), let drop = try bundle.integers("drop") else {
            throw CheckpointError("a dit-train bundle needs integer y, t and drop", file: bundle.path)
        }
        guard y.count == t.count, drop.count == t.count else { throw CheckpointError("y, t and drop differ in length", file: bundle.path) }
        let labels = zip(y, drop).map { $1 != 0 ? config.numClasses : $0 }
        return Step(layout: layout, parameters: parameters,
                    batch: TrainingBatch(latents: x0.values, labels: labels, timesteps: t, noise: noise.values))
    }

    /// Runs the step and compares; returns the report and everything computed (for `--dump`).
    public static func run(_ step: Step, engine: GradientComputer, bundle: ReferenceBundle) throws -> (report: ParityReport, produced: [(String, FloatTensor)]) {
        var gradients = [Float](repeating: .nan, count: step.layout.count)  // [layout.count]
        let terms = try step.parameters.withUnsafeBufferPointer { p in
            try gradients.withUnsafeMutableBufferPointer { g in try engine.lossAndGradients(parameters: p, batch: step.batch, gradients: g) }
        }
        let n = Float(terms.loss.count)
        var produced: [(String, FloatTensor)] = [
            ("loss", FloatTensor(shape: [], values: [Float(terms.loss.reduce(0.0) { $0 + Double($1) } / Double(n))])),
            ("loss_mse", FloatTensor(shape: [terms.mse.count], values: terms.mse)),
            ("loss_vb", FloatTensor(shape: [terms.vb.count], values: terms.vb)),
        ]
        for view in step.layout.views where view.trainable {
            produced.append(("grad." + view.name, FloatTensor(shape: view.shape, values: Array(gradients[view.range]))))
        }
        var largest = 0.0
        for name in bundle.names where name.hasPrefix("grad.") {
            largest = max(largest, try bundle.requireFloats(name).values.reduce(0.0) { max($0, Double(abs($1))) })
        }
        var rows: [Comparison] = []
        for (name, value) in produced {
            guard let expected = try bundle.floats(name) else { continue }
            let tolerance: Tolerance
            if name.hasPrefix("grad.") {
                let reference = expected.values.reduce(0.0) { max($0, Double(abs($1))) }
                tolerance = Tolerance(atol: max(0, 1e-4 * 1e-3 * largest - 1e-4 * reference), rtol: 1e-4)
            } else {
                tolerance = Tolerance(atol: 0, rtol: 1e-5)
            }
            rows.append(Comparison(name: name, actual: value, expected: expected, tolerance: tolerance))
        }
        let producedNames = Set(produced.map(\.0))
        for name in bundle.names.sorted() where name.hasPrefix("grad.") && !producedNames.contains(name) {
            rows.append(Comparison(name: name, actual: nil, expected: try bundle.requireFloats(name), tolerance: Tolerance(atol: 0, rtol: 0)))
        }
        let inputs: Set<String> = ["x0", "y", "t", "noise", "drop"]
        let ignored = bundle.names.subtracting(inputs).subtracting(rows.map(\.name)).sorted()
        let summary = Tolerance(atol: 1e-7 * largest, rtol: 1e-4)
        return (ParityReport(bundle: bundle.path, tolerance: summary, rows: rows, ignored: ignored), produced)
    }
}
