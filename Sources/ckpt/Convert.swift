import ArgumentParser
import Checkpoint
import CLISupport

/// `ckpt convert SRC DST [--dtype f32|f16|bf16] [--select ema]`
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Change a checkpoint's file format (and optionally its float dtype); tensor names are kept.",
        discussion: "The target format comes from DST's extension: .ckpt, .safetensors, .h5/.hdf5, .pt/.pth/.bin. The output is written atomically: a failed run leaves no DST."
    )

    @Argument(help: "Source checkpoint (any supported format).")
    var source: String

    @Argument(help: "Target file; its extension picks the format.")
    var target: String

    @Option(help: "Cast floating-point tensors to f32, f16, bf16 or f64 (round to nearest even, as torch).")
    var dtype: String?

    @Option(help: "Convert only the tensors under this entry of the stored object, e.g. ema, model, state_dict.")
    var select: String?

    @Flag(help: "For .ckpt targets: append MindSpore's crc_num trailer (save_checkpoint(crc_check=True)).")
    var crc = false

    @Flag(help: "No progress output.")
    var quiet = false

    func run() throws {
        runReportingErrors {
            guard let format = CheckpointFormat.forWriting(path: target) else {
                throw CheckpointError("cannot tell the target format from the extension (use .ckpt, .safetensors, .h5, .pt)", file: target)
            }
            let checkpoint = try Checkpoint(path: source)
            var tensors = try checkpoint.tensors(select: select)
            if let dtype {
                let targetType = try parseDType(dtype)
                tensors = try tensors.map { NamedTensor(name: $0.name, tensor: $0.tensor.dtype.isFloatingPoint ? try $0.tensor.converted(to: targetType) : $0.tensor) }
            }
            guard !tensors.isEmpty else { throw CheckpointError("no tensors to convert", file: source) }
            var options = WriterOptions()
            options.mindsporeCRC = crc
            let progress = ProgressLine(quiet: quiet)
            options.progress = progress.update
            let metadata = format == .safetensors && !checkpoint.metadata.isEmpty ? checkpoint.metadata : [:]
            try writeCheckpoint(tensors, metadata: metadata, to: target, format: format, options: options)
            if !quiet {
                print("\(source) (\(checkpoint.format.rawValue)) → \(target) (\(format.rawValue)): \(tensors.count) tensors")
            }
        }
    }
}
