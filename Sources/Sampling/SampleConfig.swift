import Foundation
import Yams

/// The settings of one `dit-sample` run: MindONE's inference YAML keys (configs/inference/*.yaml), the
/// seed README's older `use_fp16`, and this tool's additions. Every key also has a command-line flag
/// that overrides the file.
public struct SampleConfig: Equatable {
    public var modelName = "DiT-XL/2"
    public var imageSize = 256
    public var ditCheckpoint = "models/DiT-XL-2-256x256.ckpt"
    public var vaeCheckpoint = "models/sd-vae-ft-mse.ckpt"
    public var sdScaleFactor = 0.18215
    public var samplingSteps = 250
    public var guidanceScale = 4.0
    public var seed: UInt64 = 42
    public var ddimSampling = false
    /// Weight precision in memory: fp32, fp16 or bf16 (compute is always float32).
    public var dtype = "fp32"
    /// One grid `sample.png` (official DiT) instead of `class-<label>.png` files (MindONE).
    public var imagegrid = false
    /// Images per row of the grid (torchvision's `nrow`; official sample.py uses 4).
    public var gridColumns = 4
    public var numClasses = 1000
    public var classLabels = [207, 360, 387, 974, 88, 979, 417, 279]
    /// Latent channels guided by CFG: 3 (official DiT, "for exact reproducibility") or 4 (MindONE, diffusers).
    public var cfgChannels = 3
    /// GroupNorm groups of the VAE (`norm_num_groups`; 32 for the SD VAE; not stored in the weights).
    public var vaeNormGroups = 32
    /// Attention heads, for DiT sizes other than the paper's (S/B/L/XL fix it; the weights do not).
    public var numHeads: Int? = nil
    /// DDIM η (0 = deterministic).
    public var ddimEta = 0.0
    /// Output folder; nil = `samples/<YYYY-mm-ddTHH-MM-SS>` as MindONE does.
    public var outputPath: String? = nil
    /// Safetensors file with `z` and `noise.{step}` to inject instead of the seeded generator.
    public var noiseFile: String? = nil
    public var saveLatents: String? = nil
    public var saveTrajectory: String? = nil

    public init() {}

    /// MindONE keys that configure its Ascend/GPU runtime; accepted and ignored (they do not change the
    /// result on CPU).
    public static let ignoredKeys: Set<String> = ["enable_flash_attention", "use_recompute", "patch_embedder", "device_target",
                                                  "mode", "jit_level", "precision_mode"]

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// Applies the keys of a YAML mapping; unknown keys are an error, as in MindONE.
    public mutating func apply(yaml text: String, source: String) throws {
        let loaded: Any?
        do {
            loaded = try Yams.load(yaml: text)
        } catch {
            throw Failure(description: "\(source): not valid YAML: \(error)")
        }
        guard let mapping = loaded as? [String: Any] else {
            if loaded == nil { return }
            throw Failure(description: "\(source): expected a mapping of keys to values")
        }
        for key in mapping.keys.sorted() {
            try set(key, mapping[key]!, source: source)
        }
    }

    /// Sets one key from a YAML (or flag) value.
    public mutating func set(_ key: String, _ value: Any, source: String) throws {
        func fail(_ what: String) -> Failure { Failure(description: "\(source): \(key): expected \(what), got '\(value)'") }
        func int() throws -> Int {
            if let v = value as? Int { return v }
            if let s = value as? String, let v = Int(s) { return v }
            throw fail("an integer")
        }
        func double() throws -> Double {
            if let v = value as? Double { return v }
            if let v = value as? Int { return Double(v) }
            if let s = value as? String, let v = Double(s) { return v }
            throw fail("a number")
        }
        func bool() throws -> Bool {
            if let v = value as? Bool { return v }
            if let s = value as? String, let v = ["true": true, "false": false][s.lowercased()] { return v }
            throw fail("true or false")
        }
        func string() throws -> String {
            if let v = value as? String { return v }
            throw fail("a string")
        }
        switch key {
        case "model_name": modelName = try string()
        case "image_size": imageSize = try int()
        case "dit_checkpoint": ditCheckpoint = try string()
        case "vae_checkpoint": vaeCheckpoint = try string()
        case "sd_scale_factor": sdScaleFactor = try double()
        case "sampling_steps": samplingSteps = try int()
        case "guidance_scale": guidanceScale = try double()
        case "seed":
            let v = try int()
            guard v >= 0 else { throw fail("a non-negative integer") }
            seed = UInt64(v)
        case "ddim_sampling": ddimSampling = try bool()
        case "dtype":
            let v = try string()
            guard ["fp32", "fp16", "bf16"].contains(v) else { throw fail("fp32, fp16 or bf16") }
            dtype = v
        case "use_fp16": dtype = try bool() ? "fp16" : "fp32"
        case "imagegrid": imagegrid = try bool()
        case "grid_columns":
            let v = try int()
            guard v > 0 else { throw fail("a positive integer") }
            gridColumns = v
        case "num_classes": numClasses = try int()
        case "class_labels":
            if let list = value as? [Any] {
                classLabels = try list.map { item in
                    guard let v = item as? Int ?? (item as? String).flatMap({ Int($0) }) else { throw fail("a list of integers") }
                    return v
                }
            } else if let text = value as? String {
                classLabels = try text.split(separator: ",").map { part in
                    guard let v = Int(part.trimmingCharacters(in: .whitespaces)) else { throw fail("a list of integers") }
                    return v
                }
            } else {
                throw fail("a list of integers")
            }
        case "cfg_channels":
            let v = try int()
            guard v == 3 || v == 4 else { throw fail("3 or 4") }
            cfgChannels = v
        case "ddim_eta": ddimEta = try double()
        case "vae_norm_groups":
            let v = try int()
            guard v > 0 else { throw fail("a positive integer") }
            vaeNormGroups = v
        case "num_heads":
            let v = try int()
            guard v > 0 else { throw fail("a positive integer") }
            numHeads = v
        case "output_path": outputPath = try string()
        case "noise_file": noiseFile = try string()
        case "save_latents": saveLatents = try string()
        case "save_trajectory": saveTrajectory = try string()
        default:
            if SampleConfig.ignoredKeys.contains(key) { return }
            throw Failure(description: "\(source): unknown key '\(key)' (known: \(SampleConfig.knownKeys.sorted().joined(separator: ", ")))")
        }
    }

    public static let knownKeys: Set<String> = ["model_name", "image_size", "dit_checkpoint", "vae_checkpoint", "sd_scale_factor",
                                                "sampling_steps", "guidance_scale", "seed", "ddim_sampling", "dtype", "use_fp16",
                                                "imagegrid", "grid_columns", "num_classes", "class_labels", "cfg_channels", "ddim_eta", "num_heads", "vae_norm_groups", "output_path",
                                                "noise_file", "save_latents", "save_trajectory"]

    /// The respacing string for `create_diffusion` (`"250"`; DDIM uses the same uniform respacing, as MindONE).
    public var respacing: String { String(samplingSteps) }

    /// Checks what can be checked before loading anything.
    public func validate() throws {
        guard imageSize > 0, imageSize % 8 == 0 else { throw Failure(description: "image_size \(imageSize) is not a positive multiple of 8") }
        guard samplingSteps > 0, samplingSteps <= 1000 else { throw Failure(description: "sampling_steps must be 1…1000 (got \(samplingSteps))") }
        guard !classLabels.isEmpty else { throw Failure(description: "class_labels is empty") }
        if let bad = classLabels.first(where: { $0 < 0 || $0 >= numClasses }) {
            throw Failure(description: "class label \(bad) is out of range 0…\(numClasses - 1)")
        }
        guard sdScaleFactor > 0 else { throw Failure(description: "sd_scale_factor must be positive") }
    }
}
