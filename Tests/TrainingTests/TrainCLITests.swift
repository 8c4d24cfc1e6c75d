import Checkpoint
import Foundation
import Kernels
import TestSupport
import XCTest

/// `dit-train` end to end on tiny models: the seed's finetune command as written (MindONE's YAML, its
/// folder layout, 1000 classes), resume bit-identity through the CLI, the official `.pt` output, and
/// one-line errors.
final class TrainCLITests: XCTestCase {
    /// A tiny 1000-class DiT at 64 px (1 block, width 32, 2 heads): fast enough for CI, the toy labels
    /// (31, 153, 779) fit.
    static let tinyModel = ["--dit_checkpoint", "", "--model_name", "DiT-tiny", "--hidden_size", "32", "--depth", "1",
                            "--patch_size", "2", "--num_heads", "2", "--num_classes", "1000", "--image_size", "64"]

    /// A folder laid out as MindONE's README expects: `models/DiT-XL-2-256x256.ckpt`,
    /// `models/sd-vae-ft-mse.ckpt` (MindONE naming, made by our converters from a random-init tiny DiT and
    /// the bundled digits VAE) and `imagenet_samples/images/` (3 real photographs with image_caption.csv).
    func seedFolder() throws -> String {
        let dir = try temporaryDirectory()
        let root = ToolRunner.packageRoot.path
        try FileManager.default.createDirectory(atPath: dir + "/models", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/imagenet_samples", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: root + "/fixtures/datasets/csv", toPath: dir + "/imagenet_samples/images")
        // Random-init tiny DiT as MindONE would hold it: zero steps are not allowed, so train 1 step and keep the file.
        let initial = try ToolRunner.run("dit-train", TrainCLITests.tinyModel + ["--latent_cache", try tinyCache(dir), "--max_steps", "1", "--train_batch_size", "2",
                                                                                 "--output_path", dir + "/init", "--output_timestamp", "False", "--quiet", "True"])
        XCTAssertEqual(initial.status, 0, initial.stderr)
        try FileManager.default.moveItem(atPath: dir + "/init/ckpt/DiT-e1.ckpt", toPath: dir + "/models/DiT-XL-2-256x256.ckpt")
        let vae = try ToolRunner.run("vae-convert", ["--source", root + "/fixtures/digits/vae-digits", "--target", dir + "/models/sd-vae-ft-mse.ckpt"])
        XCTAssertEqual(vae.status, 0, vae.stderr)
        return dir
    }

    /// A latent cache of the 3 toy photographs at 64 px, made by dit-extract with the digits VAE.
    func tinyCache(_ dir: String) throws -> String {
        let out = dir + "/toy-latents.safetensors"
        if FileManager.default.fileExists(atPath: out) { return out }
        let root = ToolRunner.packageRoot.path
        let r = try ToolRunner.run("dit-extract", ["--data_path", root + "/fixtures/datasets/csv", "--image_size", "64", "--transform", "mindone",
                                                   "--vae_checkpoint", root + "/fixtures/digits/vae-digits", "--output", out, "--quiet", "True"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return out
    }

    func testSeedFinetuneCommandAsWrittenThenSample() throws {
        let dir = try seedFolder()
        let config = ToolRunner.packageRoot.path + "/configs/training/class_cond_finetune.yaml"
        // The seed's command; only the image size (our tiny stand-ins are 64 px) and the length differ.
        let r = try ToolRunner.run("dit-train", ["--config", config, "--image_size", "64", "--epochs", "3", "--num_heads", "2"], workingDirectory: dir)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        // MindONE's dtype "fp16" (AMP): bf16 GEMMs on an AVX512_BF16 CPU, float32 elsewhere, either way said.
        if ComputePrecision.bf16Available {
            XCTAssertTrue(r.stdout.contains("note: dtype fp16: a CPU has no float16 GEMM; computing as dtype bf16"), r.stdout)
            XCTAssertTrue(r.stdout.contains("compute: bf16 GEMMs, f32 accumulation"), r.stdout)
        } else {
            XCTAssertTrue(r.stdout.contains("note: dtype fp16: this CPU has neither a float16 GEMM nor AVX512_BF16"), r.stdout)
            XCTAssertTrue(r.stdout.contains("compute: float32"), r.stdout)
        }
        XCTAssertTrue(r.stdout.contains("encoding 3 images of imagenet_samples/images/ (MindONE CSV, transform mindone, flip False)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("lr 5e-05"), r.stdout)
        XCTAssertTrue(r.stdout.contains("EMA constant 0.9999"), r.stdout)
        XCTAssertTrue(r.stdout.contains("clip_grad global norm 1.0"), r.stdout)
        // outputs/class_cond_finetune/<timestamp>/ckpt/DiT-e3.ckpt (+ train_resume.ckpt), MindONE names.
        let runs = try FileManager.default.contentsOfDirectory(atPath: dir + "/outputs/class_cond_finetune")
        XCTAssertEqual(runs.count, 1)
        let run = dir + "/outputs/class_cond_finetune/" + runs[0]
        XCTAssertNotNil(runs[0].range(of: #"^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d$"#, options: .regularExpression), runs[0])
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: run + "/ckpt")), ["DiT-e3.ckpt", "train_resume.ckpt"])
        let saved = try Checkpoint(path: run + "/ckpt/DiT-e3.ckpt")
        let names = try saved.tensors().map(\.name)
        XCTAssertTrue(names.allSatisfy { $0.hasPrefix("network.") }, names.joined(separator: ","))
        XCTAssertTrue(names.contains("network.y_embedder.embedding_table.embedding_table"))
        // loss.csv: a header and one row per optimizer step (3 photos, batch 2, drop_last: 1 step an epoch).
        let rows = try String(contentsOfFile: run + "/loss.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(rows.first, "step,loss,lr,grad_norm,seconds")
        XCTAssertEqual(rows.count, 4)
        // Warm-up from 0 over 10 steps (MindONE linear_refined_lr): steps 1..3 use 0, 5e-6, 1e-5.
        let rates = rows.dropFirst().map { Double($0.split(separator: ",")[2])! }
        for (rate, expected) in zip(rates, [0, 5e-6, 1e-5]) { XCTAssertEqual(rate, expected, accuracy: 1e-12) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: run + "/loss.png"))
        // dit-sample reads the output directly.
        let sample = try ToolRunner.run("dit-sample", ["--dit_checkpoint", run + "/ckpt/DiT-e3.ckpt", "--vae_checkpoint", dir + "/models/sd-vae-ft-mse.ckpt",
                                                       "--image_size", "64", "--num_classes", "1000", "--num_heads", "2", "--class_labels", "31,153",
                                                       "--sampling_steps", "3", "--output_path", dir + "/samples", "--quiet", "True"])
        XCTAssertEqual(sample.status, 0, sample.stderr)
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: dir + "/samples").isEmpty)
    }

    /// 6 steps straight vs 3 + resume + 3, with shuffling over 2 epochs, 2-step accumulation and EMA:
    /// every file bit-identical, loss.csv identical apart from the timings.
    func testInterruptedAndResumedRunIsBitIdentical() throws {
        let dir = try temporaryDirectory()
        let cache = try tinyCache(dir)
        // bf16 too: its GEMMs split the same way every run, so a resumed bf16 run is as deterministic as an f32 one.
        for (format, dtype) in [("ckpt", "fp32"), ("pt", "fp32"), ("ckpt", "bf16")] {
            let common = TrainCLITests.tinyModel + ["--latent_cache", cache, "--train_batch_size", "1", "--gradient_accumulation_steps", "2",
                                                    "--start_learning_rate", "1e-3", "--ema_decay", "0.9", "--step_mode", "True", "--dtype", dtype,
                                                    "--ckpt_save_interval", "3", "--checkpoint_format", format, "--output_timestamp", "False", "--quiet", "True"]
            let straight = dir + "/straight-\(format)-\(dtype)", resumed = dir + "/resumed-\(format)-\(dtype)"
            XCTAssertEqual(try ToolRunner.run("dit-train", common + ["--max_steps", "6", "--output_path", straight]).status, 0)
            XCTAssertEqual(try ToolRunner.run("dit-train", common + ["--max_steps", "3", "--output_path", resumed]).status, 0)
            let second = try ToolRunner.run("dit-train", common + ["--max_steps", "6", "--output_path", resumed, "--resume", "True", "--quiet", "False"])
            XCTAssertEqual(second.status, 0, second.stderr)
            XCTAssertTrue(second.stdout.contains("at step 3 of 6"), second.stdout)
            let files = format == "ckpt" ? ["ckpt/DiT-s6.ckpt", "ckpt/train_resume.ckpt"] : ["checkpoints/0000006.pt"]
            for file in files {
                if format == "ckpt" {
                    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: straight + "/" + file)),
                                   try Data(contentsOf: URL(fileURLWithPath: resumed + "/" + file)), "\(format): \(file)")
                } else {
                    // The .pt's `args` records each invocation's flags (--resume differs); every tensor must be equal.
                    let a = try Checkpoint(path: straight + "/" + file).tensors(), b = try Checkpoint(path: resumed + "/" + file).tensors()
                    XCTAssertEqual(a.map(\.name), b.map(\.name))
                    XCTAssertEqual(a.count, 22 * 2 + 21 * 3, "model and ema (22 tensors of a 1-block DiT), step / exp_avg / exp_avg_sq of the 21 trainable ones")
                    for (x, y) in zip(a, b) {
                        XCTAssertEqual(try x.tensor.withContiguousBytes { Data($0) }, try y.tensor.withContiguousBytes { Data($0) }, x.name)
                    }
                }
            }
            func lossColumns(_ run: String) throws -> [String] {
                try String(contentsOfFile: run + "/loss.csv", encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",").prefix(4).joined(separator: ",") }
            }
            XCTAssertEqual(try lossColumns(straight), try lossColumns(resumed))
            XCTAssertEqual(try lossColumns(straight).count, 7)
        }
    }

    /// `dtype` / MindONE R1's `use_fp16`: what each computes in, said in one line; bf16 on a CPU without AVX512_BF16
    /// (here: turned off by DITPORT_BF16=off) computes in float32 and says so; a bad dtype is an error naming it.
    func testPrecisionKeysSayWhatTheyComputeIn() throws {
        let dir = try temporaryDirectory()
        let cache = try tinyCache(dir)
        func run(_ extra: [String], environment: [String: String] = [:]) throws -> ToolRunner.Result {
            try ToolRunner.run("dit-train", TrainCLITests.tinyModel + ["--latent_cache", cache, "--max_steps", "1", "--train_batch_size", "2",
                                                                     "--output_path", dir + "/run-\(UUID().uuidString)", "--output_timestamp", "False"] + extra,
                               environment: environment)
        }
        let unit = ComputePrecision.bf16Available
        let plain = try run([])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertTrue(plain.stdout.contains("compute: float32"), plain.stdout)
        XCTAssertFalse(plain.stdout.contains("note: dtype"), plain.stdout)
        let r1 = try run(["--use_fp16", "True"])
        XCTAssertEqual(r1.status, 0, r1.stderr)
        XCTAssertTrue(r1.stdout.contains(unit ? "note: use_fp16 True: a CPU has no float16 GEMM; computing as dtype bf16"
                                              : "note: use_fp16 True: this CPU has neither a float16 GEMM nor AVX512_BF16"), r1.stdout)
        XCTAssertTrue(r1.stdout.contains(unit ? "compute: bf16 GEMMs, f32 accumulation" : "compute: float32"), r1.stdout)
        let explicit = try run(["--use_fp16", "True", "--dtype", "fp32"])
        XCTAssertTrue(explicit.stdout.contains("compute: float32") && !explicit.stdout.contains("note: use_fp16"), "dtype wins over use_fp16: \(explicit.stdout)")
        let off = try run(["--dtype", "bf16"], environment: ["DITPORT_BF16": "off"])
        XCTAssertEqual(off.status, 0, off.stderr)
        XCTAssertTrue(off.stdout.contains("note: dtype bf16: this CPU has no usable AVX512_BF16 (vdpbf16ps), computing in float32"), off.stdout)
        XCTAssertTrue(off.stdout.contains("compute: float32"), off.stdout)
        let bad = try run(["--dtype", "fp8"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("dtype"), bad.stderr)
        XCTAssertEqual(bad.stderr.split(separator: "\n").count, 1, bad.stderr)
    }

    func testBadInputIsOneLine() throws {
        let dir = try temporaryDirectory()
        let cache = try tinyCache(dir)
        let yaml = dir + "/bad.yaml"
        try "model_name: \"DiT-XL/2\"\nlearning_rate_typo: 1e-4\n".write(toFile: yaml, atomically: true, encoding: .utf8)
        let cases: [([String], String)] = [
            (["-c", yaml], "learning_rate_typo"),
            (["--output_path", dir + "/o"], "models/DiT-XL-2-256x256.ckpt (the default; give --dit_checkpoint \"\" to start from random weights)"),
            (TrainCLITests.tinyModel + ["--data_path", dir + "/missing", "--output_path", dir + "/o"], dir + "/missing"),
            (TrainCLITests.tinyModel + ["--latent_cache", cache, "--image_size", "128", "--output_path", dir + "/o"], "was made at image_size 64, this run uses 128"),
            (TrainCLITests.tinyModel + ["--latent_cache", cache, "--train_batch_size", "4", "--output_path", dir + "/o"], "fewer than one step's batch"),
            (TrainCLITests.tinyModel + ["--latent_cache", cache, "--betas", "0.9", "--output_path", dir + "/o"], "betas must be two numbers"),
            (["--latent_cache", cache, "--resume", dir + "/nothing.ckpt"], "does not exist"),
        ]
        for (arguments, needle) in cases {
            let r = try ToolRunner.run("dit-train", arguments)
            XCTAssertEqual(r.status, 1, arguments.joined(separator: " ") + "\n" + r.stderr)
            let lines = r.stderr.split(separator: "\n").filter { !$0.hasPrefix("note:") }
            XCTAssertEqual(lines.count, 1, r.stderr)
            XCTAssertTrue(r.stderr.hasPrefix("dit-train: error: "), r.stderr)
            XCTAssertTrue(r.stderr.contains(needle), "expected '\(needle)' in: \(r.stderr)")
        }
    }
}
