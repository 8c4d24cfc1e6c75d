import Checkpoint
import Foundation

/// Source tensors of one model, renamed through the tables into a target convention, checked for
/// coverage and shapes against the detected configuration before anything is written.
public struct ModelConversion {
    public var family: ModelFamily
    public var sourceConvention: String
    public var targetConvention: String
    public var dit: DiTConfig?
    public var vae: VAEConfig?
    /// The renamed tensors in the target's order (lazy: nothing has been read but the embedder copies
    /// compared for identity).
    public var tensors: [NamedTensor]
    /// What was noticed on the way (prefixes stripped, tensors generated, ...), for the log.
    public var notes: [String]

    public var configDescription: String { dit?.description ?? vae?.description ?? "" }

    /// Plans a conversion.
    /// - Parameters:
    ///   - source: the state dict to convert (already picked from its container).
    ///   - family: nil to detect from the names.
    ///   - from: the source convention, nil to detect.
    ///   - to: the target convention (aliases such as DiT `mindone` accepted).
    ///   - library: the rename tables (built-in plus `--table` files).
    ///   - inputSize: DiT latent size when the source carries no `pos_embed`.
    public static func plan(_ source: [NamedTensor], family: ModelFamily? = nil, from: String? = nil, to: String,
                            library: TableLibrary, inputSize: Int? = nil) throws -> ModelConversion {
        let normalized = PrefixNormalizer.normalize(source)
        var notes = normalized.notes
        let names = Set(normalized.tensors.map(\.name))
        guard let family = family ?? ModelFamily.detect(names) else {
            throw NameTableError("cannot tell which model this is (no DiT or VAE marker names such as blocks.0.attn.qkv.weight or encoder.conv_in.weight); pass --from")
        }
        let sourceConvention = try from.map(family.resolve) ?? {
            guard let found = family.detectConvention(names) else { throw NameTableError("cannot detect the \(family.rawValue) naming convention; pass --from") }
            return found
        }()
        let targetConvention = family.resolve(to)
        let known = library.conventions(of: family.rawValue).union([family.canonicalConvention])
        for c in [sourceConvention, targetConvention] where !known.contains(c) {
            throw NameTableError("unknown \(family.rawValue) convention '\(c)' (known: \(known.sorted().joined(separator: ", ")))")
        }

        // Source → canonical names.
        var canonical = normalized.tensors
        var generated: [(name: String, generator: String)] = []
        for step in try library.chain(family: family.rawValue, from: sourceConvention, to: family.canonicalConvention) {
            let output = try step.apply(canonical)
            try CoverageReport.failIfAny(unclaimed: output.unclaimed, convention: step.sourceConvention, table: step.table.source)
            canonical = output.tensors
            generated.removeAll { g in output.tensors.contains { $0.name == g.name } }
            generated += output.generated
        }

        // Configuration, generated tensors, coverage against the configuration.
        let byName = Dictionary(canonical.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
        var dit: DiTConfig?, vae: VAEConfig?
        let expected: [(name: String, shape: [Int])]
        switch family {
        case .dit:
            dit = try DiTConfig.detect(byName, fallbackInputSize: inputSize)
            expected = dit!.expectedParameters()
        case .vae:
            vae = try VAEConfig.detect(byName)
            expected = vae!.expectedParameters()
        }
        for request in generated where byName[request.name] == nil {
            canonical.append(NamedTensor(name: request.name, tensor: try TensorGenerators.generate(request.generator, dit: dit)))
            notes.append("generated \(request.name) (\(request.generator)), which \(sourceConvention) files do not store")
        }
        canonical = try CoverageReport.check(canonical, expected: expected, convention: family.canonicalConvention)

        // Canonical → target names.
        var target = canonical
        var sorted = false
        for step in try library.chain(family: family.rawValue, from: family.canonicalConvention, to: targetConvention) {
            var renamer = step
            renamer.blockCount = dit?.depth
            let output = try renamer.apply(target)
            try CoverageReport.failIfAny(unclaimed: output.unclaimed, convention: step.sourceConvention, table: step.table.source)
            let before = target
            target = output.tensors
            sorted = step.table.sortedSides.contains(step.targetConvention)
            for request in output.dropped {
                var note = "\(request.name) is not stored in \(step.targetConvention) files (dropped; loaders recompute it with \(request.generator))"
                if let stored = before.first(where: { $0.name == request.name })?.tensor,
                   let drift = try driftFromGenerator(stored, generator: request.generator, dit: dit) {
                    note += "; the source's copy differs from the recomputed one by up to \(String(format: "%.2e", drift)) (EMA rounding of a frozen table), "
                        + "so the converted model computes slightly different numbers"
                }
                notes.append(note)
            }
        }
        if sorted { target.sort { $0.name < $1.name } }
        var seen = Set<String>()
        for t in target where !seen.insert(t.name).inserted { throw NameTableError("the tables produce '\(t.name)' twice") }
        return ModelConversion(family: family, sourceConvention: sourceConvention, targetConvention: targetConvention,
                               dit: dit, vae: vae, tensors: target, notes: notes)
    }
}

/// Largest |stored − regenerated| of a tensor that the target convention drops and recomputes, or nil
/// when they are bit-identical. Official DiT training checkpoints can carry an EMA-drifted `pos_embed`.
func driftFromGenerator(_ stored: Tensor, generator: String, dit: DiTConfig?) throws -> Double? {
    let regenerated = try TensorGenerators.generate(generator, dit: dit)
    guard regenerated.shape == stored.shape else { return nil }
    let worst = try TensorReshaping.maxAbsDifference(stored, regenerated)
    return worst > 0 ? worst : nil
}

/// Compares produced tensors with the parameters a configuration needs, and formats the findings.
public enum CoverageReport {
    /// Throws when a table left source tensors unconsumed.
    static func failIfAny(unclaimed: [String], convention: String, table: String) throws {
        guard !unclaimed.isEmpty else { return }
        throw NameTableError("\(unclaimed.count) tensor(s) not consumed by \(table) (\(convention) names): \(list(unclaimed))")
    }

    /// Returns `tensors` in the order of `expected`, or throws listing missing, extra and mis-shaped names.
    static func check(_ tensors: [NamedTensor], expected: [(name: String, shape: [Int])], convention: String) throws -> [NamedTensor] {
        let byName = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let expectedNames = Set(expected.map(\.name))
        let missing = expected.map(\.name).filter { byName[$0] == nil }
        let extra = tensors.map(\.name).filter { !expectedNames.contains($0) }
        let misshaped = expected.compactMap { e -> String? in
            guard let t = byName[e.name], t.tensor.shape != e.shape else { return nil }
            return "\(e.name) \(t.tensor.shape) (expected \(e.shape))"
        }
        var problems: [String] = []
        if !missing.isEmpty { problems.append("missing \(missing.count): \(list(missing))") }
        if !extra.isEmpty { problems.append("unexpected \(extra.count): \(list(extra))") }
        if !misshaped.isEmpty { problems.append("wrong shape \(misshaped.count): \(list(misshaped))") }
        guard problems.isEmpty else {
            throw NameTableError("the weights do not fit the detected model (\(convention) names): " + problems.joined(separator: "; "))
        }
        return expected.map { byName[$0.name]! }
    }

    static func list(_ names: [String]) -> String {
        names.prefix(4).joined(separator: ", ") + (names.count > 4 ? ", … (\(names.count - 4) more)" : "")
    }
}
