import CLISupport
import Distributed
import Foundation
import Kernels
import Models
import Sampling

/// `dit-sample`: class-conditional images from a DiT + SD-VAE checkpoint in any supported format and
/// naming, with DDPM or DDIM and classifier-free guidance, as official DiT's sample.py / MindONE's;
/// with `--num_fid_samples` as official sample_ddp.py (FID folders and `.npz`), alone or under
/// `mpirun ... --use_parallel True`.
/// Settings: SampleConfig.settings (a MindONE YAML via -c, overridden by flags in either spelling).
runReportingErrors {
    let resolved = try SampleConfig.settings.resolve(Array(CommandLine.arguments.dropFirst()))
    let settings = try SampleConfig(resolved)
    try settings.validate()
    // Before MPI_Init: the launcher is recognised by its environment (docs/distributed.md).
    let launch = LaunchEnvironment.detect()
    let communicator = DistributedLaunch.start(useParallel: settings.useParallel, tool: "dit-sample", environment: launch)
    let alone = communicator is SingleProcessCommunicator
    do {
        try sample(settings, notes: resolved.notes, communicator: communicator, launch: launch)
        communicator.finalize()
    } catch {
        if alone { throw error }
        communicator.abort("\(error)")
    }
}

func sample(_ settings: SampleConfig, notes: [String], communicator: Communicator, launch: LaunchEnvironment) throws {
    if communicator.size > 1 && settings.numFidSamples == nil {
        throw SampleConfig.Failure(description: "use_parallel with \(communicator.size) processes needs --num_fid_samples (the class_labels mode writes one set of files)")
    }
    // Processes sharing a host share its cores (one worker thread each on 2 cores with -n 2).
    if launch.isLaunched && ProcessInfo.processInfo.environment["DITPORT_THREADS"] == nil {
        Parallel.threadCount = DistributedLaunch.threadsPerProcess(cores: ProcessInfo.processInfo.activeProcessorCount,
                                                                    localSize: launch.localSize ?? communicator.size)
    }
    let log: (String) -> Void = { if !settings.quiet && communicator.rank == 0 { print($0) } }
    notes.forEach(log)

    var options = LoadOptions()
    options.keepHalfPrecision = settings.dtype != "fp32"
    options.imageSize = settings.imageSize
    let ditWeights = try ModelLoader.load(settings.ditCheckpoint, family: .dit, options: options)
    guard let ditConfig = ditWeights.conversion.dit else { throw SampleConfig.Failure(description: "\(settings.ditCheckpoint): not a DiT") }
    log("dit: \(ditWeights.path) (\(ditWeights.format.rawValue), \(ditWeights.conversion.sourceConvention) naming) — \(ditConfig)")
    if settings.modelName.hasPrefix("DiT-"), let paper = ditConfig.paperName, paper != settings.modelName {
        throw SampleConfig.Failure(description: "model_name is \(settings.modelName) but \(settings.ditCheckpoint) holds \(paper)")
    }
    let (precision, precisionNote) = ComputePrecision.resolve(dtype: settings.dtype)
    if let precisionNote { log(precisionNote) }
    let dit = try DiT(weights: ditWeights.weights, config: ditConfig, heads: settings.numHeads, precision: precision)
    if precision == .bf16 {
        log("compute: \(precision) for the DiT blocks' qkv, proj, fc1, fc2 and the VAE's convolutions and attention projections; the rest float32")
    }
    var vaeOptions = LoadOptions()
    vaeOptions.keepHalfPrecision = options.keepHalfPrecision
    let vaeWeights = try ModelLoader.load(settings.vaeCheckpoint, family: .vae, options: vaeOptions)
    guard let vaeConfig = vaeWeights.conversion.vae else { throw SampleConfig.Failure(description: "\(settings.vaeCheckpoint): not a VAE") }
    log("vae: \(vaeWeights.path) (\(vaeWeights.format.rawValue), \(vaeWeights.conversion.sourceConvention) naming) — \(vaeConfig)")
    let vae = try AutoencoderKL(weights: vaeWeights.weights, config: vaeConfig, groups: settings.vaeNormGroups, precision: precision)

    if settings.numFidSamples != nil {
        var run = FIDSampling(config: settings, communicator: communicator)
        run.log = log
        run.quiet = settings.quiet || communicator.rank != 0
        _ = try run.run(denoiser: DiTDenoiser(dit), decoder: VAEDecoder(vae))
        return
    }
    let formatter = DateFormatter()
    formatter.dateFormat = "yyyy-MM-dd'T'HH-mm-ss"
    let folder = settings.outputPath ?? "samples/" + formatter.string(from: Date())
    var pipeline = SamplePipeline(config: settings)
    pipeline.quiet = settings.quiet
    pipeline.log = log
    let result = try pipeline.run(denoiser: DiTDenoiser(dit), decoder: VAEDecoder(vae), outputFolder: folder)
    log("wrote " + result.files.joined(separator: ", "))
}
