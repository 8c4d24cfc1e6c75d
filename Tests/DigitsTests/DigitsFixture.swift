import Foundation
import Kernels
import Models
import NameMaps
import Sampling

/// The bundled digits model (fixtures/digits) and its sampling settings (configs/inference/digits.yaml).
enum DigitsFixture {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let folder = root + "/fixtures/digits"

    /// digits.yaml with the checkpoint paths made absolute.
    static func config() throws -> SampleConfig {
        var config = SampleConfig()
        try config.apply(yaml: String(contentsOfFile: root + "/configs/inference/digits.yaml", encoding: .utf8), source: "digits.yaml")
        config.ditCheckpoint = root + "/" + config.ditCheckpoint
        config.vaeCheckpoint = root + "/" + config.vaeCheckpoint
        return config
    }

    /// Loads a DiT and a VAE from any supported file and naming, as dit-sample does.
    /// `precision` `.bf16`: the DiT's block GEMMs and the VAE's convolutions in bf16 (f32 on a CPU without AVX512_BF16).
    static func models(dit ditPath: String, vae vaePath: String, config: SampleConfig,
                       precision: ComputePrecision = .f32) throws -> (DiTDenoiser, VAEDecoder) {
        var options = LoadOptions()
        options.imageSize = config.imageSize
        let ditWeights = try ModelLoader.load(ditPath, family: .dit, options: options)
        let dit = try DiT(weights: ditWeights.weights, config: ditWeights.conversion.dit!, heads: config.numHeads, precision: precision)
        let vaeWeights = try ModelLoader.load(vaePath, family: .vae)
        let vae = try AutoencoderKL(weights: vaeWeights.weights, config: vaeWeights.conversion.vae!, groups: config.vaeNormGroups,
                                    precision: precision)
        return (DiTDenoiser(dit), VAEDecoder(vae))
    }

    /// Runs the sampling pipeline quietly into a scratch folder (removed afterwards).
    static func sample(_ config: SampleConfig, models: (DiTDenoiser, VAEDecoder)) throws -> (SamplePipeline.Result, Data?) {
        var pipeline = SamplePipeline(config: config)
        pipeline.quiet = true
        let dir = NSTemporaryDirectory() + "digits-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try pipeline.run(denoiser: models.0, decoder: models.1, outputFolder: dir)
        let png = config.imagegrid ? FileManager.default.contents(atPath: dir + "/sample.png") : nil
        return (result, png)
    }

    /// Labels 0…9 ten times: 10 samples per digit.
    static let hundred = (0..<100).map { $0 % 10 }

    /// Samples `asked` (DDIM-50, CFG 4.0 unless `guidance` says otherwise) and returns the independent
    /// classifier's per-class accuracy against `expected`, with the final latents.
    static func score(models: (DiTDenoiser, VAEDecoder), asked: [Int], expected: [Int], guidance: Double? = nil) throws -> (perClass: [Double], latents: [Float]) {
        var config = try DigitsFixture.config()
        config.classLabels = asked
        config.imagegrid = false
        if let guidance { config.guidanceScale = guidance }
        let result = try DigitsFixture.sample(config, models: models).0
        let classifier = try DigitClassifier(path: DigitsFixture.folder + "/classifier.safetensors")
        let features = DigitClassifier.features(result.images, count: asked.count, size: config.imageSize)
        var correct = [Int](repeating: 0, count: 10), total = [Int](repeating: 0, count: 10)
        for (k, f) in features.enumerated() {
            total[expected[k]] += 1
            if classifier.predict(f) == expected[k] { correct[expected[k]] += 1 }
        }
        return ((0..<10).map { total[$0] > 0 ? Double(correct[$0]) / Double(total[$0]) : 0 }, result.latents)
    }
}
