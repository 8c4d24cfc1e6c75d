import Foundation
import Kernels
import Models
import NameMaps
import Training

    /// `--train`: one training micro-step on latents — the official `training_losses` on the forward with
    /// saved activations, then the hand-written backward (`DiTGradients`) — with random parameters in the
    /// flat buffer and a random batch (t spread over 0…999, one label dropped). The optimizer half of a
    /// step (AdamW + EMA) is the training loop's and is not timed here; its state (exp_avg, exp_avg_sq,
    /// EMA: 3 more parameter-sized buffers) is allocated and touched so the peak RSS is that of a real run.
func runTrainingBench(model: String, imageSize: Int, batch: Int, json: Bool, timer: BenchTimer) throws {
        let runs = timer.runs, warmup = timer.warmup
        let config = try DiTVariant.config(model, imageSize: imageSize)
        let layout = ParameterLayout(config: config)
        let engine = try DiTGradients(layout: layout)
        let log: (String) -> Void = { if !json { print($0) } }
        log("\(config.description); training step (loss + backward), batch \(batch); \(Parallel.threadCount) threads, OpenBLAS \(BLAS.coreName)")
        let parameters = OwnedFloats(count: layout.count)  // [layout.count] f32
        let gradients = OwnedFloats(count: layout.count)  // [layout.count] f32
        Parallel.forEach(layout.views.count) { index in
            let view = layout.views[index]
            var generator = SplitMix(seed: UInt64(index) &+ 11)
            let std: Float = view.shape.count >= 2 ? 1 / Float(view.count / view.shape[0]).squareRoot() : 0.02
            for i in view.range { parameters.pointer[i] = generator.normal() * std }
        }
        let optimizerState = (0..<3).map { _ in OwnedFloats(count: layout.count) }  // exp_avg, exp_avg_sq, EMA
        for state in optimizerState { Parallel.forRanges(layout.count, grain: 1 << 20) { state.pointer.advanced(by: $0.lowerBound).update(repeating: 0, count: $0.count) } }
        var generator = SplitMix(seed: 3)
        let s = config.inputSize, per = config.inChannels * s * s
        let batchInput = TrainingBatch(latents: (0..<(batch * per)).map { _ in generator.normal() },
                                       labels: (0..<batch).map { $0 == batch - 1 && batch > 1 ? config.numClasses : (207 + $0) % config.numClasses },
                                       timesteps: (0..<batch).map { batch == 1 ? 500 : $0 * 999 / (batch - 1) },
                                       noise: (0..<(batch * per)).map { _ in generator.normal() })
        var lastLoss: Float = 0
        let times = try timer.time {
            let terms = try engine.lossAndGradients(parameters: UnsafeBufferPointer(start: parameters.pointer, count: layout.count), batch: batchInput,
                                                    gradients: UnsafeMutableBufferPointer(start: gradients.pointer, count: layout.count))
            lastLoss = terms.loss.reduce(0, +) / Float(batch)
        }
        let peak = peakResidentBytes()
        let flop = 3 * Double(batch) * ditForwardFLOP(config)
        var result: [String: Any] = ["model": model, "image_size": imageSize, "batch": batch, "threads": Parallel.threadCount,
                                     "openblas_core": BLAS.coreName, "runs": runs, "warmup": warmup,
                                     "train_step_seconds": median(times), "train_step_runs": times, "train_step_gflop": flop / 1e9,
                                     "train_step_gflops_per_second": flop / 1e9 / median(times), "loss": lastLoss,
                                     "parameter_count": layout.count, "peak_rss_bytes": peak,
                                     "note": "loss + backward only; the AdamW + EMA update is not timed (its state is allocated and counted in peak_rss_bytes)"]
        withExtendedLifetime(optimizerState) {}
        log(String(format: "train step (loss + backward): median %.3f s over %d runs (%.0f GFLOP, %.1f GFLOP/s); runs %@",
                   median(times), runs, flop / 1e9, flop / 1e9 / median(times), times.map { String(format: "%.3f", $0) }.joined(separator: " ")))
        log(String(format: "peak RSS %.2f GB (parameters, gradients, AdamW moments, EMA: %.2f GB; loss %.4f)",
                   Double(peak) / 1e9, Double(5 * layout.count * 4) / 1e9, lastLoss))
        timer.report(key: "train_profile", into: &result, log: log)
        if json {
            let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }
