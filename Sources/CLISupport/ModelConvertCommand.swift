import ArgumentParser
import Checkpoint
import Foundation
import NameMaps

/// The options and work shared by `dit-convert` and `vae-convert` (same flags as MindONE's scripts,
/// plus conventions, dtype, tables).
public struct ModelConvertOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "Source checkpoint: .pt/.pth/.bin, .ckpt, .safetensors, .h5, or a diffusers model folder.")
    public var source: String

    @Option(name: [.short, .long], help: "Target file (.ckpt, .pt, .safetensors, .h5); without an extension, a folder in which the file is named after the source (.ckpt).")
    public var target: String

    @Option(help: "Target naming convention (default: mindone for .ckpt, diffusers for .safetensors, official (DiT) / ldm (VAE) for .pt, canonical for .h5).")
    public var to: String?

    @Option(help: "Source naming convention (default: detected from the names).")
    public var from: String?

    @Option(help: "Cast floating-point tensors to f32, f16 or bf16 (round to nearest even, as torch).")
    public var dtype: String?

    @Option(help: "A rename table file (docs/name-tables.md) used instead of the built-in table between the same conventions.")
    public var table: [String] = []

    @Option(help: "For training checkpoints {model, ema, opt, args}: which weights to convert (ema or model).")
    public var use: String = "ema"

    @Option(help: "DiT image size (256, 512), needed when the source has no pos_embed and no config.json.")
    public var imageSize: Int?

    @Flag(help: "For .ckpt targets: append MindSpore's crc_num trailer.")
    public var crc = false

    @Flag(help: "No progress or summary output.")
    public var quiet = false

    public init() {}
}

/// Runs a model conversion for `family` (`dit-convert` / `vae-convert`).
public enum ModelConvertCommand {
    public static func run(_ options: ModelConvertOptions, family: ModelFamily) {
        runReportingErrors {
            let log: (String) -> Void = { if !options.quiet { print($0) } }
            let source = try ModelSource(path: options.source, use: options.use)
            let sourceFile = source.file
            log("source: \(sourceFile) (\(source.checkpoint.format.rawValue)\(source.container.map { ", \($0)" } ?? ""), \(source.tensors.count) tensors)")

            let (targetPath, targetFormat) = try resolveTarget(options.target, source: sourceFile)
            let to = options.to ?? defaultConvention(for: targetFormat, family: family)
            var library = try TableLibrary.builtIn()
            for path in options.table { library.add(try NameTable(contentsOf: path)) }
            let inputSize = options.imageSize.map { $0 / 8 } ?? source.diffusersSampleSize
            let plan: ModelConversion
            do {
                plan = try ModelConversion.plan(source.tensors, family: family, from: options.from, to: to, library: library, inputSize: inputSize)
            } catch let error as NameTableError {
                throw CheckpointError(error.description, file: sourceFile)
            }
            log("detected: \(plan.family.rawValue) in \(plan.sourceConvention) naming; \(plan.configDescription)")
            plan.notes.forEach { log("note: \($0)") }

            var tensors = plan.tensors
            if let dtype = options.dtype {
                let cast = try parseDType(dtype)
                tensors = try tensors.map { NamedTensor(name: $0.name, tensor: $0.tensor.dtype.isFloatingPoint ? try $0.tensor.converted(to: cast) : $0.tensor) }
            }
            var writer = WriterOptions()
            writer.mindsporeCRC = options.crc
            let progress = ProgressLine(quiet: options.quiet)
            writer.progress = progress.update
            // diffusers' save_pretrained (safetensors.torch.save_file) tags its files {"format": "pt"}.
            let metadata = targetFormat == .safetensors ? ["format": "pt"] : [:]
            try writeCheckpoint(tensors, metadata: metadata, to: targetPath, format: targetFormat, options: writer)
            log("wrote \(targetPath) (\(targetFormat.rawValue), \(plan.targetConvention) naming, \(tensors.count) tensors)")
        }
    }

    /// A target without an extension is a folder (created), the file named after the source, as MindONE does.
    static func resolveTarget(_ target: String, source: String) throws -> (String, CheckpointFormat) {
        if let format = CheckpointFormat.forWriting(path: target) { return (target, format) }
        if (target as NSString).pathExtension.isEmpty {
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
            let base = ((source as NSString).lastPathComponent.split(separator: ".").first).map(String.init) ?? "model"
            return (target + "/" + base + ".ckpt", .mindspore)
        }
        throw CheckpointError("cannot tell the target format from the extension (use .ckpt, .safetensors, .h5, .pt, or a folder)", file: target)
    }

    static func defaultConvention(for format: CheckpointFormat, family: ModelFamily) -> String {
        switch format {
        case .mindspore: return "mindone"
        case .safetensors: return "diffusers"
        case .torchZip, .torchLegacy: return family == .dit ? "official" : "ldm"
        case .hdf5, .numpy, .pickle: return family.canonicalConvention
        }
    }
}
