import ArgumentParser

/// `ckpt`: inspect, convert and compare checkpoints in any supported format, without renaming.
struct CkptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ckpt",
        abstract: "Inspect, convert and compare PyTorch .pt, MindSpore .ckpt, safetensors and HDF5 checkpoints.",
        subcommands: [Inspect.self, Convert.self, Diff.self, Scan.self]
    )
}

CkptCommand.main()
