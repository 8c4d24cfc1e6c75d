import Foundation
import TestSupport
import XCTest

/// Every tool: `--help` shows an example line and both flag spellings; a wrong flag suggests the nearest.
final class ToolHelpCLITests: XCTestCase {
    /// (tool, leading arguments, a flag with an underscore spelling, a misspelled flag, its suggestion)
    static let tools: [(String, [String], String, String, String)] = [
        ("dit-sample", [], "--sampling_steps", "--sampling_stpes", "--sampling_steps"),
        ("dit-convert", [], "--image_size", "--sorce", "--source"),
        ("vae-convert", [], "--image_size", "--targt", "--target"),
        ("ckpt", ["inspect"], "--checksum", "--chcksum", "--checksum"),
        ("ckpt", ["convert"], "--dtype", "--slect", "--select"),
        ("ckpt", ["diff"], "--select_first", "--select-frist", "--select-first"),
        ("dit-parity", [], "--num_heads", "--refrence", "--reference"),
        ("dit-bench", [], "--skip_vae", "--image_sise", "--image_size"),
    ]

    func testHelpShowsAnExampleAndEverySpelling() throws {
        for (tool, lead, flag, _, _) in Self.tools {
            let result = try ToolRunner.run(tool, lead + ["--help"])
            let name = ([tool] + lead).joined(separator: " ")
            XCTAssertEqual(result.status, 0, name)
            let lines = result.stdout.split(separator: "\n").map(String.init)
            guard let example = lines.firstIndex(where: { $0.hasPrefix("example") }) else { XCTFail("\(name): no example line\n\(result.stdout)"); continue }
            XCTAssertTrue(lines[example + 1].hasPrefix("  " + name + " "), "\(name): \(lines[example + 1])")
            let hyphenated = "--" + flag.dropFirst(2).replacingOccurrences(of: "_", with: "-")
            XCTAssertTrue(lines.contains { $0.contains(flag) && $0.contains(hyphenated) }, "\(name): \(flag) / \(hyphenated)\n\(result.stdout)")
        }
        let top = try ToolRunner.run("ckpt", ["--help"])
        XCTAssertEqual(top.status, 0)
        for sub in ["inspect", "convert", "diff"] {
            XCTAssertTrue(top.stdout.contains("        example: ckpt \(sub) "), top.stdout)
        }
    }

    func testWrongFlagSuggestsTheNearest() throws {
        for (tool, lead, _, wrong, right) in Self.tools {
            let result = try ToolRunner.run(tool, lead + [wrong, "x"])
            XCTAssertEqual(result.status, 1, tool)
            XCTAssertEqual(result.stderr, "\(tool): error: unknown flag \(wrong); did you mean \(right)?\n")
        }
        let sub = try ToolRunner.run("ckpt", ["inpsect", "a.pt"])
        XCTAssertEqual(sub.stderr, "ckpt: error: unknown subcommand 'inpsect'; did you mean 'inspect'?\n")
    }

    func testBenchAndParityTakeUnderscoreFlags() throws {
        let bench = try ToolRunner.run("dit-bench", ["--model_name", "DiT-S/8", "--image_size", "256", "--runs", "1", "--warmup", "0", "--skip_vae", "True", "--json"])
        XCTAssertEqual(bench.status, 0, bench.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(bench.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(json?["image_size"] as? Int, 256)
        XCTAssertEqual(json?["runs"] as? Int, 1)
        XCTAssertNil(json?["vae_decode_seconds"], "--skip_vae True")
        let parity = ToolRunner.packageRoot.appendingPathComponent("fixtures/parity").path
        let run = try ToolRunner.run("dit-parity", ["--model", parity + "/dit-a.ckpt", "--reference", parity + "/dit-a.bundle.safetensors", "--use_fp16", "False"])
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        let missing = try ToolRunner.run("dit-parity", ["--model", parity + "/dit-a.ckpt"])
        XCTAssertEqual(missing.stderr, "dit-parity: error: missing --reference (see dit-parity --help)\n")
    }
}
