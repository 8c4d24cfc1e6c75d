import CZlib
import Foundation
import TestSupport
import XCTest

/// `dit-sample` against the official sample.py flow run by fixtures/generate/gen_sample_e2e.py with the
/// same tiny official DiT, tiny diffusers VAE, seed, labels and guidance.
final class SampleCLITests: XCTestCase {
    static let reference = ToolRunner.packageRoot.appendingPathComponent("fixtures/sample_e2e/reference").path
    static let convert = ToolRunner.packageRoot.appendingPathComponent("fixtures/convert").path

    struct Dump {
        let entries: [String: (shape: [Int], bytes: [UInt8])]
        init(_ base: String) throws {
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: base + ".expected.json"))) as! [String: Any]
            let blob = [UInt8](try Data(contentsOf: URL(fileURLWithPath: base + ".expected.bin")))
            var entries: [String: (shape: [Int], bytes: [UInt8])] = [:]
            for e in json["tensors"] as! [[String: Any]] {
                let offset = e["offset"] as! Int, count = e["nbytes"] as! Int
                entries[e["name"] as! String] = (e["shape"] as! [Int], Array(blob[offset..<(offset + count)]))
            }
            self.entries = entries
        }
        func floats(_ name: String) -> [Float] {
            entries[name]!.bytes.withUnsafeBytes { raw in (0..<(raw.count / 4)).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) } }
        }
    }

    /// The f32 tensors of a safetensors file, read with Foundation's JSON (independent of the reader).
    static func safetensorsFloats(_ path: String) throws -> [String: [Float]] {
        let file = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let headerLength = (0..<8).reduce(0) { $0 | Int(file[$1]) << (8 * $1) }
        let header = try JSONSerialization.jsonObject(with: Data(file[8..<(8 + headerLength)])) as! [String: Any]
        var out: [String: [Float]] = [:]
        for (name, value) in header where name != "__metadata__" {
            let offsets = (value as! [String: Any])["data_offsets"] as! [Int]
            let bytes = Array(file[(8 + headerLength + offsets[0])..<(8 + headerLength + offsets[1])])
            out[name] = bytes.withUnsafeBytes { raw in (0..<(raw.count / 4)).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) } }
        }
        return out
    }

    static func bigEndian(_ bytes: [UInt8], _ at: Int) -> Int {
        var value = 0
        for k in 0..<4 { value = value << 8 | Int(bytes[at + k]) }
        return value
    }

    /// Decodes an 8-bit RGB PNG with filter 0 rows (what PNGWriter writes) to `[H, W, 3]` bytes.
    static func decodePNG(_ path: String) throws -> (width: Int, height: Int, pixels: [UInt8]) {
        let png = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var offset = 8, width = 0, height = 0
        var idat: [UInt8] = []
        while offset + 8 <= png.count {
            let length = bigEndian(png, offset)
            let type = String(decoding: png[(offset + 4)..<(offset + 8)], as: UTF8.self)
            let body = Array(png[(offset + 8)..<(offset + 8 + length)])
            if type == "IHDR" {
                width = bigEndian(body, 0)
                height = bigEndian(body, 4)
            }
            if type == "IDAT" { idat += body }
            offset += 12 + length
        }
        var raw = [UInt8](repeating: 0, count: height * (1 + 3 * width))
        var size = uLong(raw.count)
        guard uncompress(&raw, &size, idat, uLong(idat.count)) == Z_OK else { throw CocoaError(.fileReadCorruptFile) }
        let stride = 1 + 3 * width
        var pixels: [UInt8] = []
        for row in 0..<height { pixels += raw[(row * stride + 1)..<((row + 1) * stride)] }
        return (width, height, pixels)
    }

    func sample(_ name: String, weights: String, vae: String, extra: [String]) throws -> (latents: [Float], images: [Float], pixels: [UInt8], width: Int) {
        let dir = try temporaryDirectory()
        let result = try ToolRunner.run("dit-sample", ["--dit-checkpoint", weights, "--vae-checkpoint", vae, "--image-size", "64",
                                                       "--num-classes", "10", "--num-heads", "2", "--vae-norm-groups", "2", "--model-name", "tiny",
                                                       "--guidance-scale", "4.0", "--imagegrid", "true", "--output", dir,
                                                       "--save-latents", dir + "/latents.safetensors", "--quiet"] + extra)
        XCTAssertEqual(result.status, 0, result.stderr)
        let saved = try Self.safetensorsFloats(dir + "/latents.safetensors")
        let png = try Self.decodePNG(dir + "/sample.png")
        return (saved["latents"] ?? [], saved["images"] ?? [], png.pixels, png.width)
    }

    func testDDPM250AndDDIM50MatchTheOfficialSampleFlow() throws {
        let dump = try Dump(Self.reference)
        let cases: [(String, [String])] = [
            ("ddpm250", ["--sampling-steps", "250", "--seed", "0", "--class-labels", "3,1,4,9", "--ddim-sampling", "false"]),
            ("ddim50", ["--sampling-steps", "50", "--seed", "5", "--class-labels", "0,7,2,8", "--ddim-sampling", "true"]),
        ]
        // DDIM: the same model from three files and namings (official .pt, MindONE .ckpt, diffusers
        // safetensors); DDPM-250 (5× the steps) from the .pt only, to keep the debug-build test short.
        for (name, flags) in cases {
            let sources = name == "ddim50" ? [Self.convert + "/dit-official.pt", Self.convert + "/dit-mindone.ckpt", Self.convert + "/dit-diffusers"]
                : [Self.convert + "/dit-official.pt"]
            let expectedLatents = dump.floats("\(name).latents")
            let expectedPixels = dump.entries["\(name).pixels"]!
            for source in sources {
                let got = try sample(name, weights: source, vae: Self.convert + "/vae-mindone.ckpt", extra: flags)
                XCTAssertEqual(got.latents.count, expectedLatents.count)
                // max |Δ| relative to max |reference|
                let scale = expectedLatents.map { abs($0) }.max() ?? 1
                let worst = (zip(got.latents, expectedLatents).map { abs($0 - $1) }.max() ?? .infinity) / scale
                XCTAssertLessThanOrEqual(worst, 1e-4, "\(name) from \(source): final latents")
                let expectedImage = dump.floats("\(name).image")
                let imageError = zip(got.images, expectedImage).map { abs($0 - $1) }.max() ?? .infinity
                XCTAssertEqual(got.images.count, expectedImage.count)
                XCTAssertLessThanOrEqual(imageError, 5e-5, "\(name) from \(source): decoded image vs diffusers")
                XCTAssertEqual([got.pixels.count / (3 * got.width), got.width, 3], expectedPixels.shape, "\(name) grid size")
                let levels = zip(got.pixels, expectedPixels.bytes).map { abs(Int($0) - Int($1)) }.max() ?? 255
                XCTAssertLessThanOrEqual(levels, 1, "\(name) from \(source): PNG pixels")
            }
        }
    }

    func testInjectedNoiseReproducesTheOfficialLoop() throws {
        let dump = try Dump(Self.reference)
        let got = try sample("ddpm25_injected", weights: Self.convert + "/dit-mindone.ckpt", vae: Self.convert + "/vae-diffusers",
                             extra: ["--sampling-steps", "25", "--class-labels", "5,6", "--ddim-sampling", "false",
                                     "--noise", ToolRunner.packageRoot.appendingPathComponent("fixtures/sample_e2e/ddpm25.noise.safetensors").path])
        let expected = dump.floats("ddpm25_injected.latents")
        let scale = expected.map { abs($0) }.max() ?? 1
        XCTAssertEqual(got.latents.count, expected.count)
        XCTAssertLessThanOrEqual((zip(got.latents, expected).map { abs($0 - $1) }.max() ?? .infinity) / scale, 1e-4)
    }

    func testMismatchedImageSizeAndBadLabelsAreClearErrors() throws {
        let dir = try temporaryDirectory()
        let common = ["--dit-checkpoint", Self.convert + "/dit-official.pt", "--vae-checkpoint", Self.convert + "/vae-mindone.ckpt",
                      "--num-classes", "10", "--num-heads", "2", "--vae-norm-groups", "2", "--output", dir, "--quiet"]
        let size = try ToolRunner.run("dit-sample", common + ["--image-size", "256", "--class-labels", "1"])
        XCTAssertEqual(size.status, 1)
        XCTAssertTrue(size.stderr.contains("built for 64×64 images") && size.stderr.contains("image_size is 256"), size.stderr)
        let label = try ToolRunner.run("dit-sample", common + ["--image-size", "64", "--class-labels", "3,10"])
        XCTAssertEqual(label.status, 1)
        XCTAssertTrue(label.stderr.contains("class label 10 is out of range 0…9"), label.stderr)
        let yaml = dir + "/bad.yaml"
        try "image_size: 64\nsampling_stepz: 3\n".write(toFile: yaml, atomically: true, encoding: .utf8)
        let unknown = try ToolRunner.run("dit-sample", ["-c", yaml] + common)
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderr.contains("unknown key 'sampling_stepz'"), unknown.stderr)
    }
}
