import Kernels
import Models
import NameMaps
import XCTest

final class DiTModelTests: XCTestCase {
    func testPaperVariants() throws {
        XCTAssertEqual(DiTVariant.names.count, 12)
        let xl = try DiTVariant.config("DiT-XL/2", imageSize: 256)
        XCTAssertEqual([xl.depth, xl.hiddenSize, xl.numHeads, xl.patchSize, xl.inputSize, xl.tokens], [28, 1152, 16, 2, 32, 256])
        let s8 = try DiTVariant.config("S/8", imageSize: 512)
        XCTAssertEqual([s8.depth, s8.hiddenSize, s8.numHeads, s8.inputSize, s8.tokens], [12, 384, 6, 64, 64])
        // Parameter count of DiT-XL/2 without pos_embed, as measured on the official model.
        XCTAssertEqual(xl.expectedParameters().filter { $0.name != "pos_embed" }.reduce(0) { $0 + $1.shape.reduce(1, *) }, 674_834_720)
        XCTAssertThrowsError(try DiTVariant.config("DiT-XXL/2", imageSize: 256)) { XCTAssertTrue("\($0)".contains("DiT-XL/2, DiT-XL/4")) }
        XCTAssertThrowsError(try DiTVariant.config("DiT-B/8", imageSize: 260))
    }

    /// A small random model through every latent size and patch it supports; checks shapes and the CFG
    /// channel semantics (guided channels equal in both halves, the others untouched).
    func testForwardShapesAndGuidance() throws {
        let config = DiTConfig(hiddenSize: 16, depth: 1, patchSize: 4, inChannels: 4, inputSize: 16, numClasses: 5, learnSigma: true, numHeads: 2)
        let dit = try DiT(weights: try RandomWeights.dit(config, seed: 7), config: config)
        var rng = SystemRandomNumberGenerator()
        let x = FloatTensor(shape: [2, 4, 16, 16], values: (0..<2048).map { _ in Float.random(in: -1...1, using: &rng) })
        let t = [10, 10], y = [3, 5]
        let plain = try dit.forward(FloatTensor.concatenate(batch: [x.slice(batch: 0..<1), x.slice(batch: 0..<1)]), t: t, y: y)
        XCTAssertEqual(plain.shape, [2, 8, 16, 16])
        for (channels, guided) in [(GuidedChannels.official, 3), (.allLatent, 4)] {
            let out = try dit.forwardWithCFG(x, t: t, y: y, cfgScale: 4, channels: channels)
            let plane = 256
            for ch in 0..<8 {
                let first = Array(out.values[(ch * plane)..<((ch + 1) * plane)]), second = Array(out.values[((8 + ch) * plane)..<((9 + ch) * plane)])
                let p0 = Array(plain.values[(ch * plane)..<((ch + 1) * plane)]), p1 = Array(plain.values[((8 + ch) * plane)..<((9 + ch) * plane)])
                if ch < guided {
                    XCTAssertEqual(first, second, "channel \(ch) guided in both halves")
                    let want = zip(p0, p1).map { c, u in u + 4 * (c - u) }
                    XCTAssertEqual(first, want)
                } else {
                    XCTAssertEqual(first, p0, "channel \(ch) conditional, unguided")
                    XCTAssertEqual(second, p1, "channel \(ch) unconditional, unguided")
                }
            }
        }
    }

    func testInputErrors() throws {
        let config = DiTConfig(hiddenSize: 8, depth: 1, patchSize: 2, inChannels: 4, inputSize: 4, numClasses: 3, learnSigma: false, numHeads: 1)
        let dit = try DiT(weights: try RandomWeights.dit(config), config: config)
        let x = FloatTensor(zeros: [1, 4, 4, 4])
        XCTAssertThrowsError(try dit.forward(x, t: [1], y: [4])) { XCTAssertTrue("\($0)".contains("class label 4 is outside 0…3")) }
        XCTAssertThrowsError(try dit.forward(FloatTensor(zeros: [1, 4, 8, 8]), t: [1], y: [0])) { XCTAssertTrue("\($0)".contains("expected [N, 4, 4, 4]")) }
        XCTAssertThrowsError(try dit.forwardWithCFG(x, t: [1], y: [0], cfgScale: 2)) { XCTAssertTrue("\($0)".contains("even batch")) }
        XCTAssertEqual(try dit.forward(x, t: [999], y: [3]).shape, [1, 4, 4, 4])
        var custom = config
        custom.numHeads = nil
        XCTAssertThrowsError(try DiT(weights: try RandomWeights.dit(custom), config: custom)) { XCTAssertTrue("\($0)".contains("--num-heads")) }
    }

    /// The frequency table: official float32 evaluation, cos first; freqs[0] = 1, freqs[1] and
    /// freqs[127] as measured on the official code (dit_official.md §1.3).
    func testTimestepFrequencies() throws {
        let config = DiTConfig(hiddenSize: 8, depth: 1, patchSize: 2, inChannels: 4, inputSize: 4, numClasses: 3, learnSigma: false, numHeads: 1)
        let dit = try DiT(weights: try RandomWeights.dit(config), config: config)
        var freq: FloatTensor?
        _ = try dit.forward(FloatTensor(zeros: [1, 4, 4, 4]), t: [1], y: [0]) { name, value in if name == "t_freq" { freq = value } }
        let f = try XCTUnwrap(freq)
        XCTAssertEqual(f.shape, [1, 256])
        XCTAssertEqual(f.values[0], Foundation.cos(1))
        XCTAssertEqual(f.values[128], Foundation.sin(1))
        XCTAssertEqual(f.values[1], Foundation.cos(Float(0.93057203)))
        XCTAssertEqual(f.values[127], Foundation.cos(Float(1.0746076e-4)))
    }
}
