import CLISupport

extension SampleConfig {
    /// `dit-sample`'s settings, declared once: MindONE's inference YAML keys (configs/inference/*.yaml of
    /// examples/dit, including the `image/` variants and the older `use_fp16`), and this tool's additions.
    /// This list drives the YAML reader, `--key_name` / `--key-name` flags and `--help`.
    public static let settings = ToolSettings(
        tool: "dit-sample",
        abstract: "Sample images from a DiT (+ SD-VAE) checkpoint: .pt, .ckpt, .safetensors, .h5, any naming.",
        examples: ["dit-sample -c configs/inference/dit-xl-2-256x256.yaml --ddim_sampling True --use_fp16 False",
                   "mpirun -n 2 dit-sample -c configs/inference/dit-xl-2-256x256.yaml --num_fid_samples 50000 --per_proc_batch_size 32 --sample_dir samples --use_parallel True",
                   "dit-sample -c configs/inference/digits.yaml --sampling-steps 25 --output samples/digits"],
        declarations: [
            SettingDeclaration("model_name", .string, default: .string("DiT-XL/2"),
                               help: "DiT-XL/2, DiT-B/4, ... (checked against the checkpoint for the paper's sizes).",
                               aliases: ["model"], short: "m"),
            SettingDeclaration("image_size", .int, default: .int(256), help: "Image size in pixels (256, 512; latent = size / 8)."),
            SettingDeclaration("dit_checkpoint", .string, default: .string("models/DiT-XL-2-256x256.ckpt"), help: "DiT weights, any format and naming.", aliases: ["ckpt"]),
            SettingDeclaration("vae_checkpoint", .string, default: .string("models/sd-vae-ft-mse.ckpt"), help: "SD-VAE weights, any format and naming."),
            SettingDeclaration("sd_scale_factor", .double, default: .double(0.18215), help: "Latent scale factor."),
            SettingDeclaration("sampling_steps", .int, default: .int(250), help: "Number of (respaced) sampling steps, 1…1000.",
                               aliases: ["num_sampling_steps"]),
            SettingDeclaration("guidance_scale", .double, default: .double(4.0), help: "Classifier-free guidance scale (1 = off; 0 = unconditional).",
                               aliases: ["cfg_scale"]),
            SettingDeclaration("seed", .int, default: .int(42), help: "Seed of the PyTorch-compatible CPU generator.", aliases: ["global_seed"]),
            SettingDeclaration("ddim_sampling", .bool, default: .bool(false), help: "True: DDIM (eta ddim_eta); False: DDPM."),
            SettingDeclaration("ddim_eta", .double, default: .double(0), help: "DDIM eta (0 = deterministic)."),
            SettingDeclaration("dtype", .choice(["fp32", "fp16", "bf16"]), default: .string("fp32"),
                               help: "fp16/bf16: keep 16-bit weights of the files 16-bit in memory. bf16 also computes the DiT blocks' qkv, proj, fc1 and fc2 and the VAE's convolutions and attention projections with bf16 operands and f32 accumulation on CPUs with AVX512_BF16 (torch.autocast's split; else float32, with a note); the rest is float32."),
            SettingDeclaration("use_fp16", .bool, default: .bool(false), help: "Older spelling of dtype: True = fp16, False = fp32 (the later of the two wins)."),
            SettingDeclaration("patch_embedder", .choice(["conv"]), default: .string("conv"),
                               help: "MindONE's patch embedder; only its default conv exists (the official weights)."),
            SettingDeclaration("imagegrid", .bool, default: .bool(false), help: "True: one sample.png grid (official DiT); False: class-<label>.png files (MindONE)."),
            SettingDeclaration("grid_columns", .int, default: .int(4), help: "Images per row of the grid (torchvision's nrow; official sample.py: 4)."),
            SettingDeclaration("num_classes", .int, default: .int(1000), help: "Number of classes (the null label is this number)."),
            SettingDeclaration("class_labels", .intList, default: .intList([207, 360, 387, 974, 88, 979, 417, 279]), help: "Labels, one image each (YAML list or 3,1,4)."),
            SettingDeclaration("cfg_channels", .int, default: .int(3), help: "Channels guided by CFG: 3 (official) or 4 (MindONE, diffusers)."),
            SettingDeclaration("num_heads", .int, default: .none, help: "Attention heads for non-paper DiT sizes."),
            SettingDeclaration("vae_norm_groups", .int, default: .int(32), help: "GroupNorm groups of the VAE (32 for SD's)."),
            SettingDeclaration("output_path", .string, default: .none, help: "Output folder (default samples/<timestamp>, as MindONE).", aliases: ["output"]),
            SettingDeclaration("noise_file", .string, default: .none, help: "Inject noise from a safetensors file (z, noise.{step}) instead of the seed.", aliases: ["noise"]),
            SettingDeclaration("save_latents", .string, default: .none, help: "Write the final latents (and the decoded images, [-1, 1] floats) to this safetensors file."),
            SettingDeclaration("save_trajectory", .string, default: .none, help: "Write every step's latents to this safetensors file."),
            SettingDeclaration("num_fid_samples", .int, default: .none,
                               help: "FID sampling as official sample_ddp.py: this many images, label and noise drawn per global index (docs/distributed.md), {index:06d}.png in a folder under sample_dir, then FOLDER.npz (arr_0, uint8 [N, H, W, 3])."),
            SettingDeclaration("per_proc_batch_size", .int, default: .int(32), help: "FID sampling: images per batch of each process."),
            SettingDeclaration("sample_dir", .string, default: .string("samples"), help: "FID sampling: where the sample folder and its .npz go."),
            SettingDeclaration("vae", .string, default: .none,
                               help: "FID sampling: the VAE's name in the folder name (sample_ddp.py's ema|mse); default from vae_checkpoint (ema/mse for sd-vae-ft-ema/-mse, else its file name)."),
            SettingDeclaration("use_parallel", .bool, default: .bool(false),
                               help: "True: one process of an MPI job (mpirun -n N dit-sample ... --use_parallel True); FID batches are shared out between the processes."),
            SettingDeclaration("quiet", .bool, default: .bool(false), help: "No progress bar or log."),
        ],
        acceptedWithNote: Dictionary(uniqueKeysWithValues: ["device_target", "mode", "ms_mode", "jit_level", "precision_mode", "enable_flash_attention", "use_recompute"].map {
            ($0, "MindSpore runtime options mean nothing on the CPU and are ignored")
        })
    )

    /// The declared defaults, read by the stored properties' initial values.
    static let defaults = settings.defaults()
}
