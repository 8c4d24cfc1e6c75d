import Foundation
import TestSupport
import XCTest

/// `dit-parity` and `dit-bench` end to end: output, exit status, one-line errors.
final class ToolTests: XCTestCase {
    func run(_ tool: String, _ arguments: [String]) throws -> ToolRunner.Result { try ToolRunner.run(tool, arguments) }

    func testParityPassPrintsTheTableAndExitsZero() throws {
        let r = try run("dit-parity", ["--model", ParityFixtures.path("vae-ldm.pt"), "--reference", ParityFixtures.path("vae.bundle.safetensors")])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("ldm names"), r.stdout)
        XCTAssertTrue(r.stdout.contains("max |Δ|") && r.stdout.contains("cosine"), r.stdout)
        XCTAssertTrue(r.stdout.contains("PASS: 17 tensors within atol 5e-05"), r.stdout)
    }

    func testParityFailureNamesTheFirstDivergingModuleAndExitsOne() throws {
        let r = try run("dit-parity", ["--model", ParityFixtures.path("dit-a.pt"), "--reference", ParityFixtures.path("dit-a-f16.bundle.safetensors")])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stdout.contains("first diverging module: t_emb"), r.stdout)
    }

    func testLooserToleranceFromTheCommandLine() throws {
        let r = try run("dit-parity", ["--model", ParityFixtures.path("dit-a.pt"), "--reference", ParityFixtures.path("dit-a-f16.bundle.safetensors"),
                                       "--rtol", "1e-2"])
        XCTAssertEqual(r.status, 0, r.stdout)
    }

    func testErrorsAreOneLine() throws {
        for arguments in [["--model", ParityFixtures.path("missing.pt"), "--reference", ParityFixtures.path("dit-a.bundle.safetensors")],
                          ["--model", ParityFixtures.path("dit-a.pt"), "--vae", "--reference", ParityFixtures.path("dit-a.bundle.safetensors")],
                          ["--model", ParityFixtures.path("dit-a.pt"), "--reference", ParityFixtures.path("dit-a.pt")]] {
            let r = try run("dit-parity", arguments)
            XCTAssertEqual(r.status, 1, arguments.joined(separator: " "))
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssertTrue(r.stderr.hasPrefix("dit-parity: error: "), r.stderr)
        }
    }

    /// A small paper model, DiT only, one run: the JSON carries the medians and the memory figures.
    func testBenchJSON() throws {
        let r = try run("dit-bench", ["--model", "DiT-S/8", "--image-size", "256", "--runs", "1", "--warmup", "0", "--skip-vae", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertGreaterThan(try XCTUnwrap(json["dit_forward_seconds"] as? Double), 0)
        XCTAssertEqual(json["dit_weight_bytes"] as? Int, (33_142_016 + 16 * 384) * 4, "DiT-S/8 parameters incl. pos_embed, f32")
        XCTAssertEqual(json["model"] as? String, "DiT-S/8")
        let bad = try run("dit-bench", ["--model", "DiT-Q/2"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("unknown DiT model 'DiT-Q/2'"), bad.stderr)
    }
}
