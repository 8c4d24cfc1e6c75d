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
            let (sourceFile, diffusersConfig) = try resolveSource(options.source)
            let checkpoint = try Checkpoint(path: sourceFile)
            let (stateDict, container) = try pickStateDict(checkpoint, use: options.use)
            log("source: \(sourceFile) (\(checkpoint.format.rawValue)\(container.map { ", \($0)" } ?? ""), \(stateDict.count) tensors)")

            let (targetPath, targetFormat) = try resolveTarget(options.target, source: sourceFile)
            let to = options.to ?? defaultConvention(for: targetFormat, family: family)
            var library = try TableLibrary.builtIn()
            for path in options.table { library.add(try NameTable(contentsOf: path)) }
            let inputSize = options.imageSize.map { $0 / 8 } ?? diffusersConfig?["sample_size"].flatMap { $0 as? Int }
            let plan: ModelConversion
            do {
                plan = try ModelConversion.plan(stateDict, family: family, from: options.from, to: to, library: library, inputSize: inputSize)
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

    /// A diffusers model folder becomes its weights file plus its parsed config.json.
    static func resolveSource(_ path: String) throws -> (String, [String: Any]?) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CheckpointError("no such file or folder", file: path)
        }
        guard isDirectory.boolValue else {
            let sibling = (path as NSString).deletingLastPathComponent + "/config.json"
            return (path, path.hasSuffix(".safetensors") ? readJSON(sibling) : nil)
        }
        for name in ["diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.bin", "model.safetensors"] {
            let candidate = path + "/" + name
            if FileManager.default.fileExists(atPath: candidate) { return (candidate, readJSON(path + "/config.json")) }
        }
        throw CheckpointError("folder has no diffusion_pytorch_model.safetensors or .bin", file: path)
    }

    static func readJSON(_ path: String) -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    /// Picks the weights: `ema`/`model` of a training checkpoint, `state_dict`, or the root.
    static func pickStateDict(_ checkpoint: Checkpoint, use: String) throws -> ([NamedTensor], String?) {
        if checkpoint.root["ema"] != nil || checkpoint.root["model"] != nil {
            guard ["ema", "model"].contains(use) else { throw CheckpointError("--use takes ema or model", file: checkpoint.path) }
            guard checkpoint.root[use] != nil else { throw CheckpointError("training checkpoint has no '\(use)' entry", file: checkpoint.path) }
            return (try checkpoint.tensors(select: use), "training checkpoint, using '\(use)'")
        }
        if checkpoint.root["state_dict"] != nil { return (try checkpoint.tensors(select: "state_dict"), "using 'state_dict'") }
        return (try checkpoint.tensors(), nil)
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
        case .hdf5: return family.canonicalConvention
        }
    }
}
