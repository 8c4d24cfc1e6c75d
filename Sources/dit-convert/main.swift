import CLISupport

/// `dit-convert`: DiT checkpoints between formats and naming conventions (official, MindONE, MindONE
/// legacy, diffusers), with coverage and shape checks before anything is written.
ModelConvertCommand.run(ModelConvertSettings.settings(
    tool: "dit-convert",
    abstract: "Convert DiT weights between .pt, .ckpt, .safetensors and .h5 and between official, mindone, mindone-legacy and diffusers names.",
    examples: ["dit-convert --source DiT-XL-2-256x256.pt --target .ckpt",
               "dit-convert --source models/DiT-XL-2-256x256.ckpt --target dit.safetensors --to diffusers --dtype f16"]
), family: .dit)
