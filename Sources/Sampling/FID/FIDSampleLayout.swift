import Foundation

/// Where FID sampling writes and how its batches are shared out.
///
/// Files as official sample_ddp.py names them: `{sample_dir}/{folder}/{index:06d}.png` and
/// `{sample_dir}/{folder}.npz`, with folder
/// `{model with / → -}-{ckpt file name with ".pt" removed}-size-{image_size}-vae-{vae}-cfg-{cfg_scale}-seed-{global_seed}`
/// (sample_ddp.py lines 84–88; the scale printed as Python prints a float).
///
/// Work: exactly `count` images (sample_ddp.py rounds up to a multiple of batch × world and writes the
/// extra PNGs unused) in batches of consecutive indices `[c·B, min((c+1)·B, count))`; process r of W
/// takes batches c ≡ r (mod W). The batches — and so every bit of every image — are the same for any W.
public struct FIDSampleLayout: Equatable {
    /// Images to make.
    public let count: Int
    /// Images per batch (per process).
    public let batch: Int
    public let sampleDir: String
    public let folderName: String

    public init(count: Int, batch: Int, sampleDir: String, folderName: String) {
        precondition(count > 0 && batch > 0, "FIDSampleLayout: count \(count), batch \(batch)")
        self.count = count
        self.batch = batch
        self.sampleDir = sampleDir
        self.folderName = folderName
    }

    /// The layout of a `dit-sample --num_fid_samples` run.
    public init(config: SampleConfig) {
        let vae = config.vaeName ?? Self.vaeName(checkpoint: config.vaeCheckpoint)
        self.init(count: config.numFidSamples ?? 0, batch: config.perProcBatchSize, sampleDir: config.sampleDir,
                  folderName: Self.folderName(model: config.modelName, checkpoint: config.ditCheckpoint, imageSize: config.imageSize,
                                              vae: vae, cfgScale: config.guidanceScale, seed: config.seed))
    }

    /// The folder holding the PNGs.
    public var folder: String { sampleDir + "/" + folderName }
    /// The archive beside it (`f"{sample_folder_dir}.npz"`).
    public var archivePath: String { folder + ".npz" }
    /// The PNG of global sample `index`.
    public func pngPath(_ index: Int) -> String { folder + "/" + String(format: "%06d", index) + ".png" }

    /// Number of batches.
    public var batchCount: Int { (count + batch - 1) / batch }
    /// Global indices of batch `c`.
    public func indices(ofBatch c: Int) -> Range<Int> { (c * batch)..<min((c + 1) * batch, count) }
    /// The batches process `rank` of `world` makes, in order.
    public func batches(rank: Int, world: Int) -> [Int] { Array(stride(from: rank, to: batchCount, by: world)) }

    /// sample_ddp.py's folder name.
    public static func folderName(model: String, checkpoint: String?, imageSize: Int, vae: String, cfgScale: Double, seed: UInt64) -> String {
        let modelName = model.replacingOccurrences(of: "/", with: "-")
        let checkpointName = checkpoint.map { path in
            String(path.split(separator: "/", omittingEmptySubsequences: false).last ?? "").replacingOccurrences(of: ".pt", with: "")
        } ?? "pretrained"
        return "\(modelName)-\(checkpointName)-size-\(imageSize)-vae-\(vae)-cfg-\(pythonFloat(cfgScale))-seed-\(seed)"
    }

    /// `repr(float)` as Python prints it (shortest round-trip digits; `4.0`, `1.5`, `1e-05`).
    static func pythonFloat(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        return value.description
    }

    /// The VAE's name for the folder: sample_ddp.py's `--vae` is `ema` or `mse` (stabilityai/sd-vae-ft-ema,
    /// -mse); here the weights are a path, so `ema`/`mse` when the file name says so, else the file name
    /// without its extension.
    public static func vaeName(checkpoint path: String) -> String {
        let base = String(path.split(separator: "/").last ?? Substring(path))
        let lower = base.lowercased()
        if lower.contains("ft-ema") { return "ema" }
        if lower.contains("ft-mse") { return "mse" }
        if let dot = base.lastIndex(of: "."), dot != base.startIndex { return String(base[..<dot]) }
        return base
    }
}
