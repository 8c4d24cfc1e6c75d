import CLISupport

/// `dit-train`'s settings, declared once: every key of MindONE's `examples/dit/args_train.py` (R1 and R2)
/// plus DiTPort's own. The declarations drive `-c FILE` (MindONE's YAML files as shipped), both flag
/// spellings (`--data_path`, `--data-path`), Python booleans and `--help`.
///
/// Keys whose default depends on `recipe` (official / mindone) default to "not given"; the recipe
/// preset fills them (docs/training.md lists both presets).
enum TrainSettings {
    static let recipeDependent = "default: from recipe"

    static let tool = ToolSettings(
        tool: "dit-train",
        abstract: "Trains or finetunes a DiT on the CPU (official train.py / MindONE train.py), from images or a latent cache.",
        examples: ["dit-train --config configs/training/class_cond_finetune.yaml",
                   "dit-train -c configs/training/digits.yaml --max_steps 50 --output_path runs/digits",
                   "dit-train -c cfg.yaml --resume True"],
        declarations: model + data + optimisation + PrecisionSettings.declarations + outputs + ours,
        acceptedWithNote: ignoredOnCPU
    )

    static let model: [SettingDeclaration] = [
        SettingDeclaration("model_name", .string, default: .string("DiT-XL/2"),
                           help: "DiT-XL/2 … DiT-S/8, or any name with hidden_size/depth/patch_size/num_heads for other sizes (ignored when dit_checkpoint gives the shape)."),
        SettingDeclaration("image_size", .int, default: .int(256), help: "Image size in pixels (latent = image / 8)."),
        SettingDeclaration("dit_checkpoint", .string, default: .string("models/DiT-XL-2-256x256.ckpt"),
                           help: "Initial DiT weights in any format and naming (.pt, MindONE .ckpt with or without network., diffusers, .h5); \"\" = random init as the official initialize_weights."),
        SettingDeclaration("condition", .string, default: .string("class"), help: "Conditioning: class (the only kind DiT has)."),
        SettingDeclaration("num_classes", .int, default: .int(1000), help: "Classes (the label table has one more row, the null class)."),
        SettingDeclaration("num_heads", .int, default: .none, help: "Attention heads (needed for sizes other than the paper's)."),
        SettingDeclaration("hidden_size", .int, default: .none, help: "Width for a non-paper size (with depth, patch_size, num_heads)."),
        SettingDeclaration("depth", .int, default: .none, help: "Blocks for a non-paper size."),
        SettingDeclaration("patch_size", .int, default: .none, help: "Patch size for a non-paper size (2, 4 or 8)."),
        SettingDeclaration("patch_embedder", .choice(["conv"]), default: .string("conv"), help: "Patch embedding (MindONE R2): conv, as the official model."),
        SettingDeclaration("sd_scale_factor", .double, default: .double(0.18215), help: "Latent scale factor of the VAE."),
    ]

    static let data: [SettingDeclaration] = [
        SettingDeclaration("data_path", .string, default: .string("dataset"),
                           help: "Images: root/<class>/<file> with imagenet_format True, else a folder with image_caption.csv (MindONE).",
                           aliases: ["dataset_path"]),
        SettingDeclaration("imagenet_format", .bool, default: .bool(false), help: "ImageFolder layout instead of MindONE's image_caption.csv."),
        SettingDeclaration("vae_checkpoint", .string, default: .string("models/sd-vae-ft-mse.ckpt"),
                           help: "VAE that encodes the images (any format/naming or a diffusers folder); not loaded with latent_cache."),
        SettingDeclaration("latent_cache", .string, default: .none, help: "Train from a dit-extract latent cache (no images, no VAE)."),
        SettingDeclaration("transform", .choice(["adm", "mindone"]), default: .none,
                           help: "Crop: adm (official center_crop_arr) or mindone (SmallestMaxSize + CenterCrop); default adm for ImageFolder, mindone for CSV."),
        SettingDeclaration("flip", .bool, default: .none, help: "Random horizontal flips (official default); default True for ImageFolder, False for CSV (as MindONE)."),
        SettingDeclaration("shuffle", .bool, default: .bool(true), help: "Shuffle the sample order each epoch (seeded)."),
    ]

    static let optimisation: [SettingDeclaration] = [
        SettingDeclaration("recipe", .choice(["official", "mindone"]), default: .string("official"),
                           help: "Presets: official train.py (torch AdamW, constant EMA, frozen pos_embed) or mindone (AdamWeightDecay, warm-up EMA, trained pos_embed)."),
        SettingDeclaration("optim", .choice(["adamw", "torch_adamw", "ms_adamw"]), default: .none,
                           help: "adamw = the recipe's optimizer; torch_adamw = torch.optim.AdamW; ms_adamw = MindSpore AdamWeightDecay (\(recipeDependent))."),
        SettingDeclaration("start_learning_rate", .double, default: .none, help: "Peak learning rate (official 1e-4, mindone 1e-5).", aliases: ["learning_rate", "lr"]),
        SettingDeclaration("end_learning_rate", .double, default: .none, help: "Final rate of cosine_decay (1e-7)."),
        SettingDeclaration("scheduler", .choice(["constant", "cosine_decay"]), default: .none, help: "Learning-rate schedule after the warm-up (official constant, mindone cosine_decay)."),
        SettingDeclaration("warmup_steps", .int, default: .none, help: "Linear warm-up from 0 over this many steps (official 0, mindone 1000)."),
        SettingDeclaration("decay_steps", .int, default: .none, help: "cosine_decay length (0 = all steps after the warm-up)."),
        SettingDeclaration("betas", .doubleList, default: .none, help: "Adam betas [0.9, 0.999]."),
        SettingDeclaration("optim_eps", .double, default: .none, help: "Adam epsilon (official 1e-8, mindone 1e-6)."),
        SettingDeclaration("weight_decay", .double, default: .none, help: "Decoupled weight decay (official 0, mindone 1e-6)."),
        SettingDeclaration("group_strategy", .choice(["norm_and_bias"]), default: .none, help: "MindSpore AdamWeightDecay: no decay for gamma/beta/bias."),
        SettingDeclaration("clip_grad", .bool, default: .none, help: "Clip the global gradient norm to max_grad_norm (official False)."),
        SettingDeclaration("max_grad_norm", .double, default: .none, help: "Global norm bound for clip_grad (1.0)."),
        SettingDeclaration("use_ema", .bool, default: .none, help: "Keep an EMA of the weights (official True, mindone False)."),
        SettingDeclaration("ema_decay", .double, default: .none, help: "EMA decay (0.9999)."),
        SettingDeclaration("ema_kind", .choice(["official", "mindone"]), default: .none,
                           help: "official: constant decay, copied at step 0; mindone: decay·(1 − exp(−n/2000))."),
        SettingDeclaration("train_pos_embed", .bool, default: .none, help: "Train pos_embed (mindone) or keep the sin-cos table frozen (official)."),
        SettingDeclaration("train_batch_size", .int, default: .int(10), help: "Samples per micro-batch (per process)."),
        SettingDeclaration("gradient_accumulation_steps", .int, default: .none, help: "Micro-batches per optimizer step (1)."),
        SettingDeclaration("epochs", .int, default: .int(10), help: "Passes over the data (the last partial batch is dropped)."),
        SettingDeclaration("max_steps", .int, default: .int(0), help: "Stop after this many optimizer steps (0 = epochs × steps per epoch)."),
        SettingDeclaration("class_dropout_prob", .double, default: .double(0.1), help: "Probability of training a sample with the null label (classifier-free guidance)."),
        SettingDeclaration("seed", .int, default: .int(3407), help: "Seed of every random draw (t, noise, label drop, VAE noise, flips, order, init)."),
    ]

    static let outputs: [SettingDeclaration] = [
        SettingDeclaration("output_path", .string, default: .string("output/"), help: "Run folder parent: a timestamped run folder is made inside (MindONE)."),
        SettingDeclaration("output_timestamp", .bool, default: .bool(true), help: "Make the run folder output_path/<YYYY-MM-DDTHH-MM-SS> (MindONE); False writes into output_path itself."),
        SettingDeclaration("checkpoint_format", .choice(["ckpt", "pt"]), default: .string("ckpt"),
                           help: "ckpt: MindONE ckpt/DiT-e{epoch}.ckpt + train_resume.ckpt; pt: official checkpoints/{step:07d}.pt = {model, ema, opt, args}."),
        SettingDeclaration("ckpt_save_interval", .int, default: .int(1), help: "Save every N epochs (N steps with step_mode); the last step is always saved."),
        SettingDeclaration("ckpt_max_keep", .int, default: .int(10), help: "Keep the newest N model checkpoints (0 = all)."),
        SettingDeclaration("step_mode", .bool, default: .bool(false), help: "Count ckpt_save_interval in steps and name files DiT-s{step}.ckpt."),
        SettingDeclaration("resume", .string, default: .string("False"),
                           help: "False, True (the newest run under output_path), or a train_resume.ckpt / dit-train .pt path."),
        SettingDeclaration("log_interval", .int, default: .int(1), help: "Print a log line every N steps when not on a terminal (loss.csv always has every step)."),
    ]

    static let ours: [SettingDeclaration] = [
        SettingDeclaration("noise", .string, default: .none,
                           help: "Inject every random draw from a safetensors file (t.{k}, noise.{k}, drop.{k}, vae_noise.{k}, flip.{k}) for parity runs."),
        SettingDeclaration("sample_every", .int, default: .int(0), help: "Every N steps write a sample grid of the EMA weights (needs a VAE)."),
        SettingDeclaration("sample_labels", .intList, default: .none, help: "Labels of the sample grid (default: up to 10 classes from 0)."),
        SettingDeclaration("use_parallel", .bool, default: .bool(false), help: "Data-parallel over MPI ranks (launch with mpirun; docs/distributed.md)."),
        SettingDeclaration("zero_stage", .int, default: .none,
                           help: "With use_parallel: 1 shards the AdamW moments and EMA over the ranks (ZeRO-1, default with > 1 process), 0 replicates them."),
        SettingDeclaration("overlap_gradients", .bool, default: .bool(true),
                           help: "With use_parallel: sum (zero_stage 0) or reduce-scatter (zero_stage 1) gradient buckets over the ranks during the backward (DDP's overlap) instead of once after it."),
        SettingDeclaration("threads", .int, default: .none, help: "Worker threads (default: DITPORT_THREADS or all cores)."),
        SettingDeclaration("quiet", .bool, default: .bool(false), help: "No progress bar or log lines."),
    ]

    /// MindONE keys that mean nothing on a CPU: accepted with one note line each.
    static let ignoredOnCPU: [String: String] = {
        var notes: [String: String] = [:]
        for key in ["device_target", "mode", "jit_level", "max_device_memory", "precision_mode", "enable_modelarts"] {
            notes[key] = "\(key) is a MindSpore device/graph option: ignored (dit-train runs on the CPU)"
        }
        for key in ["enable_flash_attention", "use_recompute"] {
            notes[key] = "\(key) is ignored: attention is exact and activations are saved/recomputed by the engine's own plan"
        }
        notes["amp_level"] = "amp_level is ignored: dtype bf16 (or fp16) always uses torch.autocast's split — bf16 GEMMs, everything else in float32"
        for key in ["loss_scaler_type", "init_loss_scale", "loss_scale_factor", "scale_window", "drop_overflow_update"] {
            notes[key] = "\(key) is ignored: float32 and bf16 training need no loss scaling (bf16 has float32's exponent range)"
        }
        for key in ["dataset_sink_mode", "sink_size", "callback_size", "num_parallel_workers", "num_workers", "profile", "log_level"] {
            notes[key] = "\(key) is a MindSpore runtime option: ignored"
        }
        for key in ["pretrained_model_path", "clip_checkpoint", "replace_small_images", "json_data_path"] {
            notes[key] = "\(key) is unused by DiT training (as in MindONE): ignored"
        }
        return notes
    }()
}
