import CLISupport
import Checkpoint
import Foundation
import Kernels
import Models
import Parity
import Training

/// `dit-parity`: loads a DiT or VAE from any supported file and naming, runs every case of a reference
/// bundle (docs/parity.md) and prints max |Δ|, max rel, cosine per tensor and the first diverging
/// module. Exit status 0 when everything is within tolerance, 1 otherwise (or on any error).
let parityTool = ToolSettings(
    tool: "dit-parity",
    abstract: "Compare the Swift DiT / AutoencoderKL with reference outputs of the official PyTorch code.",
    examples: ["dit-parity --model fixtures/parity/dit-a.ckpt --reference fixtures/parity/dit-a.bundle.safetensors"],
    declarations: [
        SettingDeclaration("model", .string, default: .none, help: "Model weights: .pt, .ckpt, .safetensors, .h5 or a diffusers folder, any known naming (required)."),
        SettingDeclaration("vae", .bool, default: .bool(false), help: "The model is an AutoencoderKL (default: the bundle's kind)."),
        SettingDeclaration("reference", .string, default: .none, help: "Reference bundle (.safetensors written by fixtures/generate/make_reference.py) (required)."),
        SettingDeclaration("atol", .double, default: .none, help: "Absolute tolerance (default: 0 for DiT, 5e-5 for the VAE)."),
        SettingDeclaration("rtol", .double, default: .none, help: "Tolerance relative to max|ref| per tensor (default: 1e-5 for DiT, 0 for the VAE)."),
        SettingDeclaration("dtype", .choice(["fp32", "bf16"]), default: .string("fp32"),
                           help: "bf16: the DiT blocks' qkv, proj, fc1, fc2 and attention's two products (or the VAE's convolutions and attention projections) in bf16 with f32 accumulation (AVX512_BF16; else float32 with a note), compared with the f32 reference under the derived bf16 tolerance unless --atol/--rtol are given."),
        SettingDeclaration("use_fp16", .bool, default: .bool(false), help: "Keep f16/bf16 weights 16-bit (memory-mapped) and widen them on use."),
        SettingDeclaration("num_heads", .int, default: .none, help: "DiT attention heads (default: the bundle's num_heads, else the paper's value for the size)."),
        SettingDeclaration("groups", .int, default: .none, help: "VAE GroupNorm groups (default: the bundle's norm_num_groups, else 32)."),
        SettingDeclaration("from", .string, default: .none, help: "Source naming convention (default: detected)."),
        SettingDeclaration("select", .string, default: .none, help: "Entry of a container checkpoint to use (default: ema of a training checkpoint)."),
        SettingDeclaration("image_size", .int, default: .none, help: "DiT image size when the weights carry no pos_embed and no config.json."),
        SettingDeclaration("train", .bool, default: .bool(false), help: "The bundle is one training step (gen_train_parity.py): compare loss terms and every gradient."),
        SettingDeclaration("dump", .string, default: .none, help: "With --train: write the computed loss terms and gradients here (safetensors, the bundle's names)."),
    ]
)

runReportingErrors {
    let settings = try parityTool.resolve(Array(CommandLine.arguments.dropFirst()))
    let model = try settings.requiredString("model"), reference = try settings.requiredString("reference")
    let useFP16 = settings.bool("use_fp16"), vae = settings.bool("vae")
    func tolerance(default base: Tolerance) -> Tolerance {
        Tolerance(atol: settings.optionalDouble("atol") ?? base.atol, rtol: settings.optionalDouble("rtol") ?? base.rtol)
    }
    let bundle = try ReferenceBundle(path: reference)
    var options = LoadOptions()
    options.keepHalfPrecision = useFP16
    options.convention = settings.optionalString("from")
    options.select = settings.optionalString("select")
    options.imageSize = settings.optionalInt("image_size")
    if settings.bool("train") || bundle.kind == .ditTrain {
        try runTrainingParity(settings: settings, bundle: bundle, options: options)
        return
    }
    let isVAE = vae || bundle.kind == .vae
    if isVAE != (bundle.kind == .vae) { throw CheckpointError("--vae given but the bundle holds \(bundle.kind.rawValue) references", file: reference) }
    let loaded = try ModelLoader.load(model, family: isVAE ? .vae : .dit, options: options)
    let plan = loaded.conversion
    print("model: \(loaded.path) (\(loaded.format.rawValue)\(loaded.container.map { ", \($0)" } ?? ""), \(plan.sourceConvention) names\(useFP16 ? ", fp16 weights kept" : ""))")
    print("config: \(plan.configDescription)")
    plan.notes.forEach { print("note: \($0)") }
    print("reference: \(reference) (\(bundle.metadataString("weights").map { "\($0) weights, " } ?? "")\(bundle.metadataString("generator") ?? "unknown generator"))")
    let report: ParityReport
    let (precision, note) = ComputePrecision.resolve(dtype: settings.string("dtype"))
    if let note { print(note) }
    if isVAE {
        let groups = settings.optionalInt("groups") ?? bundle.metadataInt("norm_num_groups") ?? 32
        let model = try AutoencoderKL(weights: loaded.weights, config: plan.vae!, groups: groups, precision: precision)
        let layers = AutoencoderKL.bf16ChainLength(plan.vae!)
        let base: Tolerance = model.precision == .bf16 ? .vaeBF16(layers: layers) : .vae
        if model.precision == .bf16 {
            print("compute: \(model.precision) in the VAE's convolutions and attention projections (up to \(layers) in sequence); default tolerance \(base) — \(Tolerance.bf16Derivation)")
        }
        report = try ParityRunner.run(model, bundle: bundle, tolerance: tolerance(default: base))
    } else {
        let model = try DiT(weights: loaded.weights, config: plan.dit!, heads: settings.optionalInt("num_heads") ?? bundle.metadataInt("num_heads"),
                            precision: precision)
        let base: Tolerance = precision == .bf16 ? .ditBF16(depth: plan.dit!.depth) : .dit
        if precision == .bf16 { print("compute: \(precision) in the blocks' qkv, q·kᵀ, P·v, proj, fc1, fc2 (\(Tolerance.ditBF16GEMMsPerBlock * plan.dit!.depth) GEMMs in sequence); default tolerance \(base) — \(Tolerance.bf16Derivation)") }
        report = try ParityRunner.run(model, bundle: bundle, tolerance: tolerance(default: base))
    }
    print(report.table())
    if !report.passed { Foundation.exit(1) }
}
