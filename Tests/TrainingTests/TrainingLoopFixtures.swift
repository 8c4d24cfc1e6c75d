import Checkpoint
import Datasets
import Foundation
import Models
import NameMaps
import Training
import XCTest

/// The committed training-loop fixtures (fixtures/train-loop, written by fixtures/generate/gen_train_loop.py
/// from the official train.py loop and MindONE's trainers on MindSpore): a latent cache, the injected
/// randomness, the initial weights and the expected state after the run.
enum TrainingLoopFixtures {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("fixtures/train-loop").path
    }()

    static var cachePath: String { root + "/cache.safetensors" }
    static var initPath: String { root + "/init.safetensors" }
    static func noisePath(microBatches: Int) -> String { root + (microBatches == 1 ? "/noise.safetensors" : "/noise-k\(microBatches).safetensors") }
    static func expectedPath(_ recipe: TrainingRecipe.Name) -> String { root + "/expected-\(recipe.rawValue).safetensors" }
    static var schedulesPath: String { root + "/lr-schedules.safetensors" }

    /// The tiny DiT of the fixtures (2 heads of 8).
    static let heads = 2

    /// A safetensors file's tensors (as f64 values) and its `reference` metadata JSON.
    struct Expected {
        let values: [String: [Double]]
        let meta: [String: Any]

        init(path: String) throws {
            let checkpoint = try Checkpoint(path: path)
            var values: [String: [Double]] = [:]
            for named in try checkpoint.tensors() { values[named.name] = try named.tensor.doubleValues() }
            self.values = values
            let json = checkpoint.metadata["reference"] ?? "{}"
            meta = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] ?? [:]
        }

        func floats(_ name: String) throws -> [Float] { try XCTUnwrap(values[name], "no '\(name)' in the fixture").map { Float($0) } }
        func doubles(_ name: String) throws -> [Double] { try XCTUnwrap(values[name], "no '\(name)' in the fixture") }
        func number(_ key: String) throws -> Double { try XCTUnwrap(meta[key] as? Double ?? (meta[key] as? Int).map(Double.init), "metadata '\(key)'") }
        func int(_ key: String) throws -> Int { try XCTUnwrap(meta[key] as? Int, "metadata '\(key)'") }

        /// A flat buffer in `layout` from the tensors `prefix.<official name>` (missing tensors: zero).  // [layout.count]
        func flat(_ prefix: String, layout: ParameterLayout, missingIsZero: Bool = false) throws -> [Float] {
            var out = [Float](repeating: 0, count: layout.count)
            for view in layout.views {
                guard let values = values[prefix + "." + view.name] else {
                    if missingIsZero { continue }
                    throw TrainingError("fixture has no '\(prefix).\(view.name)'")
                }
                guard values.count == view.count else { throw TrainingError("'\(prefix).\(view.name)' holds \(values.count) values, expected \(view.count)") }
                for (i, v) in values.enumerated() { out[view.offset + i] = Float(v) }
            }
            return out
        }
    }

    /// The fixtures' DiT configuration, from the initial weights.
    static func layout(trainPosEmbed: Bool) throws -> ParameterLayout {
        let loaded = try ModelLoader.load(initPath, family: .dit)
        var config = try XCTUnwrap(loaded.conversion.dit)
        config.numHeads = heads
        return ParameterLayout(config: config, trainPosEmbed: trainPosEmbed)
    }

    /// The generator's MindONE knobs (expected-mindone metadata) as a recipe.
    static func mindoneRecipe(_ meta: [String: Any]) throws -> TrainingRecipe {
        var recipe = TrainingRecipe(.mindone)
        recipe.learningRate = try XCTUnwrap(meta["start_learning_rate"] as? Double)
        recipe.endLearningRate = try XCTUnwrap(meta["end_learning_rate"] as? Double)
        recipe.scheduler = try XCTUnwrap(LearningRateSchedule.Kind(rawValue: try XCTUnwrap(meta["scheduler"] as? String)))
        recipe.warmupSteps = try XCTUnwrap(meta["warmup_steps"] as? Int)
        let betas = try XCTUnwrap(meta["betas"] as? [Double])
        recipe.beta1 = betas[0]
        recipe.beta2 = betas[1]
        recipe.eps = try XCTUnwrap(meta["optim_eps"] as? Double)
        recipe.weightDecay = try XCTUnwrap(meta["weight_decay"] as? Double)
        recipe.clipGradients = try XCTUnwrap(meta["clip_grad"] as? Bool)
        recipe.maxGradNorm = try XCTUnwrap(meta["max_grad_norm"] as? Double)
        recipe.useEMA = try XCTUnwrap(meta["use_ema"] as? Bool)
        recipe.emaKind = .mindone
        XCTAssertEqual(meta["group_strategy"] as? String, recipe.groupStrategy)
        XCTAssertEqual(meta["optim"] as? String, "adamw")
        return recipe
    }

    /// Options of a fixture run: batch in cache order, the injected draws, 2 epochs of 3 steps.
    static func options(_ recipe: TrainingRecipe, batchSize: Int, noise: String?) throws -> TrainingOptions {
        var options = TrainingOptions(recipe: recipe)
        options.batchSize = batchSize
        options.epochs = 2
        options.shuffle = false
        options.scaleFactor = 0.18215
        options.injectedNoise = try noise.map { try InjectedNoise(path: $0) }
        return options
    }

    static func trainer(_ options: TrainingOptions, layout: ParameterLayout, initial: [Float]? = nil) throws -> Trainer {
        let engine = try DiTGradients(layout: layout, heads: heads)
        let cache = try LatentCache(path: cachePath)
        return try Trainer(computer: engine, cache: cache, initialParameters: initial ?? InitialWeights.load(initPath, layout: layout), options: options)
    }
}

/// Per-tensor distance of a computed buffer from a reference, against how far the reference moved.
struct TensorDistance {
    let name: String
    /// ‖computed − reference‖ over the compared elements.
    let error: Double
    /// ‖reference − initial‖ (the update norm), or ‖reference‖ when no initial is given.
    let scale: Double
    var ratio: Double { scale > 0 ? error / scale : (error == 0 ? 0 : .infinity) }

    /// Elements of `view` compared: all, except the key third of the fused qkv bias — its gradient is
    /// analytically zero (adding a constant to every key of a query row leaves the softmax unchanged), so
    /// both implementations' values there are rounding noise that Adam's m/√v normalisation turns into
    /// full-size ±lr steps in unrelated directions.
    static func comparedRange(_ view: ParameterView, hidden: Int) -> [Range<Int>] {
        guard view.name.hasSuffix("attn.qkv.bias") else { return [view.range] }
        return [view.offset..<(view.offset + hidden), (view.offset + 2 * hidden)..<view.range.upperBound]
    }

    static func all(_ computed: [Float], _ reference: [Float], initial: [Float]?, layout: ParameterLayout,
                    only: (ParameterView) -> Bool = { _ in true }) -> [TensorDistance] {
        layout.views.filter(only).map { view in
            var error = 0.0, scale = 0.0
            for range in comparedRange(view, hidden: layout.config.hiddenSize) {
                for i in range {
                    let d = Double(computed[i]) - Double(reference[i])
                    error += d * d
                    let s = Double(reference[i]) - (initial.map { Double($0[i]) } ?? 0)
                    scale += s * s
                }
            }
            return TensorDistance(name: view.name, error: error.squareRoot(), scale: scale.squareRoot())
        }
    }
}
