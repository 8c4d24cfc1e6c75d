import Checkpoint
import Foundation

/// A model's weights as a user points at them: a checkpoint file of any format, or a diffusers model
/// folder (`diffusion_pytorch_model.safetensors` + `config.json`), with the state dict picked from its
/// container.
public struct ModelSource {
    /// The weights file actually opened.
    public let file: String
    public let checkpoint: Checkpoint
    /// The picked state dict (lazy tensors).
    public let tensors: [NamedTensor]
    /// How it was picked, for the log (`training checkpoint, using 'ema'`), nil for a plain state dict.
    public let container: String?
    /// A diffusers `config.json` found with the weights (folder, or next to a `.safetensors` file).
    public let diffusersConfig: [String: Any]?

    /// Opens `path`. `use` picks `ema` (default) or `model` from an official training checkpoint
    /// `{model, ema, opt, args}`; `select` picks any entry by dotted path instead.
    public init(path: String, use: String = "ema", select: String? = nil) throws {
        (file, diffusersConfig) = try ModelSource.resolve(path)
        checkpoint = try Checkpoint(path: file)
        if let select {
            tensors = try checkpoint.tensors(select: select)
            container = "using '\(select)'"
        } else if checkpoint.root["ema"] != nil || checkpoint.root["model"] != nil {
            guard ["ema", "model"].contains(use) else { throw CheckpointError("--use takes ema or model", file: file) }
            guard checkpoint.root[use] != nil else { throw CheckpointError("training checkpoint has no '\(use)' entry", file: file) }
            tensors = try checkpoint.tensors(select: use)
            container = "training checkpoint, using '\(use)'"
        } else if checkpoint.root["state_dict"] != nil {
            tensors = try checkpoint.tensors(select: "state_dict")
            container = "using 'state_dict'"
        } else {
            tensors = try checkpoint.tensors()
            container = nil
        }
    }

    /// The latent size a diffusers config declares (`sample_size`), if any.
    public var diffusersSampleSize: Int? { diffusersConfig?["sample_size"] as? Int }

    static func resolve(_ path: String) throws -> (String, [String: Any]?) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CheckpointError("no such file or folder", file: path)
        }
        guard isDirectory.boolValue else {
            let sibling = (path as NSString).deletingLastPathComponent + "/config.json"
            return (path, path.hasSuffix(".safetensors") ? readJSON(sibling) : nil)
        }
        for name in ["diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.bin", "model.safetensors"] {
            let candidate = path + "/" + name
            if FileManager.default.fileExists(atPath: candidate) { return (candidate, readJSON(path + "/config.json")) }
        }
        throw CheckpointError("folder has no diffusion_pytorch_model.safetensors or .bin", file: path)
    }

    static func readJSON(_ path: String) -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }
}
