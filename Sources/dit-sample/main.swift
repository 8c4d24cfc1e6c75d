import ArgumentParser
import CLISupport
import Foundation
import Models
import Sampling

/// `dit-sample`: class-conditional images from a DiT + SD-VAE checkpoint in any supported format and
/// naming, with DDPM or DDIM and classifier-free guidance, as official DiT's sample.py / MindONE's.
struct DiTSample: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dit-sample",
        abstract: "Sample images from a DiT (+ SD-VAE) checkpoint: .pt, .ckpt, .safetensors, .h5, any naming.",
        discussion: "Settings come from a MindONE-style YAML (-c) and are overridden by flags. Unknown YAML keys are errors."
    )

    @Option(name: [.customShort("c"), .long], help: "YAML config (MindONE keys, e.g. configs/inference/dit-xl-2-256x256.yaml).")
    var config: String?
    @Option(help: "DiT-XL/2, DiT-B/4, ... (checked against the checkpoint for the paper's sizes).") var modelName: String?
    @Option(help: "Image size in pixels (256, 512; latent = size / 8).") var imageSize: Int?
    @Option(help: "DiT weights, any format and naming.") var ditCheckpoint: String?
    @Option(help: "SD-VAE weights, any format and naming.") var vaeCheckpoint: String?
    @Option(help: "Latent scale factor (0.18215).") var sdScaleFactor: Double?
    @Option(help: "Number of (respaced) sampling steps.") var samplingSteps: Int?
    @Option(help: "Classifier-free guidance scale (1 = off; 0 = unconditional).") var guidanceScale: Double?
    @Option(help: "Seed of the PyTorch-compatible CPU generator.") var seed: Int?
    @Option(help: "true: DDIM (eta --ddim-eta); false: DDPM.") var ddimSampling: Bool?
    @Option(help: "DDIM eta.") var ddimEta: Double?
    @Option(help: "Weights in memory: fp32, fp16 or bf16 (compute is float32).") var dtype: String?
    @Option(help: "Older spelling of --dtype fp16.") var useFp16: Bool?
    @Option(help: "true: one sample.png grid (official DiT); false: class-<label>.png files (MindONE).") var imagegrid: Bool?
    @Option(help: "Images per row of the grid (torchvision's nrow; official sample.py: 4).") var gridColumns: Int?
    @Option(help: "Number of classes (the null label is this number).") var numClasses: Int?
    @Option(help: "Comma-separated labels, one image each.") var classLabels: String?
    @Option(help: "Channels guided by CFG: 3 (official) or 4 (MindONE, diffusers).") var cfgChannels: Int?
    @Option(help: "Attention heads for non-paper DiT sizes.") var numHeads: Int?
    @Option(help: "GroupNorm groups of the VAE (32 for SD's).") var vaeNormGroups: Int?
    @Option(name: [.customLong("output"), .customLong("output-path")], help: "Output folder (default samples/<timestamp>).") var output: String?
    @Option(name: .customLong("noise"), help: "Inject noise from a safetensors file (z, noise.{step}) instead of the seed.") var noise: String?
    @Option(help: "Write the final latents (and the decoded images, [-1, 1] floats) to this safetensors file.") var saveLatents: String?
    @Option(help: "Write every step's latents to this safetensors file.") var saveTrajectory: String?
    @Flag(help: "No progress bar or log.") var quiet = false

    func run() {
        runReportingErrors {
            var settings = SampleConfig()
            if let config {
                guard let text = try? String(contentsOfFile: config, encoding: .utf8) else {
                    throw SampleConfig.Failure(description: "\(config): cannot read the config file")
                }
                try settings.apply(yaml: text, source: config)
            }
            let flags: [(String, Any?)] = [
                ("model_name", modelName), ("image_size", imageSize), ("dit_checkpoint", ditCheckpoint), ("vae_checkpoint", vaeCheckpoint),
                ("sd_scale_factor", sdScaleFactor), ("sampling_steps", samplingSteps), ("guidance_scale", guidanceScale), ("seed", seed),
                ("ddim_sampling", ddimSampling), ("ddim_eta", ddimEta), ("use_fp16", useFp16), ("dtype", dtype), ("imagegrid", imagegrid), ("grid_columns", gridColumns),
                ("num_classes", numClasses), ("class_labels", classLabels), ("cfg_channels", cfgChannels), ("num_heads", numHeads), ("vae_norm_groups", vaeNormGroups),
                ("output_path", output), ("noise_file", noise), ("save_latents", saveLatents), ("save_trajectory", saveTrajectory),
            ]
            for (key, value) in flags { if let value { try settings.set(key, value, source: "--" + key.replacingOccurrences(of: "_", with: "-")) } }
            try settings.validate()
            let log: (String) -> Void = { if !quiet { print($0) } }

            var options = LoadOptions()
            options.keepHalfPrecision = settings.dtype != "fp32"
            options.imageSize = settings.imageSize
            let ditWeights = try ModelLoader.load(settings.ditCheckpoint, family: .dit, options: options)
            guard let ditConfig = ditWeights.conversion.dit else { throw SampleConfig.Failure(description: "\(settings.ditCheckpoint): not a DiT") }
            log("dit: \(ditWeights.path) (\(ditWeights.format.rawValue), \(ditWeights.conversion.sourceConvention) naming) — \(ditConfig)")
            if settings.modelName.hasPrefix("DiT-"), let paper = ditConfig.paperName, paper != settings.modelName {
                throw SampleConfig.Failure(description: "model_name is \(settings.modelName) but \(settings.ditCheckpoint) holds \(paper)")
            }
            let dit = try DiT(weights: ditWeights.weights, config: ditConfig, heads: settings.numHeads)
            var vaeOptions = LoadOptions()
            vaeOptions.keepHalfPrecision = options.keepHalfPrecision
            let vaeWeights = try ModelLoader.load(settings.vaeCheckpoint, family: .vae, options: vaeOptions)
            guard let vaeConfig = vaeWeights.conversion.vae else { throw SampleConfig.Failure(description: "\(settings.vaeCheckpoint): not a VAE") }
            log("vae: \(vaeWeights.path) (\(vaeWeights.format.rawValue), \(vaeWeights.conversion.sourceConvention) naming) — \(vaeConfig)")
            let vae = try AutoencoderKL(weights: vaeWeights.weights, config: vaeConfig, groups: settings.vaeNormGroups)

            let folder = settings.outputPath ?? "samples/" + Self.timestamp()
            var pipeline = SamplePipeline(config: settings)
            pipeline.quiet = quiet
            pipeline.log = log
            let result = try pipeline.run(denoiser: DiTDenoiser(dit), decoder: VAEDecoder(vae), outputFolder: folder)
            log("wrote " + result.files.joined(separator: ", "))
        }
    }

    static func timestamp() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd'T'HH-mm-ss"
        return formatter.string(from: Date())
    }
}

DiTSample.main()
