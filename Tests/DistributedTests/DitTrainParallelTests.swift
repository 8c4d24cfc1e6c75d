import Foundation
import XCTest

/// `mpirun -n 2 dit-train ... --use_parallel True` end to end: the files it writes equal, byte for byte,
/// those of one process with gradient_accumulation_steps 2 (ZeRO-1, the default, and replicated state);
/// only rank 0 writes; a resumed parallel run ends bit-identical too.
extension TrainingEquivalenceTests {
    static let tinyDiT = ["--dit_checkpoint", "", "--model_name", "DiT-tiny", "--hidden_size", "32", "--depth", "2", "--patch_size", "2",
                          "--num_heads", "2", "--num_classes", "5", "--image_size", "32", "--train_batch_size", "2",
                          "--start_learning_rate", "1e-3", "--ema_decay", "0.9", "--step_mode", "True", "--ckpt_save_interval", "4",
                          "--output_timestamp", "False", "--quiet", "True"]

    func testDitTrainUnderMpirunEqualsOneProcessWithAccumulation() throws {
        let dir = try temporaryDirectory()
        let cache = try makeCache(dir)
        let common = Self.tinyDiT + ["--latent_cache", cache, "--max_steps", "8"]
        let env = ["DITPORT_THREADS": "1"]
        let single = try MPIRun.alone("dit-train", common + ["--gradient_accumulation_steps", "2", "--output_path", dir + "/single"], environment: env)
        XCTAssertEqual(single.status, 0, single.output)
        for (mode, extra) in [("zero", [String]()), ("replicated", ["--zero_stage", "0"])] {
            let out = dir + "/" + mode
            let r = try MPIRun.run(ranks: 2, "dit-train", common + ["--use_parallel", "True", "--output_path", out] + extra, environment: env)
            XCTAssertEqual(r.status, 0, "\(mode): " + r.output)
            for file in ["ckpt/DiT-s8.ckpt", "ckpt/train_resume.ckpt", "ckpt/DiT-s4.ckpt"] {
                XCTAssertTrue(try bytes(dir + "/single/" + file) == bytes(out + "/" + file), "\(mode): \(file) differs from one process with accumulation 2")
            }
            XCTAssertEqual(try lossColumns(dir + "/single"), try lossColumns(out), mode)
        }
        // Interrupted after 4 steps, resumed under mpirun: the same bytes again.
        let resumed = dir + "/resumed"
        XCTAssertEqual(try MPIRun.run(ranks: 2, "dit-train", common.map { $0 == "8" ? "4" : $0 } + ["--use_parallel", "True", "--output_path", resumed], environment: env).status, 0)
        let second = try MPIRun.run(ranks: 2, "dit-train", common + ["--use_parallel", "True", "--output_path", resumed, "--resume", "True"], environment: env)
        XCTAssertEqual(second.status, 0, second.output)
        XCTAssertTrue(try bytes(dir + "/single/ckpt/train_resume.ckpt") == bytes(resumed + "/ckpt/train_resume.ckpt"), "resumed -n 2 run")
    }

    func testDitTrainParallelWithoutLauncherIsRefused() throws {
        let r = try MPIRun.alone("dit-train", Self.tinyDiT + ["--use_parallel", "True"])
        XCTAssertEqual(r.status, 2, r.output)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("dit-train: error: use_parallel is True but no MPI launcher started this process"), r.stderr)
    }

    func lossColumns(_ run: String) throws -> [String] {
        try String(contentsOfFile: run + "/loss.csv", encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",").prefix(4).joined(separator: ",") }
    }
}
