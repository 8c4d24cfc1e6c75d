import Foundation
import Kernels
import Models
import NameMaps
import Training

/// `--train`: one official training step on latents — `training_losses` on the forward with saved
/// activations, the hand-written backward (`DiTGradients`), the `torch.optim.AdamW` update and the EMA
/// update (official recipe: `pos_embed` frozen, EMA 0.9999) — with random parameters in the flat buffer
/// and a random batch (t spread over 0…999, one label dropped), as `scripts/bench/train_step.py` times
/// the official PyTorch step. `precision` `.bf16` (`--dtype bf16`): the blocks' GEMMs in bf16, forward and
/// backward (`DiTGradients.precision`), against `train_step.py --dtype bf16` (torch.autocast).
func runTrainingBench(model: String, imageSize: Int, batch: Int, precision: ComputePrecision, json: Bool, timer: BenchTimer) throws {
        let runs = timer.runs, warmup = timer.warmup
        let config = try DiTVariant.config(model, imageSize: imageSize)
        let layout = ParameterLayout(config: config)
        let engine = try DiTGradients(layout: layout, precision: precision)
        let log: (String) -> Void = { if !json { print($0) } }
        log("\(config.description); training step (loss + backward + AdamW + EMA), batch \(batch); \(Parallel.threadCount) threads, OpenBLAS \(BLAS.coreName); block GEMMs \(engine.precision)")
        var parameters = [Float](repeating: 0, count: layout.count)  // [layout.count]
        parameters.withUnsafeMutableBufferPointer { p in
            let base = p.baseAddress!
            Parallel.forEach(layout.views.count) { index in
                let view = layout.views[index]
                var generator = SplitMix(seed: UInt64(index) &+ 11)
                let std: Float = view.shape.count >= 2 ? 1 / Float(view.count / view.shape[0]).squareRoot() : 0.02
                for i in view.range { base[i] = generator.normal() * std }
            }
        }
        var gradients = [Float](repeating: 0, count: layout.count)  // [layout.count]
        let recipe = TrainingRecipe(.official)
        let optimizer = recipe.makeOptimizer()
        var optimizerState = OptimizerState(count: layout.count)  // exp_avg, exp_avg_sq: [layout.count] each
        var ema = EMA(kind: recipe.emaKind, decay: recipe.emaDecay, parameters: parameters)  // [layout.count]
        var generator = SplitMix(seed: 3)
        let s = config.inputSize, per = config.inChannels * s * s
        let batchInput = TrainingBatch(latents: (0..<(batch * per)).map { _ in generator.normal() },
                                       labels: (0..<batch).map { $0 == batch - 1 && batch > 1 ? config.numClasses : (207 + $0) % config.numClasses },
                                       timesteps: (0..<batch).map { batch == 1 ? 500 : $0 * 999 / (batch - 1) },
                                       noise: (0..<(batch * per)).map { _ in generator.normal() })
        var lastLoss: Float = 0
        var updateSeconds: [Double] = []
        let times = try timer.time {
            let terms = try parameters.withUnsafeBufferPointer { p in
                try gradients.withUnsafeMutableBufferPointer { g in try engine.lossAndGradients(parameters: p, batch: batchInput, gradients: g) }
            }
            let start = Date()
            optimizer.step(parameters: &parameters, gradients: gradients, state: &optimizerState, lr: recipe.learningRate, layout: layout)
            ema.update(from: parameters)
            updateSeconds.append(Date().timeIntervalSince(start))
            lastLoss = terms.loss.reduce(0, +) / Float(batch)
        }
        let peak = peakResidentBytes()
        let flop = 3 * Double(batch) * ditForwardFLOP(config)
        var result: [String: Any] = ["model": model, "image_size": imageSize, "batch": batch, "threads": Parallel.threadCount,
                                     "openblas_core": BLAS.coreName, "runs": runs, "warmup": warmup, "dtype": engine.precision.rawValue,
                                     "train_step_seconds": median(times), "train_step_runs": times, "train_step_gflop": flop / 1e9,
                                     "train_step_gflops_per_second": flop / 1e9 / median(times), "loss": lastLoss,
                                     "parameter_count": layout.count, "peak_rss_bytes": peak,
                                     "optimizer_ema_seconds": median(updateSeconds),
                                     "note": "one official step: loss + backward + torch AdamW + EMA update"]
        log(String(format: "train step (loss + backward + AdamW + EMA): median %.3f s over %d runs (%.0f GFLOP, %.1f GFLOP/s); runs %@",
                   median(times), runs, flop / 1e9, flop / 1e9 / median(times), times.map { String(format: "%.3f", $0) }.joined(separator: " ")))
        log(String(format: "of which AdamW + EMA %.3f s; peak RSS %.2f GB (parameters, gradients, AdamW moments, EMA: %.2f GB; loss %.4f)",
                   median(updateSeconds), Double(peak) / 1e9, Double(5 * layout.count * 4) / 1e9, lastLoss))
        timer.report(key: "train_profile", into: &result, log: log)
        if json {
            let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }
