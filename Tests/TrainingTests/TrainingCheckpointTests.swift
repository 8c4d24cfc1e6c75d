import Checkpoint
import Foundation
import Training
import XCTest

/// The checkpoint files of a run: the official `.pt` structure (training.md §1.8), MindONE's `network.`
/// names and `train_resume.ckpt` (§3.10), `ckpt_max_keep` rotation, atomic writes.
///
/// With DITPORT_TRAIN_OUTPUTS=<dir> set, the files are also copied there for
/// fixtures/generate/verify_train_outputs.py (torch.load / MindSpore load_checkpoint of our output).
final class TrainingCheckpointTests: XCTestCase {
    func trainer(_ name: TrainingRecipe.Name, output: String, format: TrainingOptions.CheckpointFormat, steps: Int) throws -> Trainer {
        let layout = try TrainingLoopFixtures.layout(trainPosEmbed: name == .mindone)
        let options = TrainingResumeTests.options(TrainingResumeTests.recipe(name), batchSize: 4, maxSteps: 8, output: output, format: format)
        let trainer = try TrainingLoopFixtures.trainer(options, layout: layout)
        for _ in 0..<steps { try trainer.step() }
        return trainer
    }

    func keep(_ path: String, as name: String) {
        guard let dir = ProcessInfo.processInfo.environment["DITPORT_TRAIN_OUTPUTS"] else { return }
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: dir + "/" + name)
        try? FileManager.default.copyItem(atPath: path, toPath: dir + "/" + name)
    }

    func listing(_ dir: String) throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: dir).sorted() }

    /// `{model, ema, opt, args}` with `opt` in `torch.optim.AdamW.state_dict()` layout: state keys 1…P−1
    /// (the frozen pos_embed has none), `param_groups[0]` with torch 2.15's fields, `args` a plain dict.
    func testOfficialPtLayout() throws {
        let output = try temporaryDirectory()
        let trainer = try trainer(.official, output: output, format: .pt, steps: 2)
        let layout = trainer.layout
        let checkpoints = try TrainingCheckpoints(outputPath: output, format: .pt, maxKeep: 0, layout: layout)
        let path = try checkpoints.save(trainer, epochLabel: 1, stepMode: false, arguments: [("model", "DiT-tiny"), ("global_seed", "7")])
        XCTAssertEqual(path, output + "/checkpoints/0000002.pt")
        keep(path, as: "official-0000002.pt")
        let file = try Checkpoint(path: path)
        XCTAssertEqual(file.format, .torchZip)
        guard case .dict(let top) = file.root else { return XCTFail("root is not a dict") }
        XCTAssertEqual(top.map(\.key.keyText), ["model", "ema", "opt", "args"])
        let names = layout.views.map(\.name)
        for key in ["model", "ema"] {
            guard case .dict(let entries)? = file.root[key] else { return XCTFail("\(key) is not a dict") }
            XCTAssertEqual(entries.map(\.key.keyText), names, "\(key): official names in named_parameters order")
        }
        let model = try file.tensors(select: "model")
        XCTAssertEqual(try model.map { try $0.tensor.doubleValues().map { Float($0) } }.flatMap { $0 }, trainer.parameters)
        let ema = try file.tensors(select: "ema")
        XCTAssertEqual(try ema.map { try $0.tensor.doubleValues().map { Float($0) } }.flatMap { $0 }, trainer.ema!.weights)

        guard case .dict(let state)? = file.root.value(atPath: "opt.state") else { return XCTFail("opt.state is not a dict") }
        XCTAssertEqual(state.map { key -> Int64 in if case .int(let i) = key.key { return i } else { return -1 } }, Array(1..<Int64(names.count)),
                       "state keys are the Python ints 1…P−1 (no 0: pos_embed never gets a gradient)")
        for (key, value) in state {
            guard case .dict(let entry) = value, case .int(let index) = key else { return XCTFail("state entry") }
            XCTAssertEqual(entry.map(\.key.keyText), ["step", "exp_avg", "exp_avg_sq"])
            guard case .tensor(let step)? = value["step"] else { return XCTFail("step is not a tensor") }
            XCTAssertEqual(step.dtype, .f32)
            XCTAssertEqual(step.shape, [])
            XCTAssertEqual(try step.doubleValues(), [2])
            guard case .tensor(let m)? = value["exp_avg"] else { return XCTFail("exp_avg") }
            XCTAssertEqual(m.shape, layout.views[Int(index)].shape)
        }
        guard case .list(let groups)? = file.root.value(atPath: "opt.param_groups"), groups.count == 1, case .dict(let group) = groups[0] else {
            return XCTFail("opt.param_groups is not a list of one dict")
        }
        XCTAssertEqual(group.map(\.key.keyText), ["lr", "betas", "eps", "weight_decay", "amsgrad", "maximize", "foreach", "capturable",
                                                   "differentiable", "fused", "decoupled_weight_decay", "params"])
        let g = groups[0]
        guard case .float(let lr)? = g["lr"], case .tuple(let betas)? = g["betas"], case .float(let eps)? = g["eps"],
              case .int(0)? = g["weight_decay"], case .bool(false)? = g["amsgrad"], case .none? = g["foreach"], case .none? = g["fused"],
              case .bool(true)? = g["decoupled_weight_decay"], case .list(let params)? = g["params"] else {
            return XCTFail("param_groups[0] fields: \(group.map { "\($0.key.keyText)=\($0.value.summary)" })")
        }
        XCTAssertEqual(lr, 1e-4)
        XCTAssertEqual(eps, 1e-8)
        guard case .float(0.9) = betas[0], case .float(0.999) = betas[1] else { return XCTFail("betas \(betas.map(\.summary))") }
        XCTAssertEqual(params.map { if case .int(let i) = $0 { return i } else { return -1 } }, Array(0..<Int64(names.count)))
        guard case .dict(let args)? = file.root["args"] else { return XCTFail("args is not a plain dict (weights_only=True needs one)") }
        XCTAssertEqual(args.prefix(2).map(\.key.keyText), ["model", "global_seed"])
        guard case .int(2)? = file.root.value(atPath: "args.train_steps") else { return XCTFail("args.train_steps") }
    }

    /// MindONE layout: `DiT-s{step}.ckpt` (EMA weights, `network.<R1 name>`), `train_resume.ckpt`, rotation.
    func testMindoneCkptNamesResumeFileAndRotation() throws {
        let output = try temporaryDirectory()
        let trainer = try trainer(.mindone, output: output, format: .ckpt, steps: 0)
        let layout = trainer.layout
        let checkpoints = try TrainingCheckpoints(outputPath: output, format: .ckpt, maxKeep: 2, layout: layout)
        for _ in 0..<4 {
            try trainer.step()
            try checkpoints.save(trainer, epochLabel: 1, stepMode: true, arguments: [])
        }
        XCTAssertEqual(try listing(output + "/ckpt"), ["DiT-s3.ckpt", "DiT-s4.ckpt", "train_resume.ckpt"], "ckpt_max_keep 2, no temporary leftovers")
        keep(output + "/ckpt/DiT-s4.ckpt", as: "mindone-DiT-s4.ckpt")
        keep(output + "/ckpt/train_resume.ckpt", as: "mindone-train_resume.ckpt")

        let model = try Checkpoint(path: output + "/ckpt/DiT-s4.ckpt")
        XCTAssertEqual(model.format, .mindspore)
        let tensors = try model.tensors()
        XCTAssertEqual(tensors.map(\.name), layout.views.map { "network." + checkpoints.mindoneName($0.name) })
        XCTAssertTrue(tensors.map(\.name).contains("network.y_embedder.embedding_table.embedding_table"))
        XCTAssertFalse(tensors.map(\.name).contains { $0.contains("embedding_table.weight") })
        XCTAssertEqual(try tensors.map { try $0.tensor.doubleValues().map { Float($0) } }.flatMap { $0 }, trainer.ema!.weights,
                       "the model file holds the EMA weights (MindONE swaps them in before saving)")

        let resume = try Checkpoint(path: output + "/ckpt/train_resume.ckpt")
        let byName = Dictionary(uniqueKeysWithValues: try resume.tensors().map { ($0.name, $0.tensor) })
        for view in layout.views {
            let n = "network." + checkpoints.mindoneName(view.name)
            for prefix in ["", "adam_m.", "adam_v.", "ema."] { XCTAssertNotNil(byName[prefix + n], prefix + n) }
        }
        XCTAssertEqual(byName["global_step"]?.dtype, .i32)
        XCTAssertEqual(byName["global_step"]?.shape, [1])
        XCTAssertEqual(try byName["global_step"]?.doubleValues(), [4])
        XCTAssertEqual(byName["updates"]?.dtype, .f32)
        XCTAssertEqual(try byName["updates"]?.doubleValues(), [4])
        XCTAssertEqual(try byName["cur_step"]?.doubleValues(), [4])
        XCTAssertEqual(try byName["epoch_num"]?.doubleValues(), [2], "step 4 is in epoch 2 (3 steps per epoch)")
    }

    func testPtRotationKeepsTheNewest() throws {
        let output = try temporaryDirectory()
        let trainer = try trainer(.official, output: output, format: .pt, steps: 0)
        let checkpoints = try TrainingCheckpoints(outputPath: output, format: .pt, maxKeep: 2, layout: trainer.layout)
        for _ in 0..<4 {
            try trainer.step()
            try checkpoints.save(trainer, epochLabel: 1, stepMode: true, arguments: [])
        }
        XCTAssertEqual(try listing(output + "/checkpoints"), ["0000003.pt", "0000004.pt"])
        XCTAssertEqual(checkpoints.latestResumable(), output + "/checkpoints/0000004.pt")
    }

    /// A save that cannot be published (a directory is in the way of the target name) fails with one line
    /// naming the file, leaves no temporary file, and keeps the earlier checkpoints readable.
    func testFailedSaveLeavesEarlierCheckpointsAndNoLeftovers() throws {
        for format in TrainingOptions.CheckpointFormat.allCases {
            let output = try temporaryDirectory()
            let name: TrainingRecipe.Name = format == .pt ? .official : .mindone
            let trainer = try trainer(name, output: output, format: format, steps: 1)
            let checkpoints = try TrainingCheckpoints(outputPath: output, format: format, maxKeep: 0, layout: trainer.layout)
            let first = try checkpoints.save(trainer, epochLabel: 1, stepMode: true, arguments: [])
            let before = try Data(contentsOf: URL(fileURLWithPath: first))
            let resumeBefore = format == .ckpt ? try Data(contentsOf: URL(fileURLWithPath: checkpoints.resumePath)) : nil
            try trainer.step()
            let blocked = checkpoints.checkpointDirectory + (format == .pt ? "/0000002.pt" : "/DiT-s2.ckpt")
            try FileManager.default.createDirectory(atPath: blocked + "/occupied", withIntermediateDirectories: true)
            let listed = try listing(checkpoints.checkpointDirectory)
            XCTAssertThrowsError(try checkpoints.save(trainer, epochLabel: 1, stepMode: true, arguments: [])) { error in
                let message = "\(error)"
                XCTAssertTrue(message.contains(blocked), message)
                XCTAssertFalse(message.contains("\n"), message)
            }
            XCTAssertEqual(try listing(checkpoints.checkpointDirectory), listed, "\(format): nothing left behind")
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: first)), before, "\(format): the earlier checkpoint is intact")
            if let resumeBefore {
                XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: checkpoints.resumePath)), resumeBefore,
                               "the resume file still describes the last saved step")
            }
            _ = try Checkpoint(path: first).tensors()
        }
    }
}
