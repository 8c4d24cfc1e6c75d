import Foundation
import Checkpoint

/// A latent cache (issue 11, `dit-latents-v1`): safetensors with `mean`, `logvar` f32 [N, C, S, S]
/// (unscaled, diffusers `latent_dist`), `labels` i64 [N], optionally `mean_flipped` / `logvar_flipped`
/// for the mirrored crops; metadata `scale_factor`, `image_size`, `count`, ... Read in place from the
/// mapped file with the project's safetensors reader (memory: one sample at a time).
public final class LatentCache {
    public let path: String
    public let count: Int
    public let channels: Int
    public let size: Int
    public let labels: [Int]  // [N]
    public let metadata: [String: String]
    public let hasFlipped: Bool
    private let mean: Tensor, logvar: Tensor
    private let meanFlipped: Tensor?, logvarFlipped: Tensor?
    private let checkpoint: Checkpoint

    /// Elements of one sample's latent (C·S·S).
    public var sampleElements: Int { channels * size * size }

    public init(path: String) throws {
        let checkpoint: Checkpoint
        do {
            checkpoint = try Checkpoint(path: path)
        } catch let error as CheckpointError {
            throw TrainingError("cannot read the latent cache \(path): \(error.message)")
        }
        guard checkpoint.format == .safetensors else {
            throw TrainingError("latent cache \(path) is a \(checkpoint.format) file, expected safetensors (made by dit-extract)")
        }
        let tensors = Dictionary(try checkpoint.tensors().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
        func required(_ name: String) throws -> Tensor {
            guard let t = tensors[name] else { throw TrainingError("latent cache \(path) has no '\(name)' tensor (expected mean, logvar, labels)") }
            return t
        }
        let mean = try required("mean"), logvar = try required("logvar"), labels = try required("labels")
        guard mean.dtype == .f32, mean.shape.count == 4, mean.shape[2] == mean.shape[3] else {
            throw TrainingError("latent cache \(path): 'mean' is \(mean.dtype) \(mean.shape), expected f32 [N, 4, S, S]")
        }
        guard logvar.dtype == .f32, logvar.shape == mean.shape else {
            throw TrainingError("latent cache \(path): 'logvar' is \(logvar.dtype) \(logvar.shape), expected f32 \(mean.shape)")
        }
        guard labels.dtype == .i64, labels.shape == [mean.shape[0]] else {
            throw TrainingError("latent cache \(path): 'labels' is \(labels.dtype) \(labels.shape), expected i64 [\(mean.shape[0])]")
        }
        let meanFlipped = tensors["mean_flipped"], logvarFlipped = tensors["logvar_flipped"]
        if (meanFlipped == nil) != (logvarFlipped == nil) {
            throw TrainingError("latent cache \(path) has only one of mean_flipped / logvar_flipped")
        }
        for t in [meanFlipped, logvarFlipped].compactMap({ $0 }) where t.dtype != .f32 || t.shape != mean.shape {
            throw TrainingError("latent cache \(path): a flipped tensor is \(t.dtype) \(t.shape), expected f32 \(mean.shape)")
        }
        guard mean.shape[0] > 0 else { throw TrainingError("latent cache \(path) holds no samples") }
        self.path = path
        self.checkpoint = checkpoint
        self.count = mean.shape[0]
        self.channels = mean.shape[1]
        self.size = mean.shape[2]
        self.labels = try labels.doubleValues().map { Int($0) }
        self.metadata = checkpoint.metadata
        self.mean = mean
        self.logvar = logvar
        self.meanFlipped = meanFlipped
        self.logvarFlipped = logvarFlipped
        self.hasFlipped = meanFlipped != nil
        if let declared = metadata["count"], Int(declared) != count {
            throw TrainingError("latent cache \(path): metadata count \(declared) but the tensors hold \(count) samples")
        }
    }

    /// The cache's `scale_factor` metadata, if present.
    public var scaleFactor: Float? { metadata["scale_factor"].flatMap(Float.init) }

    /// Writes x₀ = scale · (mean + exp(logvar/2) · ε) of sample `index` into `out` (f32 ops in the
    /// diffusers order: std = exp(0.5·logvar), sample = mean + std·ε, then `.mul_(scale)`).
    /// `flipped` picks the mirrored crop's moments.  // out: [C·S·S]
    public func latent(_ index: Int, flipped: Bool, vaeNoise: ArraySlice<Float>, scale: Float, into out: inout ArraySlice<Float>) throws {
        let elements = sampleElements
        let m = flipped ? meanFlipped! : mean, l = flipped ? logvarFlipped! : logvar
        try m.withContiguousBytes { meanBytes in
            try l.withContiguousBytes { logvarBytes in
                let base = index * elements * 4  // byte offset (safetensors data need not be 4-byte aligned)
                var o = out.startIndex, e = vaeNoise.startIndex
                for i in 0..<elements {
                    let mi = meanBytes.loadUnaligned(fromByteOffset: base + 4 * i, as: Float.self)
                    let li = logvarBytes.loadUnaligned(fromByteOffset: base + 4 * i, as: Float.self)
                    let std = Float.expF(0.5 * li)
                    out[o] = (mi + std * vaeNoise[e]) * scale
                    o += 1
                    e += 1
                }
            }
        }
    }
}

extension Float {
    /// f32 exp (correctly rounded via double; torch's vectorised exp may differ by an ulp).
    static func expF(_ x: Float) -> Float { Float(Foundation.exp(Double(x))) }
}
