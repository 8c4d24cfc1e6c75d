import ArgumentParser
import CLISupport
import NameMaps

/// `dit-convert`: DiT checkpoints between formats and naming conventions (official, MindONE, MindONE
/// legacy, diffusers), with coverage and shape checks before anything is written.
struct DiTConvert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dit-convert",
        abstract: "Convert DiT weights between .pt, .ckpt, .safetensors and .h5 and between official, mindone, mindone-legacy and diffusers names."
    )
    @OptionGroup var options: ModelConvertOptions
    func run() { ModelConvertCommand.run(options, family: .dit) }
}

DiTConvert.main()
