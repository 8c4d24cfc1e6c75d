import XCTest
@testable import Diffusion

/// The whole loop (seeded noise stream, CFG batch doubling, respacing, steps) against the official
/// `p_sample_loop` / `ddim_sample_loop` with the same stand-in model and seed.
final class SamplerLoopTests: XCTestCase {
    func standIn(_ x: [Float], _ t: [Int], _ y: [Int]) -> [Float] {
        let perSample = 4 * 16
        var out = [Float](repeating: 0, count: 2 * x.count)  // [B, 8, 4, 4] f32
        for b in 0..<t.count {
            for i in 0..<perSample {
                let v = x[b * perSample + i]
                out[b * 2 * perSample + i] = 0.5 * v + 1e-3 * Float(t[b]) + 1e-2 * Float(y[b])
                out[b * 2 * perSample + perSample + i] = 0.1 * v
            }
        }
        return out
    }

    func testLoopsMatchTheOfficialCodeWithTheSameSeed() throws {
        let dump = try ExpectedDump("diffusion/loops")
        for (name, spec, method, seed) in [("ddpm25", "25", DiTSampler.Method.ddpm, UInt64(0)), ("ddim10", "10", .ddim(eta: 0), 7), ("ddpm250", "250", .ddpm, 3)] {
            let sampler = DiTSampler(diffusion: try GaussianDiffusion(respacing: spec), method: method)
            var generator = TorchGenerator(seed: seed)
            let latents = try sampler.sample(labels: [3, 9], channels: 4, latentSize: 4, guided: true, nullClass: 10,
                                             noise: &generator, denoise: standIn)
            let expected = ExpectedDump.floats(dump.entries.first { $0.name == "\(name).seed\(seed)" }!)
            let worst = zip(latents, expected).map { abs($0 - $1) / max(abs($1), 1e-2) }.max() ?? .infinity
            XCTAssertLessThanOrEqual(worst, 1e-4, name)
        }
    }
}
