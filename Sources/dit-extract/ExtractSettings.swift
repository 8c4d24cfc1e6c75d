import CLISupport

/// `dit-extract`'s settings, declared once (YAML via -c, `--data_path` / `--data-path`, --help).
enum ExtractSettings {
    static let tool = ToolSettings(
        tool: "dit-extract",
        abstract: "Encodes an image dataset (ImageFolder or MindONE CSV) with a VAE into a latent cache for dit-train.",
        examples: ["dit-extract --data_path imagenet/train --imagenet_format True --image_size 256 "
                   + "--vae_checkpoint sd-vae-ft-mse/ --output latents.safetensors --flip True"],
        declarations: [
            SettingDeclaration("data_path", .string, default: .none,
                               help: "Dataset folder: root/<class>/<image> with --imagenet_format True, else a folder holding image_caption.csv.",
                               aliases: ["dataset_path"]),
            SettingDeclaration("imagenet_format", .bool, default: .bool(false),
                               help: "ImageFolder layout (torchvision order and labels) instead of MindONE's image_caption.csv."),
            SettingDeclaration("image_size", .int, default: .int(256), help: "Crop size in pixels (a multiple of the VAE's factor, 8)."),
            SettingDeclaration("vae_checkpoint", .string, default: .none,
                               help: "VAE weights: any supported file or a diffusers folder (diffusers, LDM or MindONE naming).",
                               aliases: ["vae"]),
            SettingDeclaration("output", .string, default: .none, help: "The latent cache to write (safetensors, written atomically)."),
            SettingDeclaration("transform", .choice(["adm", "mindone"]), default: .string("adm"),
                               help: "adm: official center_crop_arr (Pillow BOX + BICUBIC); mindone: SmallestMaxSize (cv2 INTER_CUBIC) + CenterCrop."),
            SettingDeclaration("flip", .bool, default: .bool(false),
                               help: "Also store the moments of the mirrored crop (mean_flipped, logvar_flipped) for random flips in training."),
            SettingDeclaration("batch_size", .int, default: .int(8), help: "Images encoded together."),
            SettingDeclaration("preview_dir", .string, default: .none,
                               help: "Write each crop as the encoder sees it to DIR/{index:06d}.png (index = dataset order)."),
            SettingDeclaration("skip_bad", .bool, default: .bool(false),
                               help: "Skip unreadable, truncated or non-image files and list them at the end, instead of stopping."),
            SettingDeclaration("vae_unknown", .bool, default: .bool(false),
                               help: "Record the VAE as 'unknown' (no sha256), so training does not check which VAE made the cache."),
            SettingDeclaration("decode_only", .bool, default: .bool(false),
                               help: "Decode and crop only (no VAE, no cache): checks a dataset, writes --preview_dir, times the input pipeline."),
            SettingDeclaration("threads", .int, default: .none, help: "Worker threads (default: DITPORT_THREADS or all cores)."),
            SettingDeclaration("quiet", .bool, default: .bool(false), help: "No progress line."),
        ],
        acceptedWithNote: ["device_target": "device_target is ignored (dit-extract runs on the CPU)",
                           "mode": "MindSpore graph options are ignored", "jit_level": "MindSpore graph options are ignored",
                           "use_parallel": "use_parallel is ignored: dit-extract runs as one process"]
    )
}
