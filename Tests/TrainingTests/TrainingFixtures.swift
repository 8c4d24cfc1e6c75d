import Foundation
import Models
import NameMaps
import Parity
import Training

/// The committed training-step fixtures (fixtures/train-parity, written by fixtures/generate/gen_train_parity.py
/// from the official DiT code).
enum TrainingFixtures {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("fixtures/train-parity").path
    }()

    static let cases = ["train-a", "train-b", "train-c"]

    static func bundlePath(_ name: String) -> String { "\(root)/\(name).bundle.safetensors" }
    static func weightsPath(_ name: String) -> String { "\(root)/\(name).safetensors" }

    /// The case's bundle, weights and step (pos_embed trainable, as the bundle holds its gradient).
    static func load(_ name: String) throws -> (bundle: ReferenceBundle, loaded: LoadedWeights, step: TrainingParity.Step) {
        let bundle = try ReferenceBundle(path: bundlePath(name))
        let loaded = try ModelLoader.load(weightsPath(name), family: .dit)
        let step = try TrainingParity.step(bundle: bundle, weights: loaded.weights, config: loaded.conversion.dit!)
        return (bundle, loaded, step)
    }
}
