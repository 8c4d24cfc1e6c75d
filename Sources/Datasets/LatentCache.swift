#if canImport(Glibc)
import Glibc
#endif
import Checkpoint
import Foundation

/// What a latent cache was made from. Stored in its safetensors `__metadata__`; a training run compares
/// the values it needs with `LatentCache.check(_:)`.
public struct LatentCacheInfo: Equatable, Sendable {
    /// `dit-latents-v1`.
    public static let formatName = "dit-latents-v1"
    /// SD's latent scale, which training multiplies the sampled latents by.
    public static let defaultScaleFactor = "0.18215"

    /// Crop size in pixels (latents are `image_size / 8`).
    public var imageSize: Int
    /// `<file name> sha256:<hex>` of the VAE weights, or `unknown` (then no VAE check is made).
    public var vae: String
    public var transform: ImageTransform
    /// Whether `mean_flipped` / `logvar_flipped` (the mirrored crops) are stored.
    public var flip: Bool
    public var scaleFactor: String = LatentCacheInfo.defaultScaleFactor

    public init(imageSize: Int, vae: String, transform: ImageTransform, flip: Bool, scaleFactor: String = LatentCacheInfo.defaultScaleFactor) {
        self.imageSize = imageSize
        self.vae = vae
        self.transform = transform
        self.flip = flip
        self.scaleFactor = scaleFactor
    }

    /// `<last path component> sha256:<hex digest>` of a VAE weights file; for a diffusers model folder,
    /// of its `diffusion_pytorch_model.safetensors` (or `.bin`).
    public static func describeVAE(path: String) throws -> String {
        var file = path
        var info = stat()
        if stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
            let candidates = ["diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.bin"].map { path + "/" + $0 }
            guard let found = candidates.first(where: { access($0, R_OK) == 0 }) else {
                throw DatasetError("no diffusion_pytorch_model.safetensors in the VAE folder", file: path)
            }
            file = found
        }
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return "\(name) sha256:\(try SHA256.hexDigest(file: file))"
    }

    /// The sha256 part of `vae`, if any.
    var vaeDigest: String? {
        guard let range = vae.range(of: "sha256:") else { return nil }
        return String(vae[range.upperBound...])
    }

    func metadata(count: Int) -> [String: String] {
        ["format": LatentCacheInfo.formatName, "image_size": String(imageSize), "scale_factor": scaleFactor, "vae": vae,
         "transform": transform.rawValue, "flip": flip ? "True" : "False", "count": String(count)]
    }
}

/// Writes a latent cache streaming: each encoded batch is appended to unlinked spool files next to the
/// target (memory stays one batch), and `finish()` writes the safetensors file atomically (temporary file,
/// fsync, rename) by copying the spools in the kernel. Nothing appears at `path` unless `finish()` succeeds;
/// a crash leaves nothing behind (the spools have no name).
///
/// Tensors: `mean`, `logvar` f32 `[N, C, h, w]` (diffusers' `latent_dist.mean` / clamped `logvar`, unscaled),
/// `labels` i64 `[N]`, and with `flip` also `mean_flipped`, `logvar_flipped`.
public final class LatentCacheWriter {
    public let path: String
    public let info: LatentCacheInfo
    /// `[C, h, w]` of one latent.
    public let latentShape: [Int]
    public private(set) var count = 0
    private var spools: [Spool] = []
    private var labels: [Int64] = []

    public init(path: String, info: LatentCacheInfo, latentShape: [Int]) throws {
        self.path = path
        self.info = info
        self.latentShape = latentShape
        let names = info.flip ? ["mean", "logvar", "mean_flipped", "logvar_flipped"] : ["mean", "logvar"]
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        spools = try names.map { try Spool(name: $0, directory: directory.isEmpty ? "/" : directory) }
    }

    /// Appends one sample: `moments` is `[2·C, h, w]` (mean then raw logvar, as the encoder returns them;
    /// logvar is clamped to [-30, 20] here), `flipped` the same for the mirrored crop when `info.flip`.
    public func append(moments: UnsafeBufferPointer<Float>, flipped: UnsafeBufferPointer<Float>?, label: Int) throws {
        let plane = latentShape.reduce(1, *)
        precondition(moments.count == 2 * plane, "moments of \(moments.count) values, expected \(2 * plane)")
        precondition(info.flip == (flipped != nil), "flipped moments given iff the cache stores them")
        try write(moments, to: 0, plane: plane)
        if let flipped { try write(flipped, to: 2, plane: plane) }
        labels.append(Int64(label))
        count += 1
    }

    private func write(_ moments: UnsafeBufferPointer<Float>, to first: Int, plane: Int) throws {
        try spools[first].append(UnsafeBufferPointer(rebasing: moments[0..<plane]))
        let logvar = moments[plane..<(2 * plane)].map { min(max($0, -30), 20) }  // [C, h, w]
        try logvar.withUnsafeBufferPointer { try spools[first + 1].append($0) }
    }

    /// Writes the cache file atomically. An empty cache is refused.
    public func finish() throws {
        guard count > 0 else { throw DatasetError("no sample was encoded: the cache would be empty", file: path) }
        let shape = [count] + latentShape
        var tensors: [NamedTensor] = []
        for spool in spools {
            let file = try spool.mapped()
            tensors.append(NamedTensor(name: spool.name, tensor: try Tensor(dtype: .f32, shape: shape,
                                                                          storage: MappedStorage(file: file, range: 0..<file.count))))
        }
        let labelBytes = labels.withUnsafeBytes { [UInt8]($0) }  // [N] i64 little-endian
        tensors.append(NamedTensor(name: "labels", tensor: try Tensor(dtype: .i64, shape: [count], storage: OwnedStorage(labelBytes))))
        try writeCheckpoint(tensors, metadata: info.metadata(count: count), to: path, format: .safetensors)
    }

    /// An unlinked temporary file in the target's directory (same file system, so the final copy stays in the kernel).
    final class Spool {
        let name: String
        let fd: Int32
        var bytes = 0

        init(name: String, directory: String) throws {
            self.name = name
            var template = Array((directory + "/.dit-extract-\(name)-XXXXXX").utf8CString)
            fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard fd >= 0 else { throw DatasetError("cannot create a temporary file: \(String(cString: strerror(errno)))", file: directory) }
            template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        }

        deinit { close(fd) }

        func append(_ values: UnsafeBufferPointer<Float>) throws {
            var done = 0
            let raw = UnsafeRawBufferPointer(values)
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw DatasetError("cannot write a temporary file: \(String(cString: strerror(errno)))") }
                done += n
            }
            bytes += raw.count
        }

        func mapped() throws -> MappedFile { try MappedFile(path: "/proc/self/fd/\(fd)") }
    }
}

/// A latent cache opened for training: the tensors stay memory-mapped; `latent(...)` draws
/// `scale · (mean + exp(logvar / 2) · ε)` for one sample, as the official code does online each step.
public final class LatentCache {
    public let path: String
    public let info: LatentCacheInfo
    public let count: Int
    /// `[C, h, w]` of one latent.
    public let latentShape: [Int]
    /// `[N]` class labels in dataset order.
    public let labels: [Int]
    public let scaleFactor: Float
    private let checkpoint: Checkpoint
    private let mean: Tensor, logvar: Tensor
    private let meanFlipped: Tensor?, logvarFlipped: Tensor?

    /// Opens and validates a cache written by `LatentCacheWriter` (`dit-extract`).
    public init(path: String) throws {
        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint(path: path) } catch let error as CheckpointError {
            throw DatasetError("not a readable latent cache: \(error.message)", file: path)
        }
        let meta = checkpoint.metadata
        guard checkpoint.format == .safetensors, meta["format"] == LatentCacheInfo.formatName else {
            throw DatasetError("not a latent cache (metadata format is '\(meta["format"] ?? "missing")', expected '\(LatentCacheInfo.formatName)')", file: path)
        }
        func field(_ key: String) throws -> String {
            guard let value = meta[key] else { throw DatasetError("latent cache metadata lacks '\(key)'", file: path) }
            return value
        }
        guard let size = Int(try field("image_size")), let transform = ImageTransform(rawValue: try field("transform")),
              let count = Int(try field("count")), let scale = Float(try field("scale_factor")) else {
            throw DatasetError("latent cache metadata has a bad image_size, transform, count or scale_factor", file: path)
        }
        let flip = try field("flip") == "True"
        info = LatentCacheInfo(imageSize: size, vae: try field("vae"), transform: transform, flip: flip, scaleFactor: try field("scale_factor"))
        var byName: [String: Tensor] = [:]
        for named in try checkpoint.tensors() { byName[named.name] = named.tensor }
        func tensor(_ name: String, _ dtype: DType) throws -> Tensor {
            guard let t = byName[name] else { throw DatasetError("latent cache has no '\(name)' tensor", file: path) }
            guard t.dtype == dtype, t.shape.first == count else {
                throw DatasetError("latent cache tensor '\(name)' is \(t.dtype) \(t.shape), expected \(dtype) with \(count) rows", file: path)
            }
            return t
        }
        mean = try tensor("mean", .f32)
        logvar = try tensor("logvar", .f32)
        guard mean.shape.count == 4, logvar.shape == mean.shape else {
            throw DatasetError("latent cache 'mean' \(mean.shape) and 'logvar' \(logvar.shape) must both be [N, C, h, w]", file: path)
        }
        meanFlipped = flip ? try tensor("mean_flipped", .f32) : nil
        logvarFlipped = flip ? try tensor("logvar_flipped", .f32) : nil
        let labelTensor = try tensor("labels", .i64)
        labels = try labelTensor.withContiguousBytes { raw in raw.bindMemory(to: Int64.self).map { Int($0) } }
        self.path = path
        self.checkpoint = checkpoint
        self.count = count
        self.latentShape = Array(mean.shape.dropFirst())
        self.scaleFactor = scale
    }

    /// Refuses a cache made with another VAE, image size or transform than `expected`, naming both values.
    /// A VAE recorded as `unknown` on either side is not checked.
    public func check(_ expected: LatentCacheInfo) throws {
        if info.imageSize != expected.imageSize {
            throw DatasetError("latent cache was made at image_size \(info.imageSize), this run uses \(expected.imageSize)", file: path)
        }
        if info.transform != expected.transform {
            throw DatasetError("latent cache was made with transform '\(info.transform.rawValue)', this run uses '\(expected.transform.rawValue)'", file: path)
        }
        if let mine = info.vaeDigest, let theirs = expected.vaeDigest, mine != theirs {
            throw DatasetError("latent cache was made with VAE '\(info.vae)', this run uses '\(expected.vae)'", file: path)
        }
        if expected.flip && !info.flip {
            throw DatasetError("latent cache has no flipped latents (made with flip False), this run uses flip True", file: path)
        }
    }

    /// Copies sample `index`'s posterior (`mean`, `logvar`, each `[C, h, w]`), of the mirrored crop if `flipped`.
    public func moments(index: Int, flipped: Bool = false, mean meanOut: UnsafeMutableBufferPointer<Float>,
                        logvar logvarOut: UnsafeMutableBufferPointer<Float>) throws {
        precondition(index >= 0 && index < count, "sample \(index) outside the cache of \(count)")
        precondition(!flipped || info.flip, "the cache holds no flipped latents")
        let plane = latentShape.reduce(1, *)
        let sources = flipped ? (meanFlipped!, logvarFlipped!) : (mean, logvar)
        for (source, out) in [(sources.0, meanOut), (sources.1, logvarOut)] {
            try source.withContiguousBytes { raw in
                let values = raw.bindMemory(to: Float.self)
                for i in 0..<plane { out[i] = values[index * plane + i] }
            }
        }
    }

    /// Latent channels C.
    public var channels: Int { latentShape[0] }
    /// Latent side S (the cache holds square `[C, S, S]` latents).
    public var size: Int { latentShape[1] }
    /// Elements of one sample's latent (C·S·S).
    public var sampleElements: Int { latentShape.reduce(1, *) }
    /// True when the cache also holds the moments of the mirrored crops.
    public var hasFlipped: Bool { info.flip }

    /// x₀ = (mean + exp(logvar / 2) · noise) · scale for sample `index` into `out` (`[C, h, w]`), in
    /// diffusers' order (std = exp(0.5·logvar), sample = mean + std·ε, then `.mul_(scale)`), read in place
    /// from the mapped file; `noise` is standard normal, `scale` defaults to the cache's `scale_factor`.
    /// exp is rounded correctly (through f64), so results do not depend on the platform's expf.
    public func latent(index: Int, flipped: Bool = false, noise: UnsafeBufferPointer<Float>, scale: Float? = nil,
                       into out: UnsafeMutableBufferPointer<Float>) throws {
        precondition(index >= 0 && index < count, "sample \(index) outside the cache of \(count)")
        precondition(!flipped || info.flip, "the cache holds no flipped latents")
        let elements = sampleElements
        precondition(noise.count >= elements && out.count >= elements, "latent buffers hold fewer than \(elements) values")
        let scale = scale ?? scaleFactor
        let (m, l) = flipped ? (meanFlipped!, logvarFlipped!) : (mean, logvar)
        try m.withContiguousBytes { meanBytes in
            try l.withContiguousBytes { logvarBytes in
                let base = index * elements * 4  // byte offset (safetensors data need not be 4-byte aligned)
                for i in 0..<elements {
                    let mi = meanBytes.loadUnaligned(fromByteOffset: base + 4 * i, as: Float.self)
                    let li = logvarBytes.loadUnaligned(fromByteOffset: base + 4 * i, as: Float.self)
                    let std = Float(Foundation.exp(Double(0.5 * li)))
                    out[i] = (mi + std * noise[i]) * scale
                }
            }
        }
    }
}
