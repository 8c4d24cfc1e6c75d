import Kernels
import Models
import Training
import XCTest

/// Inference straight from the training parameters (sampling mid-training) gives the file model's numbers.
final class TrainingInferenceTests: XCTestCase {
    func testInferenceFromTrainingParametersEqualsFileInference() throws {
        for name in TrainingFixtures.cases {
            let (bundle, _, step) = try TrainingFixtures.load(name)
            let heads = bundle.metadataInt("num_heads")
            let file = try DiT(path: TrainingFixtures.weightsPath(name), heads: heads)
            let fromTraining = try step.parameters.withUnsafeBufferPointer { try step.layout.inferenceModel(parameters: $0, heads: heads) }
            let c = step.layout.config
            let x = FloatTensor(shape: [step.batch.count, c.inChannels, c.inputSize, c.inputSize], values: step.batch.noise)
            let expected = try file.forward(x, t: step.batch.timesteps, y: step.batch.labels)
            XCTAssertEqual(try fromTraining.forward(x, t: step.batch.timesteps, y: step.batch.labels), expected, "\(name): bit-identical")
            // The training forward (matrices read in place from the flat buffer, activations saved).
            let inPlace = try step.parameters.withUnsafeBufferPointer { p -> FloatTensor in
                let model = try DiT(weights: step.layout.modelWeights(parameters: p), config: c, heads: heads, packWeights: false)
                return try model.forward(x, t: step.batch.timesteps, y: step.batch.labels, saving: DiTActivations(config: c, batch: step.batch.count))
            }
            let scale = expected.values.map { abs($0) }.max()!
            let worst = zip(inPlace.values, expected.values).map { abs($0 - $1) }.max()!
            XCTAssertLessThanOrEqual(worst, 1e-5 * scale, "\(name): training forward vs packed inference (other GEMM kernel): \(worst) of \(scale)")
        }
    }
}
