import Foundation
import Models
import Sampling
import Training

/// `sample_every`: a sample grid of the current EMA weights (or the raw weights without EMA), drawn
/// straight from the training buffer (no file round trip) with DDIM-50 and guidance 4.0, the settings
/// of the official `sample.py`, into `<run>/samples/step-NNNNNNN/sample.png`.
struct SampleGrid {
    let vae: AutoencoderKL
    let labels: [Int]
    let imageSize: Int
    let heads: Int
    let seed: UInt64
    let scaleFactor: Double

    func write(weights: [Float], layout: ParameterLayout, step: Int, runFolder: String) throws -> String {
        let dit = try weights.withUnsafeBufferPointer { try layout.inferenceModel(parameters: $0, heads: heads) }
        var config = SampleConfig()
        config.imageSize = imageSize
        config.numClasses = layout.config.numClasses
        config.classLabels = labels
        config.samplingSteps = 50
        config.ddimSampling = true
        config.guidanceScale = 4.0
        config.seed = seed
        config.sdScaleFactor = scaleFactor
        config.imagegrid = true
        config.gridColumns = min(labels.count, 10)
        config.quiet = true
        config.numHeads = heads
        var pipeline = SamplePipeline(config: config)
        pipeline.quiet = true
        let folder = runFolder + "/samples/step-" + String(format: "%07d", step)
        let result = try pipeline.run(denoiser: DiTDenoiser(dit), decoder: VAEDecoder(vae), outputFolder: folder)
        return result.files.first ?? folder
    }
}
