import Checkpoint
import Foundation
import NameMaps

/// The settings shared by `dit-convert` and `vae-convert` (MindONE's converter flags `--source`/`--target`,
/// plus conventions, dtype, tables), declared once for YAML, both flag spellings and --help.
public enum ModelConvertSettings {
    public static func settings(tool: String, abstract: String, examples: [String]) -> ToolSettings {
        ToolSettings(tool: tool, abstract: abstract, examples: examples, declarations: [
            SettingDeclaration("source", .string, default: .none, help: "Source checkpoint: .pt/.pth/.bin, .ckpt, .safetensors, .h5, or a diffusers model folder (required).", short: "s"),
            SettingDeclaration("target", .string, default: .none, help: "Target file (.ckpt, .pt, .safetensors, .h5); a bare extension (.ckpt) names it after the source, next to it; without an extension, a folder in which the file is named after the source (.ckpt) (required).", short: "t"),
            SettingDeclaration("to", .string, default: .none, help: "Target naming convention (default: mindone for .ckpt, diffusers for .safetensors, official (DiT) / ldm (VAE) for .pt, canonical for .h5)."),
            SettingDeclaration("from", .string, default: .none, help: "Source naming convention (default: detected from the names)."),
            SettingDeclaration("dtype", .string, default: .none, help: "Cast floating-point tensors to f32, f16 or bf16 (round to nearest even, as torch)."),
            SettingDeclaration("table", .stringList, default: .stringList([]), help: "Rename table files (docs/name-tables.md) used instead of the built-in table between the same conventions (repeatable)."),
            SettingDeclaration("use", .choice(["ema", "model"]), default: .string("ema"), help: "For training checkpoints {model, ema, opt, args}: which weights to convert."),
            SettingDeclaration("image_size", .int, default: .none, help: "DiT image size (256, 512), needed when the source has no pos_embed and no config.json."),
            SettingDeclaration("crc", .bool, default: .bool(false), help: "For .ckpt targets: append MindSpore's crc_num trailer."),
            SettingDeclaration("quiet", .bool, default: .bool(false), help: "No progress or summary output."),
        ])
    }
}

/// Runs a model conversion for `family` (`dit-convert` / `vae-convert`).
public enum ModelConvertCommand {
    public static func run(_ settings: ToolSettings, family: ModelFamily) {
        runReportingErrors {
            let options = try settings.resolve(Array(CommandLine.arguments.dropFirst()))
            let quiet = options.bool("quiet")
            let log: (String) -> Void = { if !quiet { print($0) } }
            let sourcePath = try options.requiredString("source"), target = try options.requiredString("target")
            let source = try ModelSource(path: sourcePath, use: options.string("use"))
            let sourceFile = source.file
            log("source: \(sourceFile) (\(source.checkpoint.format.rawValue)\(source.container.map { ", \($0)" } ?? ""), \(source.tensors.count) tensors)")

            let (targetPath, targetFormat) = try resolveTarget(TargetPath.expandingBareExtension(target, source: sourcePath), source: sourceFile)
            let to = options.optionalString("to") ?? defaultConvention(for: targetFormat, family: family)
            var library = try TableLibrary.builtIn()
            for path in options.stringList("table") { library.add(try NameTable(contentsOf: path)) }
            let inputSize = options.optionalInt("image_size").map { $0 / 8 } ?? source.diffusersSampleSize
            let plan: ModelConversion
            do {
                plan = try ModelConversion.plan(source.tensors, family: family, from: options.optionalString("from"), to: to, library: library, inputSize: inputSize)
            } catch let error as NameTableError {
                throw CheckpointError(error.description, file: sourceFile)
            }
            log("detected: \(plan.family.rawValue) in \(plan.sourceConvention) naming; \(plan.configDescription)")
            plan.notes.forEach { log("note: \($0)") }

            var tensors = plan.tensors
            if let dtype = options.optionalString("dtype") {
                let cast = try parseDType(dtype)
                tensors = try tensors.map { NamedTensor(name: $0.name, tensor: $0.tensor.dtype.isFloatingPoint ? try $0.tensor.converted(to: cast) : $0.tensor) }
            }
            var writer = WriterOptions()
            writer.mindsporeCRC = options.bool("crc")
            let progress = ProgressLine(quiet: quiet)
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
        case .hdf5, .numpy, .numpyArchive, .pickle: return family.canonicalConvention
        }
    }
}
