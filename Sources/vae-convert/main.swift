import ArgumentParser
import CLISupport
import NameMaps

/// `vae-convert`: Stable-Diffusion VAE checkpoints between formats and naming conventions (diffusers,
/// diffusers-old, ldm, mindone), with coverage and shape checks before anything is written.
struct VAEConvert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vae-convert",
        abstract: "Convert SD-VAE weights between .pt, .ckpt, .safetensors and .h5 and between diffusers, diffusers-old, ldm and mindone names."
    )
    @OptionGroup var options: ModelConvertOptions
    func run() { ModelConvertCommand.run(options, family: .vae) }
}

VAEConvert.main()
