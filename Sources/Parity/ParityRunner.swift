import Checkpoint
import Kernels
import Models

/// Runs every case a bundle holds against a model and compares each produced tensor with the reference.
public enum ParityRunner {
    /// DiT: `forward` with module dumps, then `forwardWithCFG` (official 3-channel, and all channels) if
    /// the bundle has `cfg_scale` with `out_cfg` / `out_cfg_all`.
    public static func run(_ dit: DiT, bundle: ReferenceBundle, tolerance: Tolerance = .dit) throws -> ParityReport {
        guard bundle.kind == .dit else { throw CheckpointError("not a DiT bundle (kind \(bundle.kind.rawValue))", file: bundle.path) }
        let x = try bundle.requireFloats("x")
        guard let t = try bundle.integers("t"), let y = try bundle.integers("y") else {
            throw CheckpointError("a DiT bundle needs integer t and y", file: bundle.path)
        }
        var produced: [String: FloatTensor] = [:]
        var order: [String] = []
        let out = try dit.forward(x, t: t, y: y) { name, value in
            produced[name] = value
            order.append(name)
        }
        produced["out"] = out
        order.append("out")
        if let scale = try bundle.scalar("cfg_scale") {
            if bundle.contains("out_cfg") {
                produced["out_cfg"] = try dit.forwardWithCFG(x, t: t, y: y, cfgScale: scale, channels: .official)
                order.append("out_cfg")
            }
            if bundle.contains("out_cfg_all") {
                produced["out_cfg_all"] = try dit.forwardWithCFG(x, t: t, y: y, cfgScale: scale, channels: .allLatent)
                order.append("out_cfg_all")
            }
        }
        return try compare(produced, order: order, bundle: bundle, inputs: ["x", "t", "y", "cfg_scale"], tolerance: tolerance)
    }

    /// VAE: `decode(z)` → `image`; `encode(image)` → `moments`; `sample(moments, noise)` → `latent_sample`;
    /// with the encoder/decoder module dumps.
    public static func run(_ vae: AutoencoderKL, bundle: ReferenceBundle, tolerance: Tolerance = .vae) throws -> ParityReport {
        guard bundle.kind == .vae else { throw CheckpointError("not a VAE bundle (kind \(bundle.kind.rawValue))", file: bundle.path) }
        var produced: [String: FloatTensor] = [:]
        var order: [String] = []
        let record: ModuleTrace = { name, value in
            produced[name] = value
            order.append(name)
        }
        var inputs = ["noise"]
        if let z = try bundle.floats("z") {
            inputs.append("z")
            _ = try vae.decode(z, trace: record)  // traces "image"
        }
        if let image = try bundle.floats("image"), bundle.contains("moments") {
            if !bundle.contains("z") { inputs.append("image") }
            let moments = try vae.encode(image, trace: record)  // traces "moments"
            if let noise = try bundle.floats("noise"), bundle.contains("latent_sample") {
                produced["latent_sample"] = try AutoencoderKL.sample(moments: moments, noise: noise)
                order.append("latent_sample")
            }
        }
        guard !order.isEmpty else { throw CheckpointError("a VAE bundle needs z (with image) and/or image with moments", file: bundle.path) }
        return try compare(produced, order: order, bundle: bundle, inputs: inputs, tolerance: tolerance)
    }

    /// One row per produced tensor the bundle also holds, in execution order. Float entries of the
    /// bundle that are neither inputs nor produced (e.g. `block.9.out` for a 2-block model) fail as
    /// "not produced"; entries of other types are listed as not checked.
    static func compare(_ produced: [String: FloatTensor], order: [String], bundle: ReferenceBundle, inputs: [String],
                        tolerance: Tolerance) throws -> ParityReport {
        var rows: [Comparison] = []
        for name in order {
            guard let expected = try bundle.floats(name) else { continue }
            rows.append(Comparison(name: name, actual: produced[name], expected: expected, tolerance: tolerance))
        }
        var ignored: [String] = []
        for name in bundle.names.subtracting(order).subtracting(inputs).sorted() {
            if let expected = try? bundle.floats(name) {
                rows.append(Comparison(name: name, actual: nil, expected: expected, tolerance: tolerance))
            } else {
                ignored.append(name)
            }
        }
        return ParityReport(bundle: bundle.path, tolerance: tolerance, rows: rows, ignored: ignored)
    }
}
