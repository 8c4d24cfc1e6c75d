import CLISupport
import Models
import NameMaps
import Training

/// The model a run trains: its configuration (from `dit_checkpoint`'s tensors, else `model_name` or the
/// explicit size keys), the parameter layout of the recipe, and the initial parameters.
struct ModelSetup {
    let layout: ParameterLayout
    let heads: Int
    /// Initial parameters (the caller may take them and leave this empty, so no copy outlives the start).  // [layout.count]
    var parameters: [Float]
    /// Where the parameters came from, for the log.
    let origin: String
    /// Things the user should know (printed as note lines).
    private(set) var notes: [String] = []

    init(settings: ResolvedSettings, trainPosEmbed: Bool, seed: UInt64) throws {
        let imageSize = settings.int("image_size")
        guard imageSize > 0, imageSize % 8 == 0 else { throw Failure("image_size \(imageSize) is not a positive multiple of 8") }
        let checkpoint = settings.string("dit_checkpoint")
        var config: DiTConfig
        var loaded: LoadedWeights? = nil
        if checkpoint.isEmpty {
            config = try ModelSetup.declaredConfig(settings, imageSize: imageSize)
        } else {
            var options = LoadOptions()
            options.imageSize = imageSize
            do {
                loaded = try ModelLoader.load(checkpoint, family: .dit, options: options)
            } catch {
                let hint = settings.isGiven("dit_checkpoint") ? "" : " (the default; give --dit_checkpoint \"\" to start from random weights)"
                throw Failure("dit_checkpoint \(checkpoint)\(hint): \(error)")
            }
            guard let found = loaded!.conversion.dit else { throw Failure("dit_checkpoint \(checkpoint) holds no DiT") }
            config = found
            if found.inputSize * 8 != imageSize {
                throw Failure("dit_checkpoint \(checkpoint) is a \(found.inputSize * 8)px model but image_size is \(imageSize)")
            }
            let name = settings.string("model_name")
            if settings.isGiven("model_name"), DiTVariant.names.contains(name) || DiTVariant.names.contains("DiT-" + name),
               let paper = found.paperName, paper != name && paper != "DiT-" + name {
                throw Failure("model_name is \(name) but dit_checkpoint \(checkpoint) holds \(paper)")
            }
            for (key, value) in [("hidden_size", found.hiddenSize), ("depth", found.depth), ("patch_size", found.patchSize)] {
                if let given = settings.optionalInt(key), given != value {
                    throw Failure("\(key) is \(given) (\(settings.origin(of: key))) but dit_checkpoint \(checkpoint) has \(value)")
                }
            }
            let paperNamed = DiTVariant.names.contains(name) || DiTVariant.names.contains("DiT-" + name)
            if settings.isGiven("model_name"), paperNamed, found.paperName == nil {
                notes.append("model_name is \(name) (\(settings.origin(of: "model_name"))) but dit_checkpoint \(checkpoint) holds a DiT of another size (\(found)): training what the checkpoint holds")
            }
            if settings.isGiven("num_classes"), settings.int("num_classes") != found.numClasses {
                throw Failure("num_classes is \(settings.int("num_classes")) but dit_checkpoint \(checkpoint) has \(found.numClasses) classes")
            }
        }
        if let heads = settings.optionalInt("num_heads") { config.numHeads = heads }
        guard let heads = config.numHeads else {
            throw Failure("num_heads is needed for a DiT of width \(config.hiddenSize) (not one of the paper's sizes)")
        }
        guard heads > 0, config.hiddenSize % heads == 0 else { throw Failure("num_heads \(heads) does not divide hidden_size \(config.hiddenSize)") }
        layout = ParameterLayout(config: config, trainPosEmbed: trainPosEmbed)
        self.heads = heads
        if let loaded {
            parameters = try InitialWeights.flatten(loaded, layout: layout)
            origin = "\(checkpoint) (\(loaded.format.rawValue), \(loaded.conversion.sourceConvention) naming)"
        } else {
            parameters = try InitialWeights.random(layout: layout, seed: seed)
            origin = "random init (official initialize_weights, seed \(seed))"
        }
    }

    /// `model_name` (a paper size) or `hidden_size` / `depth` / `patch_size` (+ `num_heads`).
    static func declaredConfig(_ settings: ResolvedSettings, imageSize: Int) throws -> DiTConfig {
        let numClasses = settings.int("num_classes")
        guard numClasses > 0 else { throw Failure("num_classes must be positive") }
        let custom = ["hidden_size", "depth", "patch_size"].filter { settings.value($0) != .none }
        if custom.isEmpty {
            do {
                return try DiTVariant.config(settings.string("model_name"), imageSize: imageSize, numClasses: numClasses)
            } catch {
                throw Failure("\(error); for another size give hidden_size, depth, patch_size and num_heads")
            }
        }
        guard custom.count == 3 else {
            throw Failure("a custom DiT size needs hidden_size, depth and patch_size together (given: \(custom.joined(separator: ", ")))")
        }
        let patch = settings.int("patch_size"), hidden = settings.int("hidden_size"), depth = settings.int("depth")
        guard [1, 2, 4, 8].contains(patch), (imageSize / 8) % patch == 0 else {
            throw Failure("patch_size \(patch) does not tile the \(imageSize / 8)×\(imageSize / 8) latent")
        }
        guard hidden > 0, depth > 0 else { throw Failure("hidden_size and depth must be positive") }
        return DiTConfig(hiddenSize: hidden, depth: depth, patchSize: patch, inChannels: 4, inputSize: imageSize / 8,
                         numClasses: numClasses, learnSigma: true, numHeads: settings.optionalInt("num_heads"))
    }
}
