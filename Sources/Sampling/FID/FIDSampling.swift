import Diffusion
import Distributed
import Foundation
import Imaging

/// FID sampling as official sample_ddp.py, over the processes of `communicator` (or one process):
/// every process makes its batches of `FIDSampleLayout` (labels and noise per global index,
/// `IndexedSampleNoise`) and writes each image as `{index:06d}.png` (atomically, so an interrupted run
/// leaves only whole files); batches whose PNGs all exist are skipped, so a rerun resumes. After a
/// barrier rank 0 streams the PNGs into `{folder}.npz` (`FIDSampleArchive`); a final barrier lets every
/// process finish together.
public struct FIDSampling {
    public let config: SampleConfig
    public let layout: FIDSampleLayout
    public let communicator: Communicator
    /// Log lines (the caller passes a no-op on ranks other than 0).
    public var log: (String) -> Void = { _ in }
    public var quiet = false

    public init(config: SampleConfig, communicator: Communicator) {
        self.config = config
        self.layout = FIDSampleLayout(config: config)
        self.communicator = communicator
    }

    public struct Result: Equatable {
        /// Images this process sampled, and those it found already written.
        public var sampled: Int
        public var skipped: Int
        /// Over all processes.
        public var totalSampled: Int
        public var totalSkipped: Int
        /// The `.npz` written (all ranks return its path).
        public var archive: String
    }

    public func run(denoiser: GuidedDenoiser, decoder: LatentDecoder) throws -> Result {
        try config.validate()
        try SamplePipeline.check(config, against: denoiser)
        let rank = communicator.rank, world = communicator.size
        // Processes started with different settings would write different images under one name.
        let plan = "\(layout.folder)|\(layout.count)|\(layout.batch)|\(config.samplingSteps)|\(config.ddimSampling)|\(config.ddimEta)|\(config.cfgChannels)|\(config.sdScaleFactor)"
        guard communicator.agree(on: Self.fingerprint(plan)) else {
            throw SampleConfig.Failure(description: "the processes of this job were given different settings (sample folder, count, batch size or sampler)")
        }
        if rank == 0 {
            try FileManager.default.createDirectory(atPath: layout.folder, withIntermediateDirectories: true)
        }
        communicator.barrier()
        let guided = config.guidanceScale != 1
        let diffusion = try GaussianDiffusion(respacing: config.respacing)
        let sampler = DiTSampler(diffusion: diffusion, method: config.ddimSampling ? .ddim(eta: Float(config.ddimEta)) : .ddpm)
        let mine = layout.batches(rank: rank, world: world)
        log("FID sampling: \(layout.count) images at \(config.imageSize)×\(config.imageSize) in \(layout.batchCount) batches of \(layout.batch) over \(world) process(es); "
            + "\(config.ddimSampling ? "DDIM" : "DDPM") \(config.samplingSteps) steps, " + (guided ? "CFG \(config.guidanceScale)" : "no guidance")
            + ", global seed \(config.seed) → \(layout.folder)")
        let progress = StepProgress(label: "batches", quiet: quiet)
        progress.update(done: 0, total: mine.count)
        var sampled = 0, skipped = 0
        for (done, c) in mine.enumerated() {
            let indices = layout.indices(ofBatch: c)
            if indices.allSatisfy({ FileManager.default.fileExists(atPath: layout.pngPath($0)) }) {
                skipped += indices.count
            } else {
                let images = try sampleBatch(indices, sampler: sampler, denoiser: denoiser, decoder: decoder, guided: guided)
                for (row, index) in indices.enumerated() {
                    try PNGWriter.write(pixels: images[row], width: config.imageSize, height: config.imageSize, to: layout.pngPath(index))
                }
                sampled += indices.count
            }
            progress.update(done: done + 1, total: mine.count)
        }
        var totals = [Double(sampled), Double(skipped)]  // [2] f64
        communicator.allreduceSum(&totals)
        log("sampled \(Int(totals[0])) image(s)" + (totals[1] > 0 ? ", skipped \(Int(totals[1])) already written" : ""))
        communicator.barrier()
        if rank == 0 {
            try FIDSampleArchive.write(layout: layout, imageSize: config.imageSize)
            log("wrote \(layout.archivePath) (arr_0 uint8 [\(layout.count), \(config.imageSize), \(config.imageSize), 3])")
        }
        communicator.barrier()
        return Result(sampled: sampled, skipped: skipped, totalSampled: Int(totals[0]), totalSkipped: Int(totals[1]), archive: layout.archivePath)
    }

    /// The `[H, W, 3]` u8 images of global samples `indices`.
    func sampleBatch(_ indices: Range<Int>, sampler: DiTSampler, denoiser: GuidedDenoiser, decoder: LatentDecoder, guided: Bool) throws -> [[UInt8]] {
        let latentSize = config.imageSize / 8, channels = denoiser.latentChannels
        var noise = IndexedSampleNoise(globalSeed: config.seed, indices: indices, perSample: channels * latentSize * latentSize,
                                       numClasses: denoiser.numClasses, guided: guided)
        let labels = noise.labels
        let latents = try sampler.sample(labels: labels, channels: channels, latentSize: latentSize, guided: guided, nullClass: denoiser.numClasses,
                                         noise: &noise, denoise: { x, t, y in
            try denoiser.denoise(x: x, timesteps: t, labels: y, cfgScale: Float(config.guidanceScale), guidedChannels: config.cfgChannels)
        })  // [n, C, L, L]
        // vae.decode(samples / 0.18215), the scale a float32 scalar as in torch.
        let scale = Float(config.sdScaleFactor)
        let images = try decoder.decode(latents.map { $0 / scale }, count: indices.count, latentSize: latentSize)  // [n, 3, H, W]
        return (0..<indices.count).map { ImageGrid.sampleDDPImage(images, index: $0, height: config.imageSize, width: config.imageSize) }
    }

    /// FNV-1a of `text` (to compare settings across processes).
    static func fingerprint(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01B3
        }
        return hash
    }
}
