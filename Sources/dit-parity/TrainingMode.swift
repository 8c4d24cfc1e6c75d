import CLISupport
import Checkpoint
import Foundation
import Models
import Parity
import Training

/// `--train`: one official training step (loss terms, every gradient) against the bundle.
func runTrainingParity(settings: ResolvedSettings, bundle: ReferenceBundle, options: LoadOptions) throws {
        let model = try settings.requiredString("model"), reference = try settings.requiredString("reference")
        let train = settings.bool("train"), numHeads = settings.optionalInt("num_heads"), dump = settings.optionalString("dump")
        guard train else { throw CheckpointError("this is a training-step bundle; pass --train", file: reference) }
        guard bundle.kind == .ditTrain else { throw CheckpointError("--train given but the bundle holds \(bundle.kind.rawValue) references", file: reference) }
        let loaded = try ModelLoader.load(model, family: .dit, options: options)
        guard let config = loaded.conversion.dit else { throw CheckpointError("not a DiT checkpoint", file: model) }
        print("model: \(loaded.path) (\(loaded.format.rawValue), \(loaded.conversion.sourceConvention) names)")
        print("config: \(loaded.conversion.configDescription)")
        print("reference: \(reference) (\(bundle.metadataString("generator") ?? "unknown generator"))")
        let step = try TrainingParity.step(bundle: bundle, weights: loaded.weights, config: config)
        let engine = try DiTGradients(layout: step.layout, heads: numHeads ?? bundle.metadataInt("num_heads"))
        print("step: batch \(step.batch.count), t \(step.batch.timesteps), labels used \(step.batch.labels), pos_embed \(step.layout.view(named: "pos_embed")!.trainable ? "trained" : "frozen")")
        let (report, produced) = try TrainingParity.run(step, engine: engine, bundle: bundle)
        print(report.table())
        if let dump {
            let tensors = try produced.map { name, value -> NamedTensor in
                let bytes = value.values.withUnsafeBytes { Array($0) }
                return NamedTensor(name: name, tensor: try Tensor(dtype: .f32, shape: value.shape, storage: OwnedStorage(bytes)))
            }
            let note = #"{"generator": "dit-parity --train --dump (computed, not a reference)", "kind": "dit-train"}"#
            try writeCheckpoint(tensors, metadata: ["reference": note], to: dump, format: .safetensors)
            print("wrote \(dump) (\(tensors.count) tensors)")
        }
        if !report.passed { Foundation.exit(1) }
    }
