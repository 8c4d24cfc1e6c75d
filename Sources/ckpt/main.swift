import CLISupport

/// `ckpt`: inspect, convert and compare checkpoints in any supported format, without renaming.
SubcommandTool(
    tool: "ckpt",
    abstract: "Inspect, convert and compare PyTorch .pt, MindSpore .ckpt, safetensors and HDF5 checkpoints.",
    subcommands: [Inspect.command, Convert.command, Diff.command]
).main()
