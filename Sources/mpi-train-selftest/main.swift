import Datasets
import Distributed
import DistributedTraining
import Foundation
import NameMaps
import Training

/// `mpi-train-selftest`: trains a tiny DiT (hidden 32, depth 2, 2 heads, patch 2 on 4×4×4 latents,
/// 5 classes, every weight random) on a latent cache for DistributedTests' equivalence checks:
///
///     mpi-train-selftest CACHE OUT single     RECIPE ACCUMULATION STEPS   # one process
///     mpirun -n W mpi-train-selftest CACHE OUT replicated RECIPE ...      # GradientReducer over MPI, 1 KiB buckets
///                                                                          # started during the backward
///     mpirun -n W mpi-train-selftest CACHE OUT replicated-blocking ...     # the same, one sum after the backward
///     mpirun -n W mpi-train-selftest CACHE OUT zero RECIPE ...            # ZeRO-1 (ZeROUpdate), 1 KiB buckets
///     mpirun -n W mpi-train-selftest CACHE OUT zero-blocking RECIPE ...   # ZeRO-1, one reduce-scatter after the backward
///
/// RECIPE is official (weight decay 0.01) or mindone (EMA, weight decay, clipping at 0.05 so it acts). Batch 2 per
/// micro-batch, seed 11, shuffled. Writes OUT/{parameters,ema,m,v}.f32 (full state, from rank 0),
/// OUT/parameters.R.f32 (every rank's copy), OUT/losses.f64 and OUT/norms.f64 (per step), and for
/// replicated runs OUT/early.i64 (buckets of the last step started before the backward ended).
let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count == 6, let accumulation = Int(arguments[4]), let steps = Int(arguments[5]),
      let recipeName = TrainingRecipe.Name(rawValue: arguments[3]), ["single", "replicated", "replicated-blocking", "zero", "zero-blocking"].contains(arguments[2]) else {
    fputs("usage: mpi-train-selftest CACHE OUT single|replicated|replicated-blocking|zero|zero-blocking official|mindone ACCUMULATION STEPS\n", stderr)
    exit(2)
}
let (cachePath, out, mode) = (arguments[0], arguments[1], arguments[2])
let communicator = DistributedLaunch.start(useParallel: mode != "single", tool: "mpi-train-selftest")

func write<T>(_ values: [T], _ name: String) {
    let path = out + "/" + name
    do { try values.withUnsafeBytes { Data($0) }.write(to: URL(fileURLWithPath: path)) } catch { communicator.abort("cannot write \(path): \(error)") }
}

do {
    var recipe = TrainingRecipe(recipeName)
    recipe.gradientAccumulationSteps = accumulation
    if recipeName == .mindone {
        recipe.learningRate = 1e-3
        recipe.warmupSteps = 2
        recipe.weightDecay = 0.01
        recipe.clipGradients = true
        recipe.maxGradNorm = 0.05
        recipe.useEMA = true
    } else {
        recipe.learningRate = 1e-3
        recipe.weightDecay = 0.01  // exercise AdamW's decoupled decay too
    }
    let config = DiTConfig(hiddenSize: 32, depth: 2, patchSize: 2, inChannels: 4, inputSize: 4, numClasses: 5, learnSigma: true, numHeads: 2)
    let layout = ParameterLayout(config: config, trainPosEmbed: recipe.trainPosEmbed)
    // Every weight random (adaLN-Zero's zeros would hide most of the network): N(0, 1/fan_in) per view.
    let randomness = SampleRandomness(seed: 5)
    var initial = [Float](repeating: 0, count: layout.count)  // [layout.count]
    for (index, view) in layout.views.enumerated() {
        let fanIn = view.shape.count > 1 ? view.count / view.shape[0] : 16
        let scale = 1 / Float(fanIn).squareRoot()
        initial.replaceSubrange(view.range, with: randomness.normals(.initialization, step: index, sample: 1, count: view.count).map { $0 * scale })
    }
    var options = TrainingOptions(recipe: recipe)
    options.batchSize = 2
    options.epochs = 100
    options.maxSteps = steps
    options.seed = 11
    let reducer: GradientReducer?
    switch mode {
    case "replicated": reducer = CommunicatorReducer(communicator: communicator, overlap: true, bucketBytes: 1 << 10)
    case "replicated-blocking": reducer = CommunicatorReducer(communicator: communicator, overlap: false)
    case "zero": reducer = ZeROUpdate(communicator: communicator, layout: layout, recipe: recipe, initialParameters: initial, overlap: true, bucketBytes: 1 << 10)
    case "zero-blocking": reducer = ZeROUpdate(communicator: communicator, layout: layout, recipe: recipe, initialParameters: initial, overlap: false)
    default: reducer = nil
    }
    let trainer = try Trainer(computer: try DiTGradients(layout: layout), cache: try LatentCache(path: cachePath), initialParameters: initial,
                              options: options, reducer: reducer)
    var losses: [Double] = [], norms: [Double] = []
    while !trainer.isFinished {
        let record = try trainer.step()
        losses.append(record.loss)
        norms.append(record.gradNorm)
    }
    write(trainer.parameters, "parameters.\(communicator.rank).f32")
    // Rank 0 reads the full state (ZeRO-1: fetched view by view from the shards' owners, which serve meanwhile).
    _ = try trainer.withFullState { state in
        write(trainer.parameters, "parameters.f32")
        write(state.ema?.weights.materialise(layout) ?? [], "ema.f32")
        write(state.firstMoment.materialise(layout), "m.f32")
        write(state.secondMoment.materialise(layout), "v.f32")
        write(losses, "losses.f64")
        write(norms, "norms.f64")
        write([Int64(state.optimizerStep), Int64(trainer.stepsPerEpoch), Int64(layout.count)], "info.i64")
        if let replicated = reducer as? CommunicatorReducer { write([Int64(replicated.bucketsStartedEarly)], "early.i64") }
        if let zero = reducer as? ZeROUpdate { write([Int64(zero.bucketsStartedEarly)], "early.i64") }
    }
    communicator.finalize()
} catch {
    if communicator is SingleProcessCommunicator {
        fputs("mpi-train-selftest: error: \(error)\n", stderr)
        exit(1)
    }
    communicator.abort("\(error)")
}
