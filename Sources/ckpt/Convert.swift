import Checkpoint
import CLISupport

/// `ckpt convert SOURCE TARGET [--dtype f32|f16|bf16] [--select ema]`
enum Convert {
    static let command = Subcommand("convert", settings: ToolSettings(
        tool: "ckpt convert",
        abstract: "Change a checkpoint's file format (and optionally its float dtype); tensor names are kept.",
        examples: ["ckpt convert DiT-XL-2-256x256.pt .safetensors --select ema   # writes DiT-XL-2-256x256.safetensors"],
        declarations: [
            SettingDeclaration("dtype", .string, default: .none, help: "Cast floating-point tensors to f32, f16, bf16 or f64 (round to nearest even, as torch)."),
            SettingDeclaration("select", .string, default: .none, help: "Convert only the tensors under this entry of the stored object, e.g. ema, model, state_dict."),
            SettingDeclaration("crc", .bool, default: .bool(false), help: "For .ckpt targets: append MindSpore's crc_num trailer (save_checkpoint(crc_check=True))."),
            SettingDeclaration("quiet", .bool, default: .bool(false), help: "No progress output."),
        ],
        positionals: [PositionalDeclaration("SOURCE", help: "Source checkpoint (any supported format)."),
                      PositionalDeclaration("TARGET", help: "Target file; its extension picks the format (.ckpt, .safetensors, .h5/.hdf5, .pt/.pth/.bin); a bare extension (.ckpt) names it after SOURCE, next to it. Written atomically: a failed run leaves no TARGET.")]
    ), run: run)

    static func run(_ settings: ResolvedSettings) throws {
        let source = settings.positional("SOURCE")
        let target = TargetPath.expandingBareExtension(settings.positional("TARGET"), source: source)
        let quiet = settings.bool("quiet")
        guard let format = CheckpointFormat.forWriting(path: target) else {
            throw CheckpointError("cannot tell the target format from the extension (use .ckpt, .safetensors, .h5, .pt)", file: target)
        }
        let checkpoint = try Checkpoint(path: source)
        var tensors = try checkpoint.tensors(select: settings.optionalString("select"))
        if let dtype = settings.optionalString("dtype") {
            let targetType = try parseDType(dtype)
            tensors = try tensors.map { NamedTensor(name: $0.name, tensor: $0.tensor.dtype.isFloatingPoint ? try $0.tensor.converted(to: targetType) : $0.tensor) }
        }
        guard !tensors.isEmpty else { throw CheckpointError("no tensors to convert", file: source) }
        var options = WriterOptions()
        options.mindsporeCRC = settings.bool("crc")
        let progress = ProgressLine(quiet: quiet)
        options.progress = progress.update
        let metadata = format == .safetensors && !checkpoint.metadata.isEmpty ? checkpoint.metadata : [:]
        try writeCheckpoint(tensors, metadata: metadata, to: target, format: format, options: options)
        if !quiet {
            print("\(source) (\(checkpoint.format.rawValue)) → \(target) (\(format.rawValue)): \(tensors.count) tensors")
        }
    }
}
