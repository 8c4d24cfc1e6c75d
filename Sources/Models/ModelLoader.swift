import Checkpoint
import Foundation
import NameMaps

/// How to read a model file.
public struct LoadOptions {
    /// Keep f16/bf16 weights 16-bit (memory-mapped when possible) and widen them on use (`use_fp16`).
    public var keepHalfPrecision = false
    /// Entry of a container checkpoint to use (`ema`, `model`, `state_dict`, any dotted path). Default:
    /// `ema` for a training checkpoint `{model, ema, opt, args}`, as the official `find_model` does.
    public var select: String? = nil
    /// Source naming convention (`official`, `mindone`, `mindone-legacy`, `diffusers`, `ldm`, ...);
    /// nil to detect it from the names.
    public var convention: String? = nil
    /// DiT image size (256, 512) for sources without `pos_embed` and without a diffusers config.json.
    public var imageSize: Int? = nil
    /// Extra rename table files (docs/name-tables.md), replacing built-in ones between the same conventions.
    public var tables: [String] = []

    public init() {}
}

/// A model file opened, renamed to the canonical convention and checked for coverage.
public struct LoadedWeights {
    public let path: String
    public let format: CheckpointFormat
    /// Conventions, detected configuration and notes from the name maps.
    public let conversion: ModelConversion
    public let weights: ModelWeights
}

/// Opens any supported file (`.pt`, `.ckpt`, `.safetensors`, `.h5`, or a diffusers model folder) in any
/// known naming and returns its weights under canonical names. Missing, extra or misshaped tensors
/// fail here with their names listed (NameMaps' coverage check).
public enum ModelLoader {
    public static func load(_ path: String, family: ModelFamily, options: LoadOptions = LoadOptions()) throws -> LoadedWeights {
        let (file, diffusersConfig) = try resolve(path)
        let checkpoint = try Checkpoint(path: file)
        let source = try stateDict(checkpoint, select: options.select)
        var library = try TableLibrary.builtIn()
        for table in options.tables { library.add(try NameTable(contentsOf: table)) }
        let inputSize = options.imageSize.map { $0 / 8 } ?? (diffusersConfig?["sample_size"] as? Int)
        let conversion: ModelConversion
        do {
            conversion = try ModelConversion.plan(source, family: family, from: options.convention, to: family.canonicalConvention,
                                                  library: library, inputSize: inputSize)
        } catch let error as NameTableError {
            throw CheckpointError(error.description, file: file)
        }
        let weights = try ModelWeights(conversion.tensors, keepHalfPrecision: options.keepHalfPrecision)
        return LoadedWeights(path: file, format: checkpoint.format, conversion: conversion, weights: weights)
    }

    /// A diffusers folder becomes its weights file plus its parsed config.json; a `.safetensors` file
    /// also picks up a config.json next to it.
    static func resolve(_ path: String) throws -> (String, [String: Any]?) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CheckpointError("no such file or folder", file: path)
        }
        func json(_ file: String) -> [String: Any]? {
            guard let data = FileManager.default.contents(atPath: file) else { return nil }
            return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        }
        guard isDirectory.boolValue else {
            let sibling = (path as NSString).deletingLastPathComponent + "/config.json"
            return (path, path.hasSuffix(".safetensors") ? json(sibling) : nil)
        }
        for name in ["diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.bin", "model.safetensors"] {
            let candidate = path + "/" + name
            if FileManager.default.fileExists(atPath: candidate) { return (candidate, json(path + "/config.json")) }
        }
        throw CheckpointError("folder has no diffusion_pytorch_model.safetensors or .bin", file: path)
    }

    /// The state dict inside `checkpoint`: `select` if given; `ema` of a training checkpoint; else the
    /// reader's default (`state_dict` when present, or the root).
    static func stateDict(_ checkpoint: Checkpoint, select: String?) throws -> [NamedTensor] {
        if let select { return try checkpoint.tensors(select: select) }
        if checkpoint.root["ema"] != nil, checkpoint.root["model"] != nil { return try checkpoint.tensors(select: "ema") }
        return try checkpoint.tensors()
    }
}
