import Foundation
import TestSupport
import XCTest
@testable import Datasets

/// `dit-extract` end to end: the cache against diffusers' encoder on the official pipeline, both layouts and
/// spellings, the bad-input corpus, --skip_bad, --preview_dir, and the cache checks.
final class ExtractCLITests: XCTestCase {
    let size = DatasetFixtures.imageSize

    func extract(_ arguments: [String]) throws -> ToolRunner.Result {
        try ToolRunner.run("dit-extract", arguments + ["--vae_checkpoint", DatasetFixtures.vae, "--image_size", String(size)])
    }

    /// Largest |a - b| over max |b| (the tolerance the issue states: 1e-4 of max |ref|).
    func relativeError(_ a: [Float], _ b: [Float]) -> Float {
        XCTAssertEqual(a.count, b.count)
        let scale = b.map(abs).max()!
        return zip(a, b).map { abs($0 - $1) }.max()! / scale
    }

    func readAll(_ cache: LatentCache, flipped: Bool) throws -> (mean: [Float], logvar: [Float]) {
        let plane = cache.latentShape.reduce(1, *)
        var mean = [Float](repeating: 0, count: cache.count * plane), logvar = mean  // [N, C, h, w]
        for i in 0..<cache.count {
            try mean.withUnsafeMutableBufferPointer { m in
                try logvar.withUnsafeMutableBufferPointer { l in
                    try cache.moments(index: i, flipped: flipped, mean: UnsafeMutableBufferPointer(rebasing: m[(i * plane)..<((i + 1) * plane)]),
                                      logvar: UnsafeMutableBufferPointer(rebasing: l[(i * plane)..<((i + 1) * plane)]))
                }
            }
        }
        return (mean, logvar)
    }

    func testImageFolderCacheEqualsDiffusersMoments() throws {
        let dir = try temporaryDirectory()
        let output = dir + "/latents.safetensors", preview = dir + "/preview"
        let result = try extract(["--data_path", DatasetFixtures.path("folder"), "--imagenet_format", "True", "--output", output,
                                  "--flip", "True", "--batch_size", "3", "--preview_dir", preview])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("wrote \(output): 7 latents (0 skipped)"), result.stdout)
        let cache = try LatentCache(path: output)
        XCTAssertEqual(cache.count, 7)
        XCTAssertEqual([cache.count] + cache.latentShape, DatasetFixtures.shape("moments/mean"))
        let listing = DatasetFixtures.manifest["folder"] as! [String: Any]
        XCTAssertEqual(cache.labels, (listing["samples"] as! [[Any]]).map { $0[1] as! Int })
        XCTAssertEqual(cache.info.imageSize, size)
        XCTAssertEqual(cache.info.transform, .adm)
        XCTAssertTrue(cache.info.flip)
        XCTAssertEqual(cache.info.vae, try LatentCacheInfo.describeVAE(path: DatasetFixtures.vae))
        XCTAssertTrue(cache.info.vae.hasPrefix("vae-digits sha256:"))
        XCTAssertEqual(cache.scaleFactor, 0.18215)
        for flipped in [false, true] {
            let (mean, logvar) = try readAll(cache, flipped: flipped)
            let suffix = flipped ? "_flipped" : ""
            let meanError = relativeError(mean, DatasetFixtures.floats("moments/mean" + suffix))
            let logvarError = relativeError(logvar, DatasetFixtures.floats("moments/logvar" + suffix))
            print("moments vs diffusers\(suffix): mean \(meanError), logvar \(logvarError) of max |ref|")
            XCTAssertLessThan(meanError, 1e-4)
            XCTAssertLessThan(logvarError, 1e-4)
        }
        // The previews are the crops the encoder saw: normalised, they equal the official pipeline's input.
        let input = DatasetFixtures.floats("moments/input"), plane = 3 * size * size
        let table = ImageTransform.adm.normalisationTable
        for i in 0..<7 {
            let image = try ImageDecoder.decode(file: preview + "/" + String(format: "%06d.png", i))
            var chw = [Float](repeating: 0, count: plane)  // [3, S, S]
            chw.withUnsafeMutableBufferPointer { image.writeCHW(into: $0, table: table) }
            XCTAssertEqual(chw, Array(input[(i * plane)..<((i + 1) * plane)]), "preview \(i)")
        }
        // Training draws scale · (mean + exp(logvar / 2) · ε)
        let latentPlane = cache.latentShape.reduce(1, *)
        let noise = (0..<latentPlane).map { Float($0 % 7) / 3 - 1 }
        var z = [Float](repeating: 0, count: latentPlane)
        try noise.withUnsafeBufferPointer { n in try z.withUnsafeMutableBufferPointer { try cache.latent(index: 2, noise: n, into: $0) } }
        let (mean, logvar) = try readAll(cache, flipped: false)
        for k in 0..<latentPlane {
            let expected = 0.18215 * (mean[2 * latentPlane + k] + Float(exp(0.5 * Double(logvar[2 * latentPlane + k]))) * noise[k])
            XCTAssertEqual(z[k], expected, accuracy: 1e-6 * max(1, abs(expected)))
        }
    }

    func testMindONECSVWithHyphenatedFlags() throws {
        let dir = try temporaryDirectory()
        let output = dir + "/csv.safetensors"
        let result = try ToolRunner.run("dit-extract", ["--data-path", DatasetFixtures.path("csv"), "--transform", "mindone",
                                                        "--vae-checkpoint", DatasetFixtures.vae, "--image-size=\(size)", "--output", output,
                                                        "--quiet", "true", "--vae-unknown", "true"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let cache = try LatentCache(path: output)
        XCTAssertEqual(cache.labels, [31, 153, 779])
        XCTAssertEqual(cache.info.transform, .mindone)
        XCTAssertEqual(cache.info.vae, "unknown")
        XCTAssertFalse(cache.info.flip)
        XCTAssertThrowsError(try cache.check(LatentCacheInfo(imageSize: size, vae: "x sha256:00", transform: .adm, flip: false))) {
            XCTAssertEqual("\($0)", "\(output): latent cache was made with transform 'mindone', this run uses 'adm'")
        }
        // unknown VAE: not checked
        XCTAssertNoThrow(try cache.check(LatentCacheInfo(imageSize: size, vae: "x sha256:00", transform: .mindone, flip: false)))
        XCTAssertThrowsError(try cache.check(LatentCacheInfo(imageSize: size, vae: "x", transform: .mindone, flip: true))) {
            XCTAssertEqual("\($0)", "\(output): latent cache has no flipped latents (made with flip False), this run uses flip True")
        }
    }

    func testCacheRefusesAnotherVAEOrImageSize() throws {
        let dir = try temporaryDirectory()
        let output = dir + "/c.safetensors"
        let result = try extract(["--data_path", DatasetFixtures.path("csv"), "--output", output, "--quiet", "True"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let cache = try LatentCache(path: output)
        // The CSV rows (a baseline JPEG, two PNGs; default transform adm) against diffusers on the official crops.
        XCTAssertEqual(cache.labels, [31, 153, 779])
        XCTAssertEqual([cache.count] + cache.latentShape, DatasetFixtures.shape("moments_csv/mean"))
        let (mean, logvar) = try readAll(cache, flipped: false)
        let meanError = relativeError(mean, DatasetFixtures.floats("moments_csv/mean"))
        let logvarError = relativeError(logvar, DatasetFixtures.floats("moments_csv/logvar"))
        print("CSV moments vs diffusers: mean \(meanError), logvar \(logvarError) of max |ref|")
        XCTAssertLessThan(meanError, 1e-4)
        XCTAssertLessThan(logvarError, 1e-4)
        let mine = cache.info
        XCTAssertNoThrow(try cache.check(mine))
        var other = mine
        other.vae = "sd-vae-ft-mse sha256:1234"
        XCTAssertThrowsError(try cache.check(other)) {
            XCTAssertEqual("\($0)", "\(output): latent cache was made with VAE '\(mine.vae)', this run uses 'sd-vae-ft-mse sha256:1234'")
        }
        other = mine
        other.imageSize = 256
        XCTAssertThrowsError(try cache.check(other)) {
            XCTAssertEqual("\($0)", "\(output): latent cache was made at image_size \(size), this run uses 256")
        }
        XCTAssertThrowsError(try LatentCache(path: DatasetFixtures.path("expected.safetensors"))) {
            XCTAssertTrue("\($0)".contains("not a latent cache (metadata format is 'missing', expected 'dit-latents-v1')"), "\($0)")
        }
    }

    /// Each bad file in an otherwise good ImageFolder stops the run: one line naming it and the reason,
    /// non-zero exit, no cache and no temporary file left.
    func testEveryBadInputStopsTheRunWithoutOutput() throws {
        let reasons = ["truncated.jpg": "truncated JPEG data", "badcrc.png": "CRC error", "text.png": "not a JPEG or PNG image",
                       "empty.jpg": "empty file (0 bytes)"]
        for (name, reason) in reasons {
            let dir = try temporaryDirectory()
            let data = dir + "/data"
            try FileManager.default.createDirectory(atPath: data + "/c", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: DatasetFixtures.path("images/chelsea_small.png"), toPath: data + "/c/a.png")
            try FileManager.default.copyItem(atPath: DatasetFixtures.path("bad/" + name), toPath: data + "/c/" + name)
            let out = dir + "/out"
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let result = try extract(["--data_path", data, "--imagenet_format", "True", "--output", out + "/cache.safetensors"])
            XCTAssertNotEqual(result.status, 0, name)
            let lines = result.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, result.stderr)
            XCTAssertTrue(result.stderr.hasPrefix("dit-extract: error: \(data)/c/\(name): "), result.stderr)
            XCTAssertTrue(result.stderr.contains(reason), result.stderr)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), [], name)
        }
    }

    func testMissingCSVImageIsNamedWithItsLine() throws {
        let dir = try temporaryDirectory()
        let root = DatasetFixtures.path("bad-csv")
        let result = try extract(["--data_path", root, "--output", dir + "/c.safetensors"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertEqual(result.stderr, "dit-extract: error: \(root)/missing.png: cannot open: No such file or directory (image_caption.csv line 3)\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
    }

    func testSkipBadCountsAndNamesTheSkippedFiles() throws {
        let dir = try temporaryDirectory()
        let output = dir + "/c.safetensors", root = DatasetFixtures.path("bad-folder")
        let result = try extract(["--data_path", root, "--imagenet_format", "True", "--output", output, "--skip_bad", "True"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("skipped 4 bad image(s):"), result.stderr)
        for name in ["badcrc.png", "empty.jpg", "text.png", "truncated.jpg"] {
            XCTAssertTrue(result.stderr.contains("  \(root)/mixed/\(name): "), name)
        }
        XCTAssertTrue(result.stdout.contains("3 latents (4 skipped)"), result.stdout)
        let cache = try LatentCache(path: output)
        XCTAssertEqual(cache.count, 3)
        XCTAssertEqual(cache.labels, [0, 0, 1])
    }

    /// The CSV row naming a missing file is skipped and counted too; the present row is encoded.
    func testSkipBadCountsTheMissingCSVRow() throws {
        let dir = try temporaryDirectory()
        let output = dir + "/c.safetensors", root = DatasetFixtures.path("bad-csv")
        let result = try extract(["--data_path", root, "--output", output, "--skip_bad", "True", "--quiet", "True"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "skipped 1 bad image(s):\n  \(root)/missing.png: cannot open: No such file or directory (image_caption.csv line 3)\n")
        XCTAssertTrue(result.stdout.contains("1 latents (1 skipped)"), result.stdout)
        XCTAssertEqual(try LatentCache(path: output).labels, [1])
    }

    func testEmptyDatasetAndBadSettings() throws {
        let dir = try temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/data/empty", withIntermediateDirectories: true)
        var result = try extract(["--data_path", dir + "/data", "--imagenet_format", "True", "--output", dir + "/c.safetensors"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("no image file in the class folder(s) empty"), result.stderr)
        result = try ToolRunner.run("dit-extract", ["--data_path", DatasetFixtures.path("csv"), "--vae_checkpoint", DatasetFixtures.vae,
                                                    "--image_size", "30", "--output", dir + "/c.safetensors"])
        XCTAssertEqual(result.stderr, "dit-extract: error: image_size 30 must be a positive multiple of 8 (the VAE's downsampling factor)\n")
        result = try ToolRunner.run("dit-extract", ["--data_path", "x", "--vae_checkpoint", "v", "--output", "o", "--imagenet_fromat", "True"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("did you mean --imagenet_format?"), result.stderr)
        result = try ToolRunner.run("dit-extract", ["--help"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.contains("--skip-bad") || result.stdout.contains("--skip_bad"), result.stdout)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["data"])
    }

    /// --decode_only: no VAE, no cache; the previews are the Pillow crops (CSV rows: JPEG and PNG photographs).
    func testDecodeOnlyWritesPillowCrops() throws {
        let dir = try temporaryDirectory()
        let result = try ToolRunner.run("dit-extract", ["--data_path", DatasetFixtures.path("csv"), "--decode_only", "True",
                                                        "--image_size", String(size), "--preview_dir", dir + "/p"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("decoded and cropped 3 images (0 skipped)"), result.stdout)
        for (i, name) in ["china_baseline.jpg", "astronaut_rgb.png", "coffee_wide.png"].enumerated() {
            let preview = try ImageDecoder.decode(file: dir + "/p/" + String(format: "%06d.png", i))
            XCTAssertEqual(preview.pixels, DatasetFixtures.bytes("adm/" + name), name)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["p"])
    }
}
