import XCTest
@testable import Diffusion

/// Tables, respacing and single steps against the official `diffusion/` package (fixtures/diffusion).
final class GaussianDiffusionTests: XCTestCase {
    static let dump = try! ExpectedDump("diffusion/tables")
    static func entry(_ name: String) -> ExpectedDump.Entry { dump.entries.first { $0.name == name }! }
    static func doubles(_ name: String) -> [Double] {
        entry(name).bytes.withUnsafeBytes { raw in (0..<(raw.count / 8)).map { raw.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self) } }
    }
    static func ints(_ name: String) -> [Int] {
        entry(name).bytes.withUnsafeBytes { raw in (0..<(raw.count / 8)).map { Int(raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) } }
    }
    static func floats(_ name: String) -> [Float] { ExpectedDump.floats(entry(name)) }

    func testTimestepSetsEqualSpaceTimesteps() throws {
        for spec in ["250", "100", "50", "25", "ddim50", "1000", "10,5"] {
            let key = spec.replacingOccurrences(of: ",", with: "_")
            XCTAssertEqual(try Respacing.timesteps(total: 1000, spec: spec == "1000" ? "" : spec), Self.ints("\(key).timestep_map"), spec)
        }
    }

    func testTablesEqualTheOfficialOnesInFloat64AndFloat32() throws {
        for spec in ["250", "100", "50", "25", "ddim50", "1000", "10,5"] {
            let d = try GaussianDiffusion(respacing: spec == "1000" ? "" : spec)
            let key = spec.replacingOccurrences(of: ",", with: "_")
            let tables: [(String, [Double])] = [
                ("betas", d.betas), ("alphas_cumprod", d.alphasCumprod), ("alphas_cumprod_prev", d.alphasCumprodPrev),
                ("sqrt_recip_alphas_cumprod", d.sqrtRecipAlphasCumprod), ("sqrt_recipm1_alphas_cumprod", d.sqrtRecipm1AlphasCumprod),
                ("posterior_variance", d.posteriorVariance), ("posterior_log_variance_clipped", d.posteriorLogVarianceClipped),
                ("posterior_mean_coef1", d.posteriorMeanCoef1), ("posterior_mean_coef2", d.posteriorMeanCoef2),
            ]
            for (name, values) in tables {
                let f64 = Self.doubles("\(key).\(name).f64")
                let worst = zip(values, f64).map { abs($0 - $1) / max(abs($1), 1e-300) }.max() ?? 0
                XCTAssertLessThanOrEqual(worst, 4e-15, "\(spec) \(name) float64 relative error")
                XCTAssertEqual(values.map { Float($0).bitPattern }, Self.floats("\(key).\(name).f32").map(\.bitPattern), "\(spec) \(name) float32 bits")
            }
            XCTAssertEqual(d.logBetas.map { Float($0).bitPattern }, Self.floats("\(key).log_betas.f32").map(\.bitPattern), "\(spec) log betas")
        }
    }

    func testStepsMatchTheReference() throws {
        let d = try GaussianDiffusion(respacing: "250")
        let layout = GaussianDiffusion.Layout(batch: 2, channels: 4, plane: 16)
        let x = Self.floats("step.x"), out = Self.floats("step.out"), noise = Self.floats("step.noise")
        for index in [249, 120, 1, 0] {
            let cases: [(String, [Float])] = [
                ("ddpm", d.ddpmStep(x: x, output: out, index: index, noise: noise, layout: layout)),
                ("ddim", d.ddimStep(x: x, output: out, index: index, noise: noise, layout: layout)),
                ("ddim_eta05", d.ddimStep(x: x, output: out, index: index, noise: noise, eta: 0.5, layout: layout)),
            ]
            for (name, values) in cases {
                let expected = Self.floats("step.\(name).\(index)")
                // float32 rounding of the reference's own operation order: a few ulps where terms cancel.
                let worst = zip(values, expected).map { abs($0 - $1) / (1e-6 + 1e-6 * abs($1)) }.max() ?? .infinity
                XCTAssertLessThanOrEqual(worst, 1, "\(name) at index \(index)")
            }
        }
    }
}
