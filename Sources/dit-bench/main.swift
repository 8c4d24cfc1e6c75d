import CLISupport
import Foundation
import Kernels
import Models
import NameMaps

/// `dit-bench`: times one DiT forward (a CFG step at batch 2 by default) and one SD-VAE decode, medians
/// of several runs after a warm-up, with random weights unless files are given. See docs/benchmarks.md.
/// Settings: BenchSettings; models: BenchModels; timing: BenchTimer; FLOP counts: FLOPCounts.swift.
runReportingErrors {
    let settings = try BenchSettings.tool.resolve(Array(CommandLine.arguments.dropFirst()))
    let model = settings.string("model"), imageSize = settings.int("image_size"), batch = settings.int("batch")
    let runs = settings.int("runs"), warmup = settings.int("warmup"), vaeBatch = settings.int("vae_batch")
    let json = settings.bool("json")
    if let threads = settings.optionalInt("threads") { Parallel.threadCount = threads }
    guard runs > 0, warmup >= 0, batch > 0, vaeBatch > 0 else { throw ModelError("--runs, --batch and --vae-batch must be positive") }
    let timer = BenchTimer(runs: runs, warmup: warmup, profile: settings.bool("profile"))
    let (precision, precisionNote) = ComputePrecision.resolve(dtype: settings.string("dtype"))
    if let precisionNote { FileHandle.standardError.write(Data((precisionNote + "\n").utf8)) }
    if settings.bool("train") {
        try runTrainingBench(model: model, imageSize: imageSize, batch: batch, precision: precision, json: json, timer: timer)
        return
    }
    var result: [String: Any] = ["model": model, "image_size": imageSize, "batch": batch, "threads": Parallel.threadCount,
                                 "openblas_core": BLAS.coreName, "runs": runs, "warmup": warmup]
    let log: (String) -> Void = { if !json { print($0) } }

    // DiT
    var options = LoadOptions()
    options.keepHalfPrecision = settings.bool("use_fp16")
    options.imageSize = imageSize
    let loadStart = Date()
    let (dit, weightBytes) = try BenchModels.dit(weights: settings.optionalString("weights"), model: model, imageSize: imageSize, options: options,
                                                 precision: precision)
    let config = dit.config
    result["dit_load_seconds"] = Date().timeIntervalSince(loadStart)
    result["dtype"] = dit.precision.rawValue
    log("\(config.description); \(Parallel.threadCount) threads, OpenBLAS \(BLAS.coreName); compute \(dit.precision)")
    let s = config.inputSize
    var generator = SplitMix(seed: 1)
    let x = FloatTensor(shape: [batch, config.inChannels, s, s], values: (0..<(batch * config.inChannels * s * s)).map { _ in generator.normal() })  // [N, C, H, W]
    let labels = (0..<batch).map { $0 < batch / 2 || batch == 1 ? 207 % config.numClasses : config.numClasses }
    let t = [Int](repeating: 500, count: batch)
    let step: () throws -> Void = batch % 2 == 0
        ? { _ = try dit.forwardWithCFG(x, t: t, y: labels, cfgScale: 4) }
        : { _ = try dit.forward(x, t: t, y: labels) }
    let ditTimes = try timer.time(step)
    let ditFlop = Double(batch) * ditForwardFLOP(config)
    result["dit_forward_seconds"] = median(ditTimes)
    result["dit_forward_runs"] = ditTimes
    result["dit_forward_gflop"] = ditFlop / 1e9
    result["dit_forward_gflops_per_second"] = ditFlop / 1e9 / median(ditTimes)
    let peak = peakResidentBytes()
    result["dit_weight_bytes"] = weightBytes
    result["peak_rss_bytes_after_dit"] = peak
    result["peak_rss_over_weight_bytes"] = Double(peak) / Double(weightBytes)
    log(String(format: "DiT forward (batch %d%@): median %.3f s over %d runs (%.0f GFLOP, %.1f GFLOP/s); runs %@",
               batch, batch % 2 == 0 ? ", CFG" : "", median(ditTimes), runs, ditFlop / 1e9, ditFlop / 1e9 / median(ditTimes),
               ditTimes.map { String(format: "%.3f", $0) }.joined(separator: " ")))
    timer.report(key: "dit_profile", into: &result, log: log)
    log(String(format: "peak RSS %.2f GB = %.2f × the %.2f GB of weights", Double(peak) / 1e9, Double(peak) / Double(weightBytes), Double(weightBytes) / 1e9))

    // VAE
    if !settings.bool("skip_vae") {
        let vae = try BenchModels.vae(weights: settings.optionalString("vae_weights"), options: options, precision: precision)
        result["vae_dtype"] = vae.precision.rawValue
        if vae.precision == .bf16 { log("VAE compute: \(vae.precision) in the convolutions and attention projections; GroupNorm, SiLU, softmax, residuals float32") }
        let latent = s
        let z = FloatTensor(shape: [vaeBatch, vae.config.latentChannels, latent, latent],  // [N, 4, h, w]
                            values: (0..<(vaeBatch * vae.config.latentChannels * latent * latent)).map { _ in generator.normal() })
        let scaled = z.scaled(by: 1 / AutoencoderKL.scalingFactor)
        let vaeTimes = try timer.time { _ = try vae.decode(scaled) }
        let vaeFlop = Double(vaeBatch) * decoderFLOP(vae.config, latent: latent)
        result["vae_decode_seconds"] = median(vaeTimes)
        result["vae_decode_runs"] = vaeTimes
        result["vae_decode_gflop"] = vaeFlop / 1e9
        result["vae_decode_gflops_per_second"] = vaeFlop / 1e9 / median(vaeTimes)
        result["peak_rss_bytes"] = peakResidentBytes()
        log(String(format: "VAE decode (%d × %d px): median %.3f s over %d runs (%.0f GFLOP, %.1f GFLOP/s); runs %@",
                   vaeBatch, latent * 8, median(vaeTimes), runs, vaeFlop / 1e9, vaeFlop / 1e9 / median(vaeTimes),
                   vaeTimes.map { String(format: "%.3f", $0) }.joined(separator: " ")))
        timer.report(key: "vae_profile", into: &result, log: log)
    }
    if json {
        let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
