import Checkpoint
import Foundation
import NameMaps

/// Checkpoint files of a run under `output_path`:
///
/// - `ckpt` (MindONE layout): `ckpt/DiT-e{epoch}.ckpt` (or `DiT-s{step}.ckpt` with `step_mode`) holding
///   the EMA weights when EMA is on (else the raw weights) as `network.<MindONE R1 name>` (the label
///   table is `network.y_embedder.embedding_table.embedding_table`, from the name table
///   `dit-official__mindone-legacy`), rotated to `ckpt_max_keep`; and `ckpt/train_resume.ckpt`:
///   `network.*` (raw weights — not R1's EMA-swapped ones), `adam_m.network.*`, `adam_v.network.*`,
///   `ema.network.*`, `global_step` i32 [1], `updates` f32 [], `epoch_num` i64 [], `cur_step` i64 [].
/// - `pt` (official): `checkpoints/{step:07d}.pt` = `{model, ema, opt, args}` with `opt` in
///   `torch.optim.AdamW.state_dict()` layout and `args` a plain dict (`torch.load(weights_only=True)`).
///
/// Every file is written atomically (temporary sibling, fsync, rename), so a failure (disk full, kill)
/// leaves the previous checkpoints as they were.
public struct TrainingCheckpoints {
    public let outputPath: String
    public let format: TrainingOptions.CheckpointFormat
    public let maxKeep: Int
    private let mindoneNames: [String: String]

    public init(outputPath: String, format: TrainingOptions.CheckpointFormat, maxKeep: Int, layout: ParameterLayout) throws {
        self.outputPath = outputPath
        self.format = format
        self.maxKeep = maxKeep
        mindoneNames = try TrainingCheckpoints.mindoneNameMap(layout)
    }

    public var checkpointDirectory: String { outputPath + (format == .ckpt ? "/ckpt" : "/checkpoints") }
    public var resumePath: String { checkpointDirectory + "/train_resume.ckpt" }

    /// Official name → MindONE R1 name, through the built-in rename table.
    static func mindoneNameMap(_ layout: ParameterLayout) throws -> [String: String] {
        let probes = layout.views.map { view in
            NamedTensor(name: view.name, tensor: try! Tensor(dtype: .f32, shape: view.shape,
                                                             storage: ComputedStorage(byteCount: view.count * 4) { _ in }))
        }
        var renamed = probes
        for step in try TableLibrary.builtIn().chain(family: "dit", from: "official", to: "mindone-legacy") {
            var renamer = step
            renamer.blockCount = layout.config.depth
            renamed = try renamer.apply(renamed).tensors
        }
        let byStorage = Dictionary(uniqueKeysWithValues: probes.map { (ObjectIdentifier($0.tensor.storage), $0.name) })
        var map: [String: String] = [:]
        for t in renamed { if let official = byStorage[ObjectIdentifier(t.tensor.storage)] { map[official] = t.name } }
        guard map.count == layout.views.count else { throw TrainingError("the MindONE name table does not cover every DiT parameter") }
        return map
    }

    /// The MindONE name (without `network.`) of an official one.
    public func mindoneName(_ official: String) -> String { mindoneNames[official] ?? official }

    func makeDirectory() throws {
        do {
            try FileManager.default.createDirectory(atPath: checkpointDirectory, withIntermediateDirectories: true)
        } catch {
            throw TrainingError("cannot create \(checkpointDirectory): \(error.localizedDescription)")
        }
    }

    /// Saves the model checkpoint and the resume state; returns the model file's path.
    /// `state`: the full optimizer state and EMA (given by `trainer.withFullState`, which every process of
    /// a sharded job must call; rank 0 then saves); nil takes it from a trainer that holds all of it.
    @discardableResult
    public func save(_ trainer: Trainer, state: TrainingState? = nil, epochLabel: Int, stepMode: Bool, arguments: [(String, String)]) throws -> String {
        guard let state = try state ?? trainer.withFullState({ $0 }) else {
            throw TrainingError("TrainingCheckpoints.save without a state on rank \(trainer.reducer?.rank ?? 0): only rank 0 writes")
        }
        try makeDirectory()
        let layout = trainer.layout
        switch format {
        case .ckpt:
            let path = checkpointDirectory + (stepMode ? "/DiT-s\(trainer.stepsDone).ckpt" : "/DiT-e\(epochLabel).ckpt")
            let weights = state.ema?.weights ?? FlatSource(trainer.parameters, layout: layout)
            let tensors = layout.views.enumerated().map { NamedTensor(name: "network." + mindoneName($1.name), tensor: FlatTensors.tensor(weights, $0, $1)) }
            try write(tensors, to: path)
            try writeResume(trainer, state: state, epoch: trainer.epoch(ofStep: max(trainer.stepsDone - 1, 0)) + 1)
            try rotate(prefix: stepMode ? "DiT-s" : "DiT-e", suffix: ".ckpt")
            return path
        case .pt:
            let path = checkpointDirectory + "/" + String(repeating: "0", count: max(0, 7 - String(trainer.stepsDone).count)) + "\(trainer.stepsDone).pt"
            do {
                try TorchObjectWriter.write(torchCheckpoint(trainer, state: state, arguments: arguments), to: path)
            } catch let error as CheckpointError {
                throw TrainingError("cannot write checkpoint \(path): \(error.message); earlier checkpoints are intact")
            }
            try rotate(prefix: "", suffix: ".pt")
            return path
        }
    }

    private func write(_ tensors: [NamedTensor], to path: String) throws {
        do {
            try writeCheckpoint(tensors, to: path, format: .mindspore)
        } catch let error as CheckpointError {
            throw TrainingError("cannot write checkpoint \(path): \(error.message); earlier checkpoints are intact")
        }
    }

    private func writeResume(_ trainer: Trainer, state: TrainingState, epoch: Int) throws {
        let layout = trainer.layout
        var tensors: [NamedTensor] = []
        func named(_ prefix: String, _ source: FlatSource) -> [NamedTensor] {
            layout.views.enumerated().map { NamedTensor(name: prefix + mindoneName($1.name), tensor: FlatTensors.tensor(source, $0, $1)) }
        }
        tensors += named("network.", FlatSource(trainer.parameters, layout: layout))
        tensors += named("adam_m.network.", state.firstMoment)
        tensors += named("adam_v.network.", state.secondMoment)
        tensors.append(NamedTensor(name: "global_step", tensor: FlatTensors.scalar(Int32(state.optimizerStep), dtype: .i32, shape: [1])))
        if let ema = state.ema {
            tensors += named("ema.network.", ema.weights)
            tensors.append(NamedTensor(name: "updates", tensor: FlatTensors.scalar(Float(ema.updates), dtype: .f32)))
        }
        tensors.append(NamedTensor(name: "epoch_num", tensor: FlatTensors.scalar(Int64(epoch), dtype: .i64)))
        tensors.append(NamedTensor(name: "cur_step", tensor: FlatTensors.scalar(Int64(trainer.stepsDone), dtype: .i64)))
        try write(tensors, to: resumePath)
    }

    /// The official `{model, ema, opt, args}` tree.
    func torchCheckpoint(_ trainer: Trainer, state: TrainingState, arguments: [(String, String)]) -> Node {
        let layout = trainer.layout
        let recipe = trainer.options.recipe
        func stateDict(_ source: FlatSource) -> Node {
            .dict(layout.views.enumerated().map { (key: .string($1.name), value: .tensor(FlatTensors.tensor(source, $0, $1))) })
        }
        var perParameter: [(key: Node, value: Node)] = []
        if state.optimizerStep > 0 {
            for (index, view) in layout.views.enumerated() where view.trainable {
                perParameter.append((key: .int(Int64(index)), value: .dict([
                    (key: .string("step"), value: .tensor(FlatTensors.scalar(Float(state.optimizerStep), dtype: .f32))),
                    (key: .string("exp_avg"), value: .tensor(FlatTensors.tensor(state.firstMoment, index, view))),
                    (key: .string("exp_avg_sq"), value: .tensor(FlatTensors.tensor(state.secondMoment, index, view))),
                ])))
            }
        }
        let group: Node = .dict([
            (key: .string("lr"), value: .float(trainer.schedule.rate(at: max(trainer.stepsDone - 1, 0)))),
            (key: .string("betas"), value: .tuple([.float(recipe.beta1), .float(recipe.beta2)])),
            (key: .string("eps"), value: .float(recipe.eps)),
            (key: .string("weight_decay"), value: recipe.weightDecay == 0 ? .int(0) : .float(recipe.weightDecay)),
            (key: .string("amsgrad"), value: .bool(false)),
            (key: .string("maximize"), value: .bool(false)),
            (key: .string("foreach"), value: .none),
            (key: .string("capturable"), value: .bool(false)),
            (key: .string("differentiable"), value: .bool(false)),
            (key: .string("fused"), value: .none),
            (key: .string("decoupled_weight_decay"), value: .bool(true)),
            (key: .string("params"), value: .list(layout.views.indices.map { .int(Int64($0)) })),
        ])
        var args: [(key: Node, value: Node)] = arguments.map { (key: .string($0.0), value: .string($0.1)) }
        args += [
            (key: .string("train_steps"), value: .int(Int64(trainer.stepsDone))),
            (key: .string("epoch"), value: .int(Int64(trainer.epoch(ofStep: max(trainer.stepsDone - 1, 0)) + 1))),
            (key: .string("ema_updates"), value: .int(Int64(state.ema?.updates ?? 0))),
            (key: .string("recipe"), value: .string(recipe.name.rawValue)),
            (key: .string("optimizer"), value: .string(recipe.optimizer.rawValue)),
        ]
        return .dict([
            (key: .string("model"), value: stateDict(FlatSource(trainer.parameters, layout: layout))),
            (key: .string("ema"), value: stateDict(state.ema?.weights ?? FlatSource(trainer.parameters, layout: layout))),
            (key: .string("opt"), value: .dict([(key: .string("state"), value: .dict(perParameter)),
                                                 (key: .string("param_groups"), value: .list([group]))])),
            (key: .string("args"), value: .dict(args)),
        ])
    }

    /// Deletes the oldest model checkpoints beyond `maxKeep` (by the number in the name).
    private func rotate(prefix: String, suffix: String) throws {
        guard maxKeep > 0 else { return }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: checkpointDirectory)) ?? []
        let numbered = names.compactMap { name -> (Int, String)? in
            guard name.hasPrefix(prefix), name.hasSuffix(suffix), name != "train_resume.ckpt" else { return nil }
            let middle = name.dropFirst(prefix.count).dropLast(suffix.count)
            return Int(middle).map { ($0, name) }
        }.sorted { $0.0 < $1.0 }
        for (_, name) in numbered.dropLast(maxKeep) { unlink(checkpointDirectory + "/" + name) }
    }

    /// The newest checkpoint to resume from with `--resume True`: `ckpt/train_resume.ckpt`, or the
    /// highest-numbered `checkpoints/NNNNNNN.pt`.
    public func latestResumable() -> String? { TrainingCheckpoints.latestResumable(in: outputPath, format: format) }

    /// The newest resumable checkpoint of the run folder `outputPath` in `format`, or nil.
    public static func latestResumable(in outputPath: String, format: TrainingOptions.CheckpointFormat) -> String? {
        switch format {
        case .ckpt:
            let file = outputPath + "/ckpt/train_resume.ckpt"
            return FileManager.default.fileExists(atPath: file) ? file : nil
        case .pt:
            let directory = outputPath + "/checkpoints"
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            let best = names.compactMap { n -> (Int, String)? in
                guard n.hasSuffix(".pt"), let v = Int(n.dropLast(3)) else { return nil }
                return (v, n)
            }.max { $0.0 < $1.0 }
            return best.map { directory + "/" + $0.1 }
        }
    }

    /// Restores `trainer` from a resume file of either kind (detected from the bytes).
    public func resume(_ trainer: Trainer, from path: String) throws {
        let checkpoint: Checkpoint
        do {
            checkpoint = try Checkpoint(path: path)
        } catch let error as CheckpointError {
            throw TrainingError("cannot read resume checkpoint \(path): \(error.message)")
        }
        let layout = trainer.layout
        var parameters = [Float](repeating: 0, count: layout.count)  // [layout.count]
        // Moments and EMA: only the elements this process keeps (a ZeRO-1 shard, cut on tensor boundaries).
        let owned = trainer.ownedStateRange
        func isOwned(_ view: ParameterView) -> Bool { owned.contains(view.offset) }
        var state = OptimizerState(count: owned.count)  // [owned.count] each
        var ema: EMA? = nil
        let steps: Int
        switch checkpoint.format {
        case .mindspore:
            let tensors = Dictionary(try checkpoint.tensors().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
            func need(_ name: String) throws -> Tensor {
                guard let t = tensors[name] else { throw TrainingError("\(path) has no '\(name)': not a dit-train train_resume.ckpt, or for another model") }
                return t
            }
            var emaWeights = trainer.options.recipe.useEMA ? [Float](repeating: 0, count: owned.count) : nil  // [owned.count]
            for view in layout.views {
                let n = mindoneName(view.name)
                try FlatTensors.read(try need("network." + n), into: &parameters, view: view, file: path, name: "network." + n)
                guard isOwned(view) else { continue }
                let base = owned.lowerBound
                try FlatTensors.read(try need("adam_m.network." + n), into: &state.firstMoment, at: base, view: view, file: path, name: "adam_m.network." + n)
                try FlatTensors.read(try need("adam_v.network." + n), into: &state.secondMoment, at: base, view: view, file: path, name: "adam_v.network." + n)
                if emaWeights != nil { try FlatTensors.read(try need("ema.network." + n), into: &emaWeights!, at: base, view: view, file: path, name: "ema.network." + n) }
            }
            state.step = Int(try FlatTensors.number(try need("global_step")))
            steps = Int(try FlatTensors.number(try need("cur_step")))
            if let weights = emaWeights {
                var restored = EMA(kind: trainer.options.recipe.emaKind, decay: trainer.options.recipe.emaDecay, parameters: weights)
                restored.updates = Int(try FlatTensors.number(try need("updates")))
                ema = restored
            }
        case .torchZip, .torchLegacy:
            let root = checkpoint.root
            func group(_ key: String) throws -> [String: Tensor] {
                Dictionary(try checkpoint.tensors(select: key).map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
            }
            let model = try group("model"), emaTensors = try group("ema"), opt = try group("opt")
            for (index, view) in layout.views.enumerated() {
                guard let p = model[view.name] else { throw TrainingError("\(path): model has no '\(view.name)' — a checkpoint for another model size?") }
                try FlatTensors.read(p, into: &parameters, view: view, file: path, name: "model." + view.name)
                if let m = opt["state.\(index).exp_avg"], let v = opt["state.\(index).exp_avg_sq"] {
                    if isOwned(view) {
                        try FlatTensors.read(m, into: &state.firstMoment, at: owned.lowerBound, view: view, file: path, name: "opt.state.\(index).exp_avg")
                        try FlatTensors.read(v, into: &state.secondMoment, at: owned.lowerBound, view: view, file: path, name: "opt.state.\(index).exp_avg_sq")
                    }
                    if let s = opt["state.\(index).step"] { state.step = Int(try FlatTensors.number(s)) }
                }
            }
            guard case .int(let trainSteps)? = root.value(atPath: "args.train_steps") else {
                throw TrainingError("\(path): args has no train_steps — not a dit-train checkpoint (official files do not record the step; rename is not enough)")
            }
            steps = Int(trainSteps)
            if trainer.options.recipe.useEMA {
                var weights = [Float](repeating: 0, count: owned.count)  // [owned.count]
                for view in layout.views {
                    guard let e = emaTensors[view.name] else { throw TrainingError("\(path): ema has no '\(view.name)'") }
                    if isOwned(view) { try FlatTensors.read(e, into: &weights, at: owned.lowerBound, view: view, file: path, name: "ema." + view.name) }
                }
                var restored = EMA(kind: trainer.options.recipe.emaKind, decay: trainer.options.recipe.emaDecay, parameters: weights)
                if case .int(let updates)? = root.value(atPath: "args.ema_updates") { restored.updates = Int(updates) }
                ema = restored
            }
        default:
            throw TrainingError("\(path) is a \(checkpoint.format) file; resume reads train_resume.ckpt or a dit-train .pt")
        }
        guard steps <= trainer.totalSteps else {
            throw TrainingError("\(path) is at step \(steps), beyond this run's \(trainer.totalSteps) steps")
        }
        try trainer.restore(parameters: parameters, optimizerState: state, ema: ema, stepsDone: steps)
    }
}
