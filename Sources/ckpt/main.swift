import CLISupport

/// `ckpt`: inspect, convert and compare checkpoints in any supported format, without renaming; scan them for pickle payloads.
SubcommandTool(
    tool: "ckpt",
    abstract: "Inspect, convert, compare and scan PyTorch .pt, MindSpore .ckpt, safetensors and HDF5 checkpoints.",
    subcommands: [Inspect.command, Convert.command, Diff.command, Scan.command]
).main()
