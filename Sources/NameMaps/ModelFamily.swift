import Checkpoint

/// The model families the name maps know, their conventions, and detection from tensor names.
public enum ModelFamily: String, CaseIterable {
    case dit
    case vae

    /// The convention the model code and the coverage check use (official DiT names; diffusers VAE names).
    public var canonicalConvention: String { self == .dit ? "official" : "diffusers" }

    /// Convention aliases accepted on the command line.
    public func resolve(_ convention: String) -> String {
        if self == .dit && convention == "mindone" { return "official" }  // MindONE mint-era names = official names
        return convention
    }

    /// Guesses the convention from characteristic names; nil if none fits.
    public func detectConvention(_ names: Set<String>) -> String? {
        switch self {
        case .dit:
            if names.contains("transformer_blocks.0.attn1.to_q.weight") { return "diffusers" }
            if names.contains("y_embedder.embedding_table.embedding_table") { return "mindone-legacy" }
            if names.contains("blocks.0.attn.qkv.weight") || names.contains("x_embedder.proj.weight") { return "official" }
        case .vae:
            if names.contains("encoder.down_blocks.0.resnets.0.norm1.weight") {
                return names.contains("encoder.mid_block.attentions.0.query.weight") ? "diffusers-old" : "diffusers"
            }
            if names.contains("encoder.down.0.block.0.norm1.gamma") { return "mindone" }
            if names.contains("encoder.down.0.block.0.norm1.weight") { return "ldm" }
        }
        return nil
    }

    /// The family whose markers appear in `names`.
    public static func detect(_ names: Set<String>) -> ModelFamily? {
        allCases.first { $0.detectConvention(names) != nil }
    }
}

/// Strips wrapper prefixes from state-dict names: `network.` (MindONE training), `module.` (DDP), and
/// for full Stable-Diffusion checkpoints keeps only `first_stage_model.` tensors.
public enum PrefixNormalizer {
    public struct Result {
        public var tensors: [NamedTensor]
        /// What was done, for the log (empty if nothing).
        public var notes: [String]
    }

    public static func normalize(_ tensors: [NamedTensor]) -> Result {
        var current = tensors
        var notes: [String] = []
        let sd = current.filter { $0.name.hasPrefix("first_stage_model.") }
        if !sd.isEmpty {
            notes.append("kept the \(sd.count) first_stage_model.* tensors of a full Stable-Diffusion checkpoint, ignored \(current.count - sd.count) others")
            current = sd.map { NamedTensor(name: String($0.name.dropFirst("first_stage_model.".count)), tensor: $0.tensor) }
        }
        for prefix in ["network.", "module.", "_orig_mod."] where !current.isEmpty && current.allSatisfy({ $0.name.hasPrefix(prefix) }) {
            notes.append("stripped the '\(prefix)' prefix")
            current = current.map { NamedTensor(name: String($0.name.dropFirst(prefix.count)), tensor: $0.tensor) }
        }
        return Result(tensors: current, notes: notes)
    }
}
