import Imaging
import Kernels
import Models

/// Settings of one extraction (what `dit-extract` reads from its flags).
public struct ExtractionOptions: Sendable {
    public var imageSize: Int
    public var transform: ImageTransform
    /// Also encode the mirrored crop (`mean_flipped`, `logvar_flipped`), for training with random flips.
    public var flip: Bool
    /// Images encoded together.
    public var batchSize: Int
    /// Skip unreadable images (reported at the end) instead of stopping at the first.
    public var skipBad: Bool
    /// Write each crop as the encoder sees it to `DIR/{index:06d}.png` (index = dataset order).
    public var previewDirectory: String?

    public init(imageSize: Int = 256, transform: ImageTransform = .adm, flip: Bool = false, batchSize: Int = 8,
                skipBad: Bool = false, previewDirectory: String? = nil) {
        self.imageSize = imageSize
        self.transform = transform
        self.flip = flip
        self.batchSize = batchSize
        self.skipBad = skipBad
        self.previewDirectory = previewDirectory
    }
}

/// What an extraction did.
public struct ExtractionReport: Sendable {
    /// Samples in the cache.
    public var count: Int
    /// Images skipped with `skipBad` (dataset order): the one-line reason names the file.
    public var skipped: [DatasetError]
    /// Seconds spent decoding + cropping and encoding (wall clock).
    public var decodeSeconds: Double
    public var encodeSeconds: Double
}

/// Dataset → crops → VAE posterior → latent cache, batch by batch (memory: one batch of crops and moments).
public final class LatentExtractor {
    public let vae: AutoencoderKL
    public let info: LatentCacheInfo
    public let options: ExtractionOptions

    /// `vaeDescription`: `LatentCacheInfo.describeVAE(path:)` or `unknown`.
    public init(vae: AutoencoderKL, vaeDescription: String, options: ExtractionOptions) throws {
        let factor = 1 << (vae.config.blockOutChannels.count - 1)
        guard options.imageSize > 0, options.imageSize % factor == 0 else {
            throw DatasetError("image_size \(options.imageSize) must be a positive multiple of \(factor) (the VAE's downsampling factor)")
        }
        guard options.batchSize > 0 else { throw DatasetError("batch_size must be positive, got \(options.batchSize)") }
        self.vae = vae
        self.options = options
        self.info = LatentCacheInfo(imageSize: options.imageSize, vae: vaeDescription, transform: options.transform, flip: options.flip)
    }

    /// Encodes `samples` into the cache at `output` (written atomically at the end). `progress(done, total)`
    /// is called after each batch. Without `skipBad` the first bad image stops the run and no cache is written.
    public func run(samples: [DatasetSample], output: String, progress: ((Int, Int) -> Void)? = nil) throws -> ExtractionReport {
        guard !samples.isEmpty else { throw DatasetError("the dataset is empty: no image to encode") }
        let factor = 1 << (vae.config.blockOutChannels.count - 1), size = options.imageSize
        let latentShape = [vae.config.latentChannels, size / factor, size / factor]
        let writer = try LatentCacheWriter(path: output, info: info, latentShape: latentShape)
        let loader = CropLoader(imageSize: options.imageSize, transform: options.transform)
        let table = options.transform.normalisationTable
        var report = ExtractionReport(count: 0, skipped: [], decodeSeconds: 0, encodeSeconds: 0)
        var start = 0
        while start < samples.count {
            let batch = Array(samples[start..<min(start + options.batchSize, samples.count)])
            var t = monotonicSeconds()
            let crops = try loader.crops(of: batch, firstIndex: start, options: options, skipped: &report.skipped)
            report.decodeSeconds += monotonicSeconds() - t
            t = monotonicSeconds()
            if !crops.isEmpty {
                let moments = try encode(crops.map(\.image), table: table)
                let flipped = options.flip ? try encode(crops.map { $0.image.flippedHorizontally() }, table: table) : nil
                let plane = 2 * latentShape.reduce(1, *)
                try moments.values.withUnsafeBufferPointer { m in
                    let f = flipped?.values
                    for (i, crop) in crops.enumerated() {
                        let own = UnsafeBufferPointer(rebasing: m[(i * plane)..<((i + 1) * plane)])
                        if let f {
                            try f.withUnsafeBufferPointer { fp in
                                try writer.append(moments: own, flipped: UnsafeBufferPointer(rebasing: fp[(i * plane)..<((i + 1) * plane)]),
                                                  label: crop.sample.label)
                            }
                        } else {
                            try writer.append(moments: own, flipped: nil, label: crop.sample.label)
                        }
                    }
                }
            }
            report.encodeSeconds += monotonicSeconds() - t
            start += batch.count
            progress?(start, samples.count)
        }
        guard writer.count > 0 else {
            throw DatasetError("no image could be read (\(report.skipped.count) skipped): no cache written", file: output)
        }
        try writer.finish()
        report.count = writer.count
        return report
    }

    /// Moments `[B, 2·C, h, w]` of crops normalised by `table` into `[B, 3, S, S]`.
    public func encode(_ crops: [RGBImage], table: [Float]) throws -> FloatTensor {
        let size = options.imageSize, plane = 3 * size * size
        let input = FloatTensor(shape: [crops.count, 3, size, size]) { out in  // [B, 3, S, S]
            for (i, crop) in crops.enumerated() {
                crop.writeCHW(into: UnsafeMutableBufferPointer(rebasing: out[(i * plane)..<((i + 1) * plane)]), table: table)
            }
        }
        return try vae.encode(input)
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Seconds on the monotonic clock.
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}
