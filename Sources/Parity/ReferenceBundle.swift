import Checkpoint
import Foundation
import Kernels

/// A parity reference bundle: a safetensors file of inputs and expected outputs written by
/// `fixtures/generate/make_reference.py` (schema in docs/parity.md), read through `Checkpoint`.
public struct ReferenceBundle {
    /// `dit`/`vae`: forward references (make_reference.py); `dit-train`: one training step (gen_train_parity.py).
    public enum Kind: String { case dit, vae, ditTrain = "dit-train" }

    public let path: String
    public let kind: Kind
    /// The bundle's description: the JSON object stored under `__metadata__["reference"]` (`kind`,
    /// `config`, `num_heads`, `norm_num_groups`, `weights`, `generator`, `versions`).
    public let metadata: [String: Any]
    let tensors: [String: Tensor]

    public init(path: String) throws {
        let checkpoint = try Checkpoint(path: path)
        guard checkpoint.format == .safetensors else {
            throw CheckpointError("a reference bundle must be a safetensors file (found \(checkpoint.format.rawValue))", file: path)
        }
        var tensors: [String: Tensor] = [:]
        for entry in try checkpoint.tensors() { tensors[entry.name] = entry.tensor }
        var metadata: [String: Any] = [:]
        if let text = checkpoint.metadata["reference"] {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
                throw CheckpointError("the bundle's metadata 'reference' is not a JSON object", file: path)
            }
            metadata = object
        }
        self.path = path
        self.metadata = metadata
        self.tensors = tensors
        if let stated = metadata["kind"] as? String {
            guard let kind = Kind(rawValue: stated) else { throw CheckpointError("unknown bundle kind '\(stated)' (expected dit, vae or dit-train)", file: path) }
            self.kind = kind
        } else if tensors["x0"] != nil, tensors["noise"] != nil {
            self.kind = .ditTrain
        } else if tensors["x"] != nil, tensors["t"] != nil {
            self.kind = .dit
        } else if tensors["z"] != nil || tensors["moments"] != nil {
            self.kind = .vae
        } else {
            throw CheckpointError("neither a DiT bundle (x, t, y) nor a VAE bundle (z / image)", file: path)
        }
    }

    /// Every tensor name in the bundle.
    public var names: Set<String> { Set(tensors.keys) }

    public func contains(_ name: String) -> Bool { tensors[name] != nil }

    /// A floating-point entry as f32 (f16/bf16/f64 converted), or nil when absent.
    public func floats(_ name: String) throws -> FloatTensor? {
        guard let tensor = tensors[name] else { return nil }
        guard tensor.dtype.isFloatingPoint else { throw CheckpointError("'\(name)' is \(tensor.dtype), expected a float tensor", file: path) }
        let values = try tensor.doubleValues().map { Float($0) }
        return FloatTensor(shape: tensor.shape, values: values)
    }

    /// A required floating-point entry.
    public func requireFloats(_ name: String) throws -> FloatTensor {
        guard let value = try floats(name) else { throw CheckpointError("the bundle has no '\(name)'", file: path) }
        return value
    }

    /// An integer entry (i64 timesteps and labels), or nil when absent.
    public func integers(_ name: String) throws -> [Int]? {
        guard let tensor = tensors[name] else { return nil }
        guard [.i64, .i32, .i16, .i8, .u8].contains(tensor.dtype) else {
            throw CheckpointError("'\(name)' is \(tensor.dtype), expected an integer tensor", file: path)
        }
        return try tensor.doubleValues().map { Int($0) }
    }

    /// A 0-d (or one-element) float entry such as `cfg_scale`.
    public func scalar(_ name: String) throws -> Float? {
        guard let value = try floats(name) else { return nil }
        guard value.count == 1 else { throw CheckpointError("'\(name)' has shape \(value.shape), expected a scalar", file: path) }
        return value.values[0]
    }

    /// An integer metadata field (`num_heads`, `norm_num_groups`).
    public func metadataInt(_ key: String) -> Int? { metadata[key] as? Int }

    /// A string metadata field (`weights`, `generator`).
    public func metadataString(_ key: String) -> String? { metadata[key] as? String }
}
