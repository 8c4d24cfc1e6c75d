import CLISupport
import Training

/// The training recipe of a run: the `recipe` preset, then every recipe key the user gave (YAML or
/// flag) on top of it.
enum RecipeSettings {
    static func recipe(_ settings: ResolvedSettings) throws -> TrainingRecipe {
        guard let name = TrainingRecipe.Name(rawValue: settings.string("recipe")) else {
            throw Failure("recipe must be official or mindone")
        }
        var recipe = TrainingRecipe(name)
        if let optim = settings.optionalString("optim") {
            switch optim {
            case "torch_adamw": recipe.optimizer = .torchAdamW
            case "ms_adamw": recipe.optimizer = .mindsporeAdamWeightDecay
            default: break  // adamw: MindONE's word for its AdamW; the recipe's optimizer
            }
        }
        if let v = settings.optionalDouble("start_learning_rate") { recipe.learningRate = v }
        if let v = settings.optionalDouble("end_learning_rate") { recipe.endLearningRate = v }
        if let v = settings.optionalString("scheduler") { recipe.scheduler = LearningRateSchedule.Kind(rawValue: v)! }
        if let v = settings.optionalInt("warmup_steps") { recipe.warmupSteps = try nonNegative(v, "warmup_steps") }
        if let v = settings.optionalInt("decay_steps") { recipe.decaySteps = try nonNegative(v, "decay_steps") }
        if settings.value("betas") != .none {
            let betas = settings.doubleList("betas")
            guard betas.count == 2, betas.allSatisfy({ $0 >= 0 && $0 < 1 }) else {
                throw Failure("betas must be two numbers in [0, 1), got \(settings.value("betas").displayText) (\(settings.origin(of: "betas")))")
            }
            (recipe.beta1, recipe.beta2) = (betas[0], betas[1])
        }
        if let v = settings.optionalDouble("optim_eps") { recipe.eps = v }
        if let v = settings.optionalDouble("weight_decay") { recipe.weightDecay = v }
        if let v = settings.optionalString("group_strategy") { recipe.groupStrategy = v }
        if let v = settings.optionalBool("clip_grad") { recipe.clipGradients = v }
        if let v = settings.optionalDouble("max_grad_norm") { recipe.maxGradNorm = v }
        if let v = settings.optionalBool("use_ema") { recipe.useEMA = v }
        if let v = settings.optionalDouble("ema_decay") { recipe.emaDecay = v }
        if let v = settings.optionalString("ema_kind") { recipe.emaKind = v == "official" ? .official : .mindone }
        if let v = settings.optionalBool("train_pos_embed") { recipe.trainPosEmbed = v }
        if let v = settings.optionalInt("gradient_accumulation_steps") {
            guard v > 0 else { throw Failure("gradient_accumulation_steps must be at least 1, got \(v)") }
            recipe.gradientAccumulationSteps = v
        }
        guard recipe.learningRate >= 0 else { throw Failure("start_learning_rate must not be negative") }
        return recipe
    }

    private static func nonNegative(_ v: Int, _ key: String) throws -> Int {
        guard v >= 0 else { throw Failure("\(key) must not be negative, got \(v)") }
        return v
    }
}
