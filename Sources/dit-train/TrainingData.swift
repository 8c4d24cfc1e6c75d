import CLISupport
import Datasets
import Foundation
import Models

/// The latents a run trains on: a given `latent_cache`, or the images of `data_path` encoded once by
/// `vae_checkpoint` into `<run>/latents.safetensors` (the encoder is deterministic, so encoding once and
/// drawing `scale · (mean + σ·ε)` each step is what the official code computes online each step).
struct TrainingData {
    let cache: LatentCache
    /// Random horizontal flips in training.
    let flip: Bool
    let description: String

    init(settings: ResolvedSettings, runFolder: String, quiet: Bool, log: (String) -> Void) throws {
        let imageSize = settings.int("image_size")
        let imageFolder = settings.bool("imagenet_format")
        let requestedFlip = settings.optionalBool("flip")
        if let path = settings.optionalString("latent_cache") {
            do {
                cache = try LatentCache(path: path)
            } catch let error as DatasetError {
                throw Failure("latent_cache: \(error.description)")
            }
            if cache.info.imageSize != imageSize {
                throw Failure("latent_cache \(path) was made at image_size \(cache.info.imageSize), this run uses \(imageSize)")
            }
            if let transform = settings.optionalString("transform"), transform != cache.info.transform.rawValue {
                throw Failure("latent_cache \(path) was made with transform '\(cache.info.transform.rawValue)', this run asks for '\(transform)'")
            }
            if settings.isGiven("vae_checkpoint") {
                let vae = try TrainingData.describeVAE(settings.string("vae_checkpoint"))
                do { try cache.check(LatentCacheInfo(imageSize: imageSize, vae: vae, transform: cache.info.transform, flip: false)) } catch let error as DatasetError {
                    throw Failure(error.description)
                }
            }
            if requestedFlip == true && !cache.hasFlipped {
                throw Failure("flip is True but latent_cache \(path) holds no flipped latents (made with flip False)")
            }
            flip = requestedFlip ?? cache.hasFlipped
            description = "latent cache \(path): \(cache.count) samples, \(cache.info.imageSize)px, transform \(cache.info.transform.rawValue), VAE \(cache.info.vae)"
            return
        }
        let dataPath = settings.string("data_path")
        let layout: DatasetLayout = imageFolder ? .imageFolder : .mindoneCSV
        let transformName = settings.optionalString("transform") ?? (imageFolder ? "adm" : "mindone")
        flip = requestedFlip ?? imageFolder
        let samples: [DatasetSample]
        do { samples = try layout.samples(root: dataPath) } catch let error as DatasetError {
            throw Failure("data_path: \(error.description)")
        }
        let vaePath = settings.string("vae_checkpoint")
        let vaeDescription = try TrainingData.describeVAE(vaePath)
        let options = ExtractionOptions(imageSize: imageSize, transform: ImageTransform(rawValue: transformName)!, flip: flip)
        let target = runFolder + "/latents.safetensors"
        if FileManager.default.fileExists(atPath: target), let existing = try? LatentCache(path: target),
           existing.info == LatentCacheInfo(imageSize: imageSize, vae: vaeDescription, transform: options.transform, flip: flip) {
            cache = existing
            description = "latents of \(dataPath) from the run folder (\(target), \(existing.count) samples)"
            return
        }
        let vae: AutoencoderKL
        do { vae = try AutoencoderKL(path: vaePath) } catch {
            let hint = settings.isGiven("vae_checkpoint") ? "" : " (the default)"
            throw Failure("vae_checkpoint \(vaePath)\(hint): \(error)")
        }
        log("encoding \(samples.count) images of \(dataPath) (\(imageFolder ? "ImageFolder" : "MindONE CSV"), transform \(transformName), flip \(flip ? "True" : "False")) with \(vaeDescription)")
        let progress = ProgressLine(quiet: quiet)
        do {
            let extractor = try LatentExtractor(vae: vae, vaeDescription: vaeDescription, options: options)
            let report = try extractor.run(samples: samples, output: target) { progress.update(items: $0, of: $1, unit: "images") }
            log(String(format: "  %d latents in %.1f s → %@", report.count, report.decodeSeconds + report.encodeSeconds, target))
            cache = try LatentCache(path: target)
        } catch let error as DatasetError {
            throw Failure(error.description)
        }
        description = "\(dataPath): \(cache.count) images encoded to \(target)"
    }

    private static func describeVAE(_ path: String) throws -> String {
        do { return try LatentCacheInfo.describeVAE(path: path) } catch {
            throw Failure("vae_checkpoint \(path): \(error)")
        }
    }
}
