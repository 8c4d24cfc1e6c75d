import ArgumentParser
import CLISupport
import Checkpoint
import Foundation
import Models
import Parity

/// `dit-parity`: loads a DiT or VAE from any supported file and naming, runs every case of a reference
/// bundle (docs/parity.md) and prints max |Δ|, max rel, cosine per tensor and the first diverging
/// module. Exit status 0 when everything is within tolerance, 1 otherwise (or on any error).
struct DiTParity: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dit-parity",
        abstract: "Compare the Swift DiT / AutoencoderKL with reference outputs of the official PyTorch code."
    )

    @Option(help: "Model weights: .pt, .ckpt, .safetensors, .h5 or a diffusers folder, any known naming.")
    var model: String

    @Flag(help: "The model is an AutoencoderKL (default: the bundle's kind).")
    var vae = false

    @Option(help: "Reference bundle (.safetensors written by fixtures/generate/make_reference.py).")
    var reference: String

    @Option(help: "Absolute tolerance (default: 0 for DiT, 5e-5 for the VAE).")
    var atol: Double?

    @Option(help: "Tolerance relative to max|ref| per tensor (default: 1e-5 for DiT, 0 for the VAE).")
    var rtol: Double?

    @Flag(name: .customLong("use-fp16"), help: "Keep f16/bf16 weights 16-bit (memory-mapped) and widen them on use.")
    var useFP16 = false

    @Option(help: "DiT attention heads (default: the bundle's num_heads, else the paper's value for the size).")
    var numHeads: Int?

    @Option(help: "VAE GroupNorm groups (default: the bundle's norm_num_groups, else 32).")
    var groups: Int?

    @Option(name: .customLong("from"), help: "Source naming convention (default: detected).")
    var convention: String?

    @Option(help: "Entry of a container checkpoint to use (default: ema of a training checkpoint).")
    var select: String?

    @Option(help: "DiT image size when the weights carry no pos_embed and no config.json.")
    var imageSize: Int?

    @Flag(help: "The bundle is one training step (gen_train_parity.py): compare loss terms and every gradient.")
    var train = false

    @Option(help: "With --train: write the computed loss terms and gradients here (safetensors, the bundle's names).")
    var dump: String?

    func run() {
        runReportingErrors {
            let bundle = try ReferenceBundle(path: reference)
            var options = LoadOptions()
            options.keepHalfPrecision = useFP16
            options.convention = convention
            options.select = select
            options.imageSize = imageSize
            if train || bundle.kind == .ditTrain { return try runTraining(bundle: bundle, options: options) }
            let isVAE = vae || bundle.kind == .vae
            if isVAE != (bundle.kind == .vae) { throw CheckpointError("--vae given but the bundle holds \(bundle.kind.rawValue) references", file: reference) }
            let loaded = try ModelLoader.load(model, family: isVAE ? .vae : .dit, options: options)
            let plan = loaded.conversion
            print("model: \(loaded.path) (\(loaded.format.rawValue)\(loaded.container.map { ", \($0)" } ?? ""), \(plan.sourceConvention) names\(useFP16 ? ", fp16 weights kept" : ""))")
            print("config: \(plan.configDescription)")
            plan.notes.forEach { print("note: \($0)") }
            print("reference: \(reference) (\(bundle.metadataString("weights").map { "\($0) weights, " } ?? "")\(bundle.metadataString("generator") ?? "unknown generator"))")
            let report: ParityReport
            if isVAE {
                let groups = self.groups ?? bundle.metadataInt("norm_num_groups") ?? 32
                let model = try AutoencoderKL(weights: loaded.weights, config: plan.vae!, groups: groups)
                report = try ParityRunner.run(model, bundle: bundle, tolerance: tolerance(default: .vae))
            } else {
                let model = try DiT(weights: loaded.weights, config: plan.dit!, heads: numHeads ?? bundle.metadataInt("num_heads"))
                report = try ParityRunner.run(model, bundle: bundle, tolerance: tolerance(default: .dit))
            }
            print(report.table())
            if !report.passed { Foundation.exit(1) }
        }
    }

    func tolerance(default base: Tolerance) -> Tolerance {
        Tolerance(atol: atol ?? base.atol, rtol: rtol ?? base.rtol)
    }
}

DiTParity.main()
