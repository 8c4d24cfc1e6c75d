import CLISupport
import Distributed
import DistributedTraining
import Foundation
import Kernels
import Models
import Training

/// `dit-train`: official / MindONE DiT training on the CPU (docs/training.md), alone or data-parallel
/// under `mpirun ... --use_parallel True` (docs/distributed.md). Settings: TrainSettings.
runReportingErrors {
    let settings = try TrainSettings.tool.resolve(Array(CommandLine.arguments.dropFirst()))
    // Before MPI_Init: the launcher is recognised by its environment.
    let launch = LaunchEnvironment.detect()
    let communicator = DistributedLaunch.start(useParallel: settings.bool("use_parallel"), tool: "dit-train",
                                               example: "mpirun -n 2 dit-train -c CONFIG --use_parallel True")
    let alone = communicator is SingleProcessCommunicator
    do {
        try train(settings, communicator: communicator, launch: launch)
        communicator.finalize()
    } catch {
        if alone { throw error }
        communicator.abort("\(error)")  // one line naming the rank; every rank ends, none hangs
    }
}

func train(_ settings: ResolvedSettings, communicator: Communicator, launch: LaunchEnvironment) throws {
    let rank = communicator.rank, world = communicator.size
    let quiet = settings.bool("quiet") || rank != 0
    let log: (String) -> Void = { if !quiet { print($0) } }
    settings.notes.forEach { log("note: " + $0) }
    if let threads = settings.optionalInt("threads") {
        Parallel.threadCount = max(1, threads)
    } else if launch.isLaunched && ProcessInfo.processInfo.environment["DITPORT_THREADS"] == nil {
        // Processes sharing a host share its cores.
        Parallel.threadCount = DistributedLaunch.threadsPerProcess(cores: ProcessInfo.processInfo.activeProcessorCount,
                                                                    localSize: launch.localSize ?? world)
    }
    guard settings.string("condition") == "class" else {
        throw Failure("condition '\(settings.string("condition"))' is not supported: DiT is class-conditional (condition: class)")
    }
    let recipe = try RecipeSettings.recipe(settings)
    let seed = UInt64(truncatingIfNeeded: settings.int("seed"))
    var options = TrainingOptions(recipe: recipe)
    options.batchSize = settings.int("train_batch_size")
    options.epochs = settings.int("epochs")
    options.maxSteps = settings.int("max_steps")
    options.shuffle = settings.bool("shuffle")
    options.seed = seed
    options.scaleFactor = Float(settings.double("sd_scale_factor"))
    options.labelDropProbability = settings.double("class_dropout_prob")
    options.checkpointFormat = TrainingOptions.CheckpointFormat(rawValue: settings.string("checkpoint_format"))!
    options.checkpointInterval = settings.int("ckpt_save_interval")
    options.stepMode = settings.bool("step_mode")
    options.checkpointMaxKeep = settings.int("ckpt_max_keep")
    guard options.batchSize > 0 else { throw Failure("train_batch_size must be positive") }
    guard options.checkpointInterval > 0 else { throw Failure("ckpt_save_interval must be positive") }
    guard (0...1).contains(options.labelDropProbability) else { throw Failure("class_dropout_prob must be in [0, 1]") }
    if let noise = settings.optionalString("noise") {
        do { options.injectedNoise = try InjectedNoise(path: noise) } catch { throw Failure("noise: \(error)") }
    }

    var startTime = [rank == 0 ? Date().timeIntervalSince1970.rounded(.down) : 0]  // [1] rank 0's clock on every rank
    startTime.withUnsafeMutableBufferPointer { communicator.allreduceSum($0) }
    let run = try RunFolder(outputPath: settings.string("output_path"), timestamped: settings.bool("output_timestamp"),
                            resume: settings.string("resume"), format: options.checkpointFormat,
                            started: Date(timeIntervalSince1970: startTime[0]))
    options.outputPath = run.path
    options.arguments = settings.assignments.map { ($0.key, $0.value.displayText) }

    var model = try ModelSetup(settings: settings, trainPosEmbed: recipe.trainPosEmbed, seed: seed)
    model.notes.forEach { log("note: " + $0) }
    log("model: \(model.layout.config) — \(model.layout.views.count) tensors, \(model.layout.count) parameters; from \(model.origin)")
    let newFolder = !FileManager.default.fileExists(atPath: run.path)
    if rank == 0 {
        do { try FileManager.default.createDirectory(atPath: run.path, withIntermediateDirectories: true) } catch {
            throw Failure("cannot create the run folder \(run.path): \(error.localizedDescription)")
        }
    }
    // Rank 0 encodes the images (if any) into the run folder; the others then open what it wrote.
    var opened: TrainingData? = nil
    if rank == 0 {
        do { opened = try TrainingData(settings: settings, runFolder: run.path, quiet: quiet, log: log) } catch {
            if newFolder { try? FileManager.default.removeItem(atPath: run.path) }  // no output from a run that never started
            throw error
        }
    }
    communicator.barrier()
    if rank != 0 { opened = try TrainingData(settings: settings, runFolder: run.path, quiet: true, log: { _ in }) }
    let data = opened!
    options.useFlippedLatents = data.flip
    log("data: \(data.description); random flips \(data.flip ? "on" : "off")")
    let precision = PrecisionSettings.resolve(settings)
    if let note = precision.note { log(note) }
    let computer = try DiTGradients(layout: model.layout, heads: model.heads, precision: precision.precision)
    log("compute: \(computer.precision)")
    var initial = model.parameters  // [layout.count]: rank 0's weights on every rank
    model.parameters = []  // `initial` is now the only owner: no second copy of the model for the whole run
    initial.withUnsafeMutableBufferPointer { communicator.broadcast($0, root: 0) }
    let zeroStage = settings.optionalInt("zero_stage") ?? (world > 1 ? 1 : 0)
    guard zeroStage == 0 || zeroStage == 1 else { throw Failure("zero_stage must be 0 (replicated) or 1 (sharded optimizer state and EMA), got \(zeroStage)") }
    let reducer: GradientReducer?
    if world == 1 {
        reducer = nil
    } else if zeroStage == 1 {
        reducer = ZeROUpdate(communicator: communicator, layout: model.layout, recipe: recipe, initialParameters: initial,
                             overlap: settings.bool("overlap_gradients"))
    } else {
        reducer = CommunicatorReducer(communicator: communicator, overlap: settings.bool("overlap_gradients"))
    }
    let trainer: Trainer
    do { trainer = try Trainer(computer: computer, cache: data.cache, initialParameters: initial, options: options, reducer: reducer) } catch {
        if newFolder && rank == 0 { try? FileManager.default.removeItem(atPath: run.path) }
        throw error
    }
    initial = []  // the trainer (and EMA) hold the weights from here on
    if world > 1 {
        log("data-parallel: \(world) processes × \(Parallel.threadCount) threads, \(zeroStage == 1 ? "ZeRO-1 (AdamW moments and EMA sharded)" : "replicated optimizer state"); "
            + "global batch \(world) × \(options.batchSize) × \(recipe.gradientAccumulationSteps); only rank 0 writes")
    }
    let checkpoints = try TrainingCheckpoints(outputPath: run.path, format: options.checkpointFormat,
                                              maxKeep: options.checkpointMaxKeep, layout: model.layout)
    if let resume = run.resumeFrom {
        try checkpoints.resume(trainer, from: resume)
        log("resumed from \(resume) at step \(trainer.stepsDone) of \(trainer.totalSteps)")
    }
    recipe.summaryLines.forEach(log)
    log("training: \(trainer.totalSteps) steps (\(trainer.stepsPerEpoch) per epoch), batch \(options.batchSize) × \(recipe.gradientAccumulationSteps) accumulation, "
        + "seed \(seed), \(options.injectedNoise.map { "randomness injected from \($0.path)" } ?? "per-sample randomness from the seed"); \(computer.precision) on \(Parallel.threadCount) threads")
    log("run folder: \(run.path) (\(options.checkpointFormat == .ckpt ? "MindONE ckpt/" : "official checkpoints/"))")

    let lossLog: LossLog? = rank == 0 ? try LossLog(folder: run.path, resumedAtStep: trainer.stepsDone) : nil
    let sampleEvery = settings.int("sample_every")
    var grid: SampleGrid? = nil
    if sampleEvery > 0 && rank == 0 {
        let vaePath = settings.string("vae_checkpoint")
        let vae: AutoencoderKL
        do { vae = try AutoencoderKL(path: vaePath) } catch { throw Failure("sample_every needs vae_checkpoint: \(vaePath): \(error)") }
        let labels = settings.value("sample_labels") == .none ? Array(0..<min(10, model.layout.config.numClasses)) : settings.intList("sample_labels")
        if let bad = labels.first(where: { !(0..<model.layout.config.numClasses).contains($0) }) {
            throw Failure("sample_labels: \(bad) is outside 0..<\(model.layout.config.numClasses)")
        }
        grid = SampleGrid(vae: vae, labels: labels, imageSize: settings.int("image_size"), heads: model.heads, seed: seed,
                          scaleFactor: settings.double("sd_scale_factor"))
    }

    let progress = TrainingProgress(total: trainer.totalSteps, firstStep: trainer.stepsDone, logInterval: settings.int("log_interval"), quiet: quiet)
    var lastSaved: String? = nil
    let profile = StepProfile()
    while !trainer.isFinished {
        let record: StepRecord
        do { record = try trainer.step() } catch {
            progress.finishLine()
            try? lossLog?.drawPicture()
            throw Failure("\(error)" + (lastSaved.map { " (last checkpoint: \($0))" } ?? ""))
        }
        profile.record(stepSeconds: record.seconds)
        try lossLog?.append(record)
        progress.update(record)
        let interval = options.checkpointInterval
        let due = options.stepMode ? trainer.stepsDone % interval == 0 : trainer.atEpochEnd && (record.epoch % interval == 0)
        if due || trainer.isFinished {
            // Every rank: rank 0 writes, fetching ZeRO shards view by view; the others serve theirs.
            let saved = try trainer.withFullState { state in
                try checkpoints.save(trainer, state: state, epochLabel: record.epoch, stepMode: options.stepMode, arguments: options.arguments)
            }
            if let saved {
                lastSaved = saved
                try lossLog?.drawPicture()
                if !progressIsOnTerminal(quiet) { log("saved \(saved)") }
            }
            communicator.barrier()  // a checkpoint counts once rank 0 has written it and every rank got here
        }
        if sampleEvery > 0, trainer.stepsDone % sampleEvery == 0 || trainer.isFinished {
            // Every rank when sharded: rank 0 assembles the EMA from the shards.
            let ema = reducer is ShardedUpdate ? (try trainer.withFullState { $0.ema?.weights.materialise(model.layout) } ?? nil) : trainer.ema?.weights
            if let grid {
                let file = try grid.write(weights: ema ?? trainer.parameters, layout: model.layout, step: trainer.stepsDone, runFolder: run.path)
                if !progressIsOnTerminal(quiet) { log("sample grid: \(file)") }
            }
        }
    }
    if let line = profile.report(rank: rank, world: world) { FileHandle.standardError.write((line + "\n").data(using: .utf8)!) }
    guard let lossLog else { return }
    try lossLog.drawPicture()
    let curve = lossLog.sparkline()
    if !curve.isEmpty { log("loss curve: " + curve) }
    let final = lossLog.records.last.map { String(format: "%.4f", $0.loss) } ?? "-"
    log("done: \(trainer.stepsDone) steps, last loss \(final); checkpoint \(lastSaved ?? checkpoints.checkpointDirectory); loss log \(lossLog.csvPath), curve \(lossLog.picturePath)")
}

/// True when the progress bar is drawn in place (then per-save log lines would break it).
func progressIsOnTerminal(_ quiet: Bool) -> Bool { !quiet && isatty(STDERR_FILENO) == 1 }
