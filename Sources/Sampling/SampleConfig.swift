import CLISupport

/// The settings of one `dit-sample` run. The keys, types, defaults and help are declared once in
/// `SampleConfig.settings` (SampleSettings.swift); the stored properties start at those defaults and
/// `set` binds each key to its property, with the checks the type alone cannot express.
public struct SampleConfig: Equatable {
    public var modelName = SampleConfig.defaults.string("model_name")
    public var imageSize = SampleConfig.defaults.int("image_size")
    public var ditCheckpoint = SampleConfig.defaults.string("dit_checkpoint")
    public var vaeCheckpoint = SampleConfig.defaults.string("vae_checkpoint")
    public var sdScaleFactor = SampleConfig.defaults.double("sd_scale_factor")
    public var samplingSteps = SampleConfig.defaults.int("sampling_steps")
    public var guidanceScale = SampleConfig.defaults.double("guidance_scale")
    public var seed = UInt64(SampleConfig.defaults.int("seed"))
    public var ddimSampling = SampleConfig.defaults.bool("ddim_sampling")
    /// fp32, fp16 or bf16: 16-bit weights of the files stay 16-bit for fp16/bf16; bf16 also computes the DiT's
    /// block GEMMs in bf16 (`ComputePrecision.resolve`). Set by `dtype` or the older `use_fp16`, whichever comes later.
    public var dtype = SampleConfig.defaults.string("dtype")
    /// One grid `sample.png` (official DiT) instead of `class-<label>.png` files (MindONE).
    public var imagegrid = SampleConfig.defaults.bool("imagegrid")
    /// Images per row of the grid (torchvision's `nrow`; official sample.py uses 4).
    public var gridColumns = SampleConfig.defaults.int("grid_columns")
    public var numClasses = SampleConfig.defaults.int("num_classes")
    public var classLabels = SampleConfig.defaults.intList("class_labels")
    /// Latent channels guided by CFG: 3 (official DiT, "for exact reproducibility") or 4 (MindONE, diffusers).
    public var cfgChannels = SampleConfig.defaults.int("cfg_channels")
    /// GroupNorm groups of the VAE (`norm_num_groups`; 32 for the SD VAE; not stored in the weights).
    public var vaeNormGroups = SampleConfig.defaults.int("vae_norm_groups")
    /// Attention heads, for DiT sizes other than the paper's (S/B/L/XL fix it; the weights do not).
    public var numHeads = SampleConfig.defaults.optionalInt("num_heads")
    /// DDIM η (0 = deterministic).
    public var ddimEta = SampleConfig.defaults.double("ddim_eta")
    /// Output folder; nil = `samples/<YYYY-mm-ddTHH-MM-SS>` as MindONE does.
    public var outputPath = SampleConfig.defaults.optionalString("output_path")
    /// Safetensors file with `z` and `noise.{step}` to inject instead of the seeded generator.
    public var noiseFile = SampleConfig.defaults.optionalString("noise_file")
    public var saveLatents = SampleConfig.defaults.optionalString("save_latents")
    public var saveTrajectory = SampleConfig.defaults.optionalString("save_trajectory")
    /// FID sampling (sample_ddp.py): the number of images; nil = the class_labels mode.
    public var numFidSamples = SampleConfig.defaults.optionalInt("num_fid_samples")
    /// FID sampling: images per batch of each process.
    public var perProcBatchSize = SampleConfig.defaults.int("per_proc_batch_size")
    /// FID sampling: parent of the sample folder and its `.npz`.
    public var sampleDir = SampleConfig.defaults.string("sample_dir")
    /// FID sampling: the VAE's name in the folder name; nil = derived from `vaeCheckpoint`.
    public var vaeName = SampleConfig.defaults.optionalString("vae")
    /// One process of an MPI job (`mpirun ... --use_parallel True`).
    public var useParallel = SampleConfig.defaults.bool("use_parallel")
    /// No progress bar or log.
    public var quiet = SampleConfig.defaults.bool("quiet")

    public init() {}

    /// The declared defaults with every value of `settings` (YAML file, then flags) applied in order.
    public init(_ settings: ResolvedSettings) throws {
        for assignment in settings.assignments { try set(assignment) }
    }

    /// A problem found before or while sampling (one line).
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// Applies the keys of a YAML mapping (MindONE's files work as written); unknown keys are errors that
    /// suggest the nearest key; MindSpore runtime keys are accepted and ignored.
    public mutating func apply(yaml text: String, source: String) throws {
        for assignment in try Self.settings.resolve(yaml: text, source: source).assignments { try set(assignment) }
    }

    /// Sets one key from a YAML value or a flag's text.
    public mutating func set(_ key: String, _ value: Any, source: String) throws {
        if let assignment = try Self.settings.assignment(key, value, origin: source) { try set(assignment) }
    }

    /// Binds one declared key to its property.
    public mutating func set(_ assignment: SettingAssignment) throws {
        let value = assignment.value
        func fail(_ what: String) -> SettingsError {
            SettingsError("\(assignment.origin): \(assignment.key): expected \(what), got '\(value.displayText)'")
        }
        /// The payload of the declared type (SampleConfig.settings); anything else is a programming error.
        func payload<T>(_ read: (SettingValue) -> T?) -> T {
            guard let v = read(value) else { preconditionFailure("\(assignment.key) is declared \(T.self)") }
            return v
        }
        func int() -> Int { payload(\.intValue) }
        func positive() throws -> Int {
            guard int() > 0 else { throw fail("a positive integer") }
            return int()
        }
        func double() -> Double { payload(\.doubleValue) }
        func bool() -> Bool { payload(\.boolValue) }
        func string() -> String? { value.stringValue }
        switch assignment.key {
        case "model_name": modelName = string()!
        case "image_size": imageSize = int()
        case "dit_checkpoint": ditCheckpoint = string()!
        case "vae_checkpoint": vaeCheckpoint = string()!
        case "sd_scale_factor": sdScaleFactor = double()
        case "sampling_steps": samplingSteps = int()
        case "guidance_scale": guidanceScale = double()
        case "seed":
            guard int() >= 0 else { throw fail("a non-negative integer") }
            seed = UInt64(int())
        case "ddim_sampling": ddimSampling = bool()
        case "ddim_eta": ddimEta = double()
        case "dtype": dtype = string()!
        case "use_fp16": dtype = bool() ? "fp16" : "fp32"
        case "patch_embedder": break  // only "conv" is declared
        case "imagegrid": imagegrid = bool()
        case "grid_columns": gridColumns = try positive()
        case "num_classes": numClasses = try positive()
        case "class_labels": classLabels = payload(\.intListValue)
        case "cfg_channels":
            guard int() == 3 || int() == 4 else { throw fail("3 or 4") }
            cfgChannels = int()
        case "num_heads": numHeads = value == .none ? nil : try positive()
        case "vae_norm_groups": vaeNormGroups = try positive()
        case "output_path": outputPath = string()
        case "noise_file": noiseFile = string()
        case "save_latents": saveLatents = string()
        case "save_trajectory": saveTrajectory = string()
        case "num_fid_samples": numFidSamples = value == .none ? nil : try positive()
        case "per_proc_batch_size": perProcBatchSize = try positive()
        case "sample_dir": sampleDir = string()!
        case "vae": vaeName = string()
        case "use_parallel": useParallel = bool()
        case "quiet": quiet = bool()
        default: preconditionFailure("dit-sample: declared setting '\(assignment.key)' has no property")
        }
    }

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
