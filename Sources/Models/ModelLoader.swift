import Checkpoint
import NameMaps

/// How to read a model file.
public struct LoadOptions {
    /// Keep f16/bf16 weights 16-bit (memory-mapped when possible) and widen them on use (`use_fp16`).
    public var keepHalfPrecision = false
    /// Entry of a container checkpoint to use (`ema`, `model`, `state_dict`, any dotted path). Default:
    /// `ema` for a training checkpoint `{model, ema, opt, args}` (as the official `find_model` does),
    /// else `state_dict` when present, else the root (NameMaps' `ModelSource`).
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
    /// How the state dict was picked from its container (`training checkpoint, using 'ema'`), if it was.
    public let container: String?
    /// Conventions, detected configuration and notes from the name maps.
    public let conversion: ModelConversion
    public let weights: ModelWeights
}

/// Opens any supported file (`.pt`, `.ckpt`, `.safetensors`, `.h5`, or a diffusers model folder) in any
/// known naming and returns its weights under canonical names. Missing, extra or misshaped tensors
/// fail here with their names listed (NameMaps' coverage check).
public enum ModelLoader {
    public static func load(_ path: String, family: ModelFamily, options: LoadOptions = LoadOptions()) throws -> LoadedWeights {
        let source = try ModelSource(path: path, select: options.select)
        var library = try TableLibrary.builtIn()
        for table in options.tables { library.add(try NameTable(contentsOf: table)) }
        let inputSize = options.imageSize.map { $0 / 8 } ?? source.diffusersSampleSize
        let conversion: ModelConversion
        do {
            conversion = try ModelConversion.plan(source.tensors, family: family, from: options.convention, to: family.canonicalConvention,
                                                  library: library, inputSize: inputSize)
        } catch let error as NameTableError {
            throw CheckpointError(error.description, file: source.file)
        }
        let weights = try ModelWeights(conversion.tensors, keepHalfPrecision: options.keepHalfPrecision)
        return LoadedWeights(path: source.file, format: source.checkpoint.format, container: source.container,
                             conversion: conversion, weights: weights)
    }
}
