import ArgumentParser
import CLISupport
import Checkpoint
import Foundation
import Kernels
import Models
import NameMaps

/// `dit-bench`: times one DiT forward (a CFG step at batch 2 by default) and one SD-VAE decode, medians
/// of several runs after a warm-up, with random weights unless files are given. See docs/benchmarks.md.
struct DiTBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dit-bench", abstract: "Time the DiT forward pass and the SD-VAE decoder on the CPU.")

    @Option(help: "DiT configuration (DiT-XL/2 … DiT-S/8).")
    var model = "DiT-XL/2"

    @Option(help: "Image size (256 or 512; latents are image/8).")
    var imageSize = 256

    @Option(help: "DiT batch (2 = one classifier-free-guidance step).")
    var batch = 2

    @Option(help: "DiT weights file (default: random weights).")
    var weights: String?

    @Option(help: "VAE weights file or folder (default: random sd-vae-ft-mse weights).")
    var vaeWeights: String?

    @Option(help: "Images decoded per VAE run.")
    var vaeBatch = 1

    @Option(help: "Timed runs (the median is reported).")
    var runs = 5

    @Option(help: "Untimed warm-up runs.")
    var warmup = 1

    @Option(help: "Worker threads (default: DITPORT_THREADS or the processor count).")
    var threads: Int?

    @Flag(name: .customLong("use-fp16"), help: "Keep f16/bf16 weights of the files 16-bit, widened on use.")
    var useFP16 = false

    @Flag(help: "Skip the VAE decoder.")
    var skipVAE = false

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Flag(help: "Also report where the time goes, per kernel family (timed runs only).")
    var profile = false

    @Flag(help: "Time one training step on latents instead (official loss + hand-written backward; random weights and batch).")
    var train = false

    func run() {
        runReportingErrors {
            if let threads { Parallel.threadCount = threads }
            guard runs > 0, warmup >= 0, batch > 0, vaeBatch > 0 else { throw ModelError("--runs, --batch and --vae-batch must be positive") }
            if train { return try runTraining() }
            var result: [String: Any] = ["model": model, "image_size": imageSize, "batch": batch, "threads": Parallel.threadCount,
                                         "openblas_core": BLAS.coreName, "runs": runs, "warmup": warmup]
            let log: (String) -> Void = { if !json { print($0) } }

            // DiT
            var options = LoadOptions()
            options.keepHalfPrecision = useFP16
            options.imageSize = imageSize
            let loadStart = Date()
            let dit: DiT
            let weightBytes: Int
            if let weights {
                let loaded = try ModelLoader.load(weights, family: .dit, options: options)
                dit = try DiT(weights: loaded.weights, config: loaded.conversion.dit!)
                weightBytes = loaded.weights.storedBytes
            } else {
                let config = try DiTVariant.config(model, imageSize: imageSize)
                let random = try RandomWeights.dit(config)
                dit = try DiT(weights: random, config: config)
                weightBytes = random.storedBytes
            }
            let config = dit.config
            result["dit_load_seconds"] = Date().timeIntervalSince(loadStart)
            log("\(config.description); \(Parallel.threadCount) threads, OpenBLAS \(BLAS.coreName)")
            let s = config.inputSize
            var generator = SplitMix(seed: 1)
            let x = FloatTensor(shape: [batch, config.inChannels, s, s], values: (0..<(batch * config.inChannels * s * s)).map { _ in generator.normal() })
            let labels = (0..<batch).map { $0 < batch / 2 || batch == 1 ? 207 % config.numClasses : config.numClasses }
            let t = [Int](repeating: 500, count: batch)
            let step: () throws -> Void = batch % 2 == 0
                ? { _ = try dit.forwardWithCFG(x, t: t, y: labels, cfgScale: 4) }
                : { _ = try dit.forward(x, t: t, y: labels) }
            let ditTimes = try time(step)
            let ditProfile = profiled()
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
            report(ditProfile, key: "dit_profile", into: &result, log: log)
            log(String(format: "peak RSS %.2f GB = %.2f × the %.2f GB of weights", Double(peak) / 1e9, Double(peak) / Double(weightBytes), Double(weightBytes) / 1e9))

            // VAE
            if !skipVAE {
                let vae: AutoencoderKL
                if let vaeWeights {
                    let loaded = try ModelLoader.load(vaeWeights, family: .vae, options: options)
                    vae = try AutoencoderKL(weights: loaded.weights, config: loaded.conversion.vae!)
                } else {
                    vae = try AutoencoderKL(weights: RandomWeights.vae(VAEConfig()), config: VAEConfig())
                }
                let latent = s
                let z = FloatTensor(shape: [vaeBatch, vae.config.latentChannels, latent, latent],
                                    values: (0..<(vaeBatch * vae.config.latentChannels * latent * latent)).map { _ in generator.normal() })
                let scaled = z.scaled(by: 1 / AutoencoderKL.scalingFactor)
                let vaeTimes = try time { _ = try vae.decode(scaled) }
                let vaeProfile = profiled()
                let vaeFlop = Double(vaeBatch) * decoderFLOP(vae.config, latent: latent)
                result["vae_decode_seconds"] = median(vaeTimes)
                result["vae_decode_runs"] = vaeTimes
                result["vae_decode_gflop"] = vaeFlop / 1e9
                result["vae_decode_gflops_per_second"] = vaeFlop / 1e9 / median(vaeTimes)
                result["peak_rss_bytes"] = peakResidentBytes()
                log(String(format: "VAE decode (%d × %d px): median %.3f s over %d runs (%.0f GFLOP, %.1f GFLOP/s); runs %@",
                           vaeBatch, latent * 8, median(vaeTimes), runs, vaeFlop / 1e9, vaeFlop / 1e9 / median(vaeTimes),
                           vaeTimes.map { String(format: "%.3f", $0) }.joined(separator: " ")))
                report(vaeProfile, key: "vae_profile", into: &result, log: log)
            }
            if json {
                let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            }
        }
    }

    func time(_ body: () throws -> Void) throws -> [Double] {
        Profile.enabled = false
        for _ in 0..<warmup { try body() }
        Profile.reset()
        Profile.enabled = profile
        return try (0..<runs).map { _ in
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
    }
}

/// The profile of the timed runs, per run.
func profiled() -> [(name: String, seconds: Double, calls: Int)] {
    defer { Profile.enabled = false }
    return Profile.snapshot()
}

extension DiTBench {
    func report(_ profile: [(name: String, seconds: Double, calls: Int)], key: String, into result: inout [String: Any], log: (String) -> Void) {
        guard self.profile else { return }
        result[key] = Dictionary(uniqueKeysWithValues: profile.map { ($0.name, $0.seconds / Double(runs)) })
        log("  per run: " + profile.map { String(format: "%@ %.3f s", $0.name, $0.seconds / Double(runs)) }.joined(separator: ", "))
    }
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

/// Peak resident set size of this process (getrusage; Linux reports KiB).
func peakResidentBytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss * 1024
}

/// Multiply-adds ×2 of one DiT forward per sample: the GEMMs plus attention scores and values.
func ditForwardFLOP(_ c: DiTConfig) -> Double {
    let d = Double(c.hiddenSize), t = Double(c.tokens), p2 = Double(c.patchSize * c.patchSize)
    let perBlock = t * 12 * d * d + 6 * d * d + 2 * t * t * d
    let embed = t * d * Double(c.inChannels) * p2 + 256 * d + d * d
    let final = 2 * d * d + t * d * p2 * Double(c.outChannels)
    return 2 * (Double(c.depth) * perBlock + embed + final)
}

/// FLOP of `post_quant_conv` + the decoder for `latent`×`latent` latents (convolutions and attention).
func decoderFLOP(_ c: VAEConfig, latent: Int) -> Double {
    var macs = 0.0
    func conv(_ cin: Int, _ cout: Int, _ k: Int, _ side: Int) { macs += Double(cin * cout * k * k * side * side) }
    func resnet(_ cin: Int, _ cout: Int, _ side: Int) {
        conv(cin, cout, 3, side)
        conv(cout, cout, 3, side)
        if cin != cout { conv(cin, cout, 1, side) }
    }
    let channels = c.blockOutChannels, top = channels.last!
    var side = latent
    conv(c.latentChannels, c.latentChannels, 1, side)
    conv(c.latentChannels, top, 3, side)
    resnet(top, top, side)
    macs += Double(4 * top * top * side * side + 2 * side * side * side * side * top)  // q, k, v, out + scores, values
    resnet(top, top, side)
    var previous = top
    for (level, width) in channels.reversed().enumerated() {
        for j in 0...c.layersPerBlock { resnet(j == 0 ? previous : width, width, side) }
        if level < channels.count - 1 {
            side *= 2
            conv(width, width, 3, side)
        }
        previous = width
    }
    conv(channels[0], c.outChannels, 3, side)
    return 2 * macs
}

/// Deterministic standard-normal inputs (SplitMix64 + Box-Muller).
struct SplitMix {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func normal() -> Float {
        let u1 = (Double(next() >> 11) + 1) / Double(1 << 53), u2 = Double(next() >> 11) / Double(1 << 53)
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
}

DiTBench.main()
