import CLISupport
import Foundation
import Models
import Sampling

/// `dit-sample`: class-conditional images from a DiT + SD-VAE checkpoint in any supported format and
/// naming, with DDPM or DDIM and classifier-free guidance, as official DiT's sample.py / MindONE's.
/// Settings: SampleConfig.settings (a MindONE YAML via -c, overridden by flags in either spelling).
runReportingErrors {
    let resolved = try SampleConfig.settings.resolve(Array(CommandLine.arguments.dropFirst()))
    let settings = try SampleConfig(resolved)
    try settings.validate()
    let log: (String) -> Void = { if !settings.quiet { print($0) } }
    resolved.notes.forEach(log)

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

    let formatter = DateFormatter()
    formatter.dateFormat = "yyyy-MM-dd'T'HH-mm-ss"
    let folder = settings.outputPath ?? "samples/" + formatter.string(from: Date())
    var pipeline = SamplePipeline(config: settings)
    pipeline.quiet = settings.quiet
    pipeline.log = log
    let result = try pipeline.run(denoiser: DiTDenoiser(dit), decoder: VAEDecoder(vae), outputFolder: folder)
    log("wrote " + result.files.joined(separator: ", "))
}
