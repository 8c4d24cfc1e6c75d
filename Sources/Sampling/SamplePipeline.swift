import Diffusion
import Foundation
import Imaging

/// One `dit-sample` run: noise → DiT sampling loop → VAE decode → PNG files.
public struct SamplePipeline {
    public var config: SampleConfig
    public var log: (String) -> Void = { _ in }
    public var quiet = false

    public init(config: SampleConfig) { self.config = config }

    public struct Result {
        /// `[n, C, L, L]` f32 final latents (before the scale factor is undone).
        public var latents: [Float]
        /// `[n, 3, H, W]` f32 decoded images.
        public var images: [Float]
        public var imageSize: Int
        /// Files written.
        public var files: [String]
    }

    /// Samples one image per configured label and writes the PNG(s) into `outputFolder`.
    public func run(denoiser: GuidedDenoiser, decoder: LatentDecoder, outputFolder: String) throws -> Result {
        try config.validate()
        try Self.check(config, against: denoiser)
        let latentSize = config.imageSize / 8
        let diffusion = try GaussianDiffusion(respacing: config.respacing)
        let sampler = DiTSampler(diffusion: diffusion, method: config.ddimSampling ? .ddim(eta: Float(config.ddimEta)) : .ddpm)
        let guided = config.guidanceScale != 1  // scale 1 is the conditional model itself; anything else mixes in the null label
        let channels = denoiser.latentChannels
        let labels = config.classLabels
        log("sampling \(labels.count) image(s) at \(config.imageSize)×\(config.imageSize): \(config.ddimSampling ? "DDIM" : "DDPM") \(config.samplingSteps) steps, "
            + (guided ? "CFG \(config.guidanceScale) on \(config.cfgChannels) channels" : "no guidance") + ", seed \(config.seed)"
            + (config.noiseFile.map { " (noise injected from \($0))" } ?? ""))

        let progress = StepProgress(label: "sampling", quiet: quiet)
        var trajectory: [(name: String, shape: [Int], values: [Float])] = []
        let batch = guided ? 2 * labels.count : labels.count
        let denoise: DiTSampler.Denoiser = { x, t, y in
            try denoiser.denoise(x: x, timesteps: t, labels: y, cfgScale: Float(config.guidanceScale), guidedChannels: config.cfgChannels)
        }
        let onStep: (Int, Int, [Float]) -> Void = { step, total, x in
            progress.update(done: step + 1, total: total)
            if config.saveTrajectory != nil { trajectory.append(("x.\(step)", [batch, channels, latentSize, latentSize], x)) }
        }
        progress.update(done: 0, total: diffusion.stepCount)
        let latents: [Float]
        if let path = config.noiseFile {
            var noise = try InjectedNoise(path: path)
            latents = try sampler.sample(labels: labels, channels: channels, latentSize: latentSize, guided: guided,
                                         nullClass: denoiser.numClasses, noise: &noise, denoise: denoise, onStep: onStep)
        } else {
            var noise = TorchGenerator(seed: config.seed)
            latents = try sampler.sample(labels: labels, channels: channels, latentSize: latentSize, guided: guided,
                                         nullClass: denoiser.numClasses, noise: &noise, denoise: denoise, onStep: onStep)
        }
        let latentShape = [labels.count, channels, latentSize, latentSize]
        if let path = config.saveTrajectory { try LatentDump.write(trajectory, to: path) }

        // vae.decode(samples / 0.18215): the scale is a float32 scalar in torch's arithmetic.
        let scale = Float(config.sdScaleFactor)
        let images = try decoder.decode(latents.map { $0 / scale }, count: labels.count, latentSize: latentSize)
        let size = config.imageSize
        if let path = config.saveLatents {
            try LatentDump.write([("latents", latentShape, latents), ("images", [labels.count, 3, size, size], images)], to: path)
        }
        try FileManager.default.createDirectory(atPath: outputFolder, withIntermediateDirectories: true)
        var files: [String] = []
        if config.imagegrid {
            let grid = ImageGrid.torchvisionGrid(images, count: labels.count, height: size, width: size, nrow: config.gridColumns)
            let path = outputFolder + "/sample.png"
            try PNGWriter.write(pixels: grid.pixels, width: grid.width, height: grid.height, to: path)
            files.append(path)
        } else {
            var used: [Int: Int] = [:]
            for (k, label) in labels.enumerated() {
                let repeatIndex = used[label, default: 0]
                used[label] = repeatIndex + 1
                let path = outputFolder + "/class-\(label)" + (repeatIndex > 0 ? "-\(repeatIndex)" : "") + ".png"
                try PNGWriter.write(pixels: ImageGrid.mindoneImage(images, index: k, height: size, width: size), width: size, height: size, to: path)
                files.append(path)
            }
        }
        return Result(latents: latents, images: images, imageSize: size, files: files)
    }

    /// The settings against the loaded DiT: image size and class count.
    static func check(_ config: SampleConfig, against denoiser: GuidedDenoiser) throws {
        let latentSize = config.imageSize / 8
        guard latentSize == denoiser.latentSize else {
            throw SampleConfig.Failure(description: "the DiT checkpoint is built for \(denoiser.latentSize * 8)×\(denoiser.latentSize * 8) images (latent \(denoiser.latentSize)) but image_size is \(config.imageSize)")
        }
        guard config.numClasses == denoiser.numClasses else {
            throw SampleConfig.Failure(description: "num_classes is \(config.numClasses) but the DiT checkpoint has \(denoiser.numClasses) classes")
        }
    }
}
