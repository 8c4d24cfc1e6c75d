import CLISupport

/// `dit-bench`'s settings, declared once (YAML, --key_name / --key-name flags, --help).
enum BenchSettings {
    static let tool = ToolSettings(
        tool: "dit-bench",
        abstract: "Time the DiT forward pass and the SD-VAE decoder on the CPU (random weights unless files are given; see docs/benchmarks.md).",
        examples: ["dit-bench --model DiT-XL/2 --image_size 256 --runs 5 --json"],
        declarations: [
            SettingDeclaration("model", .string, default: .string("DiT-XL/2"), help: "DiT configuration (DiT-XL/2 … DiT-S/8).", aliases: ["model_name"]),
            SettingDeclaration("image_size", .int, default: .int(256), help: "Image size (256 or 512; latents are image/8)."),
            SettingDeclaration("batch", .int, default: .int(2), help: "DiT batch (2 = one classifier-free-guidance step)."),
            SettingDeclaration("weights", .string, default: .none, help: "DiT weights file (default: random weights)."),
            SettingDeclaration("vae_weights", .string, default: .none, help: "VAE weights file or folder (default: random sd-vae-ft-mse weights)."),
            SettingDeclaration("vae_batch", .int, default: .int(1), help: "Images decoded per VAE run."),
            SettingDeclaration("runs", .int, default: .int(5), help: "Timed runs (the median is reported)."),
            SettingDeclaration("warmup", .int, default: .int(1), help: "Untimed warm-up runs."),
            SettingDeclaration("threads", .int, default: .none, help: "Worker threads (default: DITPORT_THREADS or the processor count)."),
            SettingDeclaration("dtype", .choice(["fp32", "bf16"]), default: .string("fp32"),
                               help: "bf16: the DiT blocks' qkv, proj, fc1, fc2 and the VAE's convolutions and attention projections in bf16 with f32 accumulation (AVX512_BF16; else float32 with a note)."),
            SettingDeclaration("use_fp16", .bool, default: .bool(false), help: "Keep f16/bf16 weights of the files 16-bit, widened on use."),
            SettingDeclaration("skip_vae", .bool, default: .bool(false), help: "Skip the VAE decoder."),
            SettingDeclaration("json", .bool, default: .bool(false), help: "Print one JSON object instead of text."),
            SettingDeclaration("train", .bool, default: .bool(false), help: "Time one training step on latents instead (official loss + hand-written backward; random weights and batch)."),
            SettingDeclaration("profile", .bool, default: .bool(false), help: "Also report where the time goes, per kernel family (timed runs only)."),
        ]
    )
}
