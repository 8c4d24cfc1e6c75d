import CLISupport
import Datasets
import Foundation
import Kernels
import Models
/// `dit-extract`: dataset → crops → VAE posterior → latent cache (docs/data.md). Settings: ExtractSettings.
runReportingErrors {
    ProcessMemory.keepFreedImageBuffers()
    let settings = try ExtractSettings.tool.resolve(Array(CommandLine.arguments.dropFirst()))
    for note in settings.notes { fputs("note: \(note)\n", stderr) }
    let dataPath = try settings.requiredString("data_path")
    if let threads = settings.optionalInt("threads") { Parallel.threadCount = max(1, threads) }
    let quiet = settings.bool("quiet")
    let options = ExtractionOptions(imageSize: settings.int("image_size"), transform: ImageTransform(rawValue: settings.string("transform"))!,
                                    flip: settings.bool("flip"), batchSize: settings.int("batch_size"), skipBad: settings.bool("skip_bad"),
                                    previewDirectory: settings.optionalString("preview_dir"))
    let layout: DatasetLayout = settings.bool("imagenet_format") ? .imageFolder : .mindoneCSV
    let samples = try layout.samples(root: dataPath)
    if let preview = options.previewDirectory {
        try FileManager.default.createDirectory(atPath: preview, withIntermediateDirectories: true)
    }
    let progress = ProgressLine(quiet: quiet)
    if settings.bool("decode_only") {
        let loader = CropLoader(imageSize: options.imageSize, transform: options.transform)
        let done = try loader.run(samples: samples, options: options) { progress.update(items: $0, of: $1, unit: "images") }
        reportSkipped(done.skipped)
        print(String(format: "decoded and cropped %d images (%d skipped) in %.2f s: %.1f images/s", done.count, done.skipped.count,
                     done.seconds, Double(done.count + done.skipped.count) / max(done.seconds, 1e-9)))
        return
    }
    let vaePath = try settings.requiredString("vae_checkpoint"), output = try settings.requiredString("output")
    let vae = try AutoencoderKL(path: vaePath)
    let vaeDescription = settings.bool("vae_unknown") ? "unknown" : try LatentCacheInfo.describeVAE(path: vaePath)
    let extractor = try LatentExtractor(vae: vae, vaeDescription: vaeDescription, options: options)
    if !quiet {
        print("\(samples.count) images (\(layout == .imageFolder ? "ImageFolder" : "MindONE CSV")), transform \(options.transform.rawValue), "
              + "\(options.imageSize)px, flip \(options.flip ? "True" : "False"), VAE \(vaeDescription)")
        if options.transform == .mindone { print("note: mindone normalises as u/127.5 - 1 (MindONE), adm as ToTensor + Normalize(0.5, 0.5)") }
    }
    let report = try extractor.run(samples: samples, output: output) { done, total in progress.update(items: done, of: total, unit: "images") }
    reportSkipped(report.skipped)
    let total = report.decodeSeconds + report.encodeSeconds
    print(String(format: "wrote %@: %d latents (%d skipped) in %.2f s (decode+crop %.2f s, encode %.2f s, %.1f images/s)",
                 output, report.count, report.skipped.count, total, report.decodeSeconds, report.encodeSeconds,
                 Double(report.count + report.skipped.count) / max(total, 1e-9)))
    if Profile.enabled {  // DITPORT_PROFILE=1: where the encode time went, per kernel family
        fputs("profile: " + Profile.snapshot().map { String(format: "%@ %.3f s (%d calls)", $0.name, $0.seconds, $0.calls) }
            .joined(separator: ", ") + "\n", stderr)
    }
}

func reportSkipped(_ skipped: [DatasetError]) {
    guard !skipped.isEmpty else { return }
    fputs("skipped \(skipped.count) bad image(s):\n", stderr)
    for error in skipped { fputs("  \(error.description)\n", stderr) }
}

