import CLISupport

/// `vae-convert`: Stable-Diffusion VAE checkpoints between formats and naming conventions (diffusers,
/// diffusers-old, ldm, mindone), with coverage and shape checks before anything is written.
ModelConvertCommand.run(ModelConvertSettings.settings(
    tool: "vae-convert",
    abstract: "Convert SD-VAE weights between .pt, .ckpt, .safetensors and .h5 and between diffusers, diffusers-old, ldm and mindone names.",
    examples: ["vae-convert --source sd-vae-ft-mse --target .ckpt   # a diffusers folder → sd-vae-ft-mse.ckpt",
               "vae-convert --source models/sd-vae-ft-mse.ckpt --target vae.pt --to ldm"]
), family: .vae)
