import Checkpoint

/// Applies one rename table, in one direction, to a set of tensors.
///
/// Every source tensor must be claimed by exactly one rule; broadcast copies must be identical; the
/// tensors a `generate` rule stands for are returned as requests, resolved once the model config is
/// known.
public struct Renamer {
    public enum Direction { case leftToRight, rightToLeft }

    public struct Output {
        /// Produced tensors, in source order.
        public var tensors: [NamedTensor]
        /// Target names to be produced by a generator (`(name, generator)`).
        public var generated: [(name: String, generator: String)]
        /// Source tensors the target does not store because its loaders recompute them (`(name, generator)`).
        public var dropped: [(name: String, generator: String)] = []
        /// Source tensors no rule claimed.
        public var unclaimed: [String]
    }

    public let table: NameTable
    public let direction: Direction
    /// Number of blocks for `broadcast` rules going right (copies `{*}` = 0..<blockCount).
    public var blockCount: Int?
    /// Compare broadcast copies byte for byte when fusing them (off for shape-only plans).
    public var verifyCopies = true

    public init(table: NameTable, direction: Direction) {
        self.table = table
        self.direction = direction
    }

    public var sourceConvention: String { direction == .leftToRight ? table.left : table.right }
    public var targetConvention: String { direction == .leftToRight ? table.right : table.left }

    public func apply(_ tensors: [NamedTensor]) throws -> Output {
        let forward = direction == .leftToRight
        var claimedBy: [String: Int] = [:]
        var produced: [(order: Int, tensor: NamedTensor)] = []
        var generated: [(name: String, generator: String)] = []
        var dropped: [(name: String, generator: String)] = []
        let order = Dictionary(uniqueKeysWithValues: tensors.enumerated().map { ($1.name, $0) })

        func claim(_ name: String, _ rule: NameTable.Rule) throws {
            if let previous = claimedBy[name], previous != rule.line {
                throw NameTableError("\(table.source): '\(name)' matches both line \(previous) and line \(rule.line)")
            }
            claimedBy[name] = rule.line
        }
        func emit(_ name: String, _ tensor: Tensor, after source: String) {
            produced.append((order[source] ?? Int.max, NamedTensor(name: name, tensor: tensor)))
        }
        func matches(_ pattern: NamePattern) -> [(NamedTensor, [String: Int])] {
            tensors.compactMap { t in pattern.match(t.name).map { (t, $0) } }
        }

        for rule in table.rules {
            let sources = forward ? rule.left : rule.right
            let targets = forward ? rule.right : rule.left
            switch rule.transform {
            case .rename, .unsqueeze:
                for (t, b) in matches(sources[0]) {
                    try claim(t.name, rule)
                    guard let name = targets[0].render(b) else { throw NameTableError("\(table.source):\(rule.line): cannot name '\(t.name)' in \(targetConvention)") }
                    var tensor = t.tensor
                    if case .unsqueeze(let n) = rule.transform {
                        if forward {
                            tensor = try TensorReshaping.reshaped(tensor, to: tensor.shape + Array(repeating: 1, count: n))
                        } else {
                            guard tensor.shape.count >= n, tensor.shape.suffix(n).allSatisfy({ $0 == 1 }) else {
                                throw NameTableError("'\(t.name)' has shape \(tensor.shape); expected \(n) trailing unit dimensions to squeeze")
                            }
                            tensor = try TensorReshaping.reshaped(tensor, to: Array(tensor.shape.dropLast(n)))
                        }
                    }
                    emit(name, tensor, after: t.name)
                }
            case .split(let axis):
                if forward {
                    for (t, b) in matches(sources[0]) {
                        try claim(t.name, rule)
                        for (k, pattern) in targets.enumerated() {
                            guard let name = pattern.render(b) else { throw NameTableError("\(table.source):\(rule.line): cannot name part \(k) of '\(t.name)'") }
                            emit(name, try TensorReshaping.part(t.tensor, index: k, of: targets.count, axis: axis), after: t.name)
                        }
                    }
                } else {
                    var groups: [[String: Int]: [Int: NamedTensor]] = [:]
                    for (k, pattern) in sources.enumerated() {
                        for (t, b) in matches(pattern) {
                            try claim(t.name, rule)
                            groups[b, default: [:]][k] = t
                        }
                    }
                    for (b, parts) in groups {
                        let missing = sources.indices.filter { parts[$0] == nil }.compactMap { sources[$0].render(b) }
                        guard missing.isEmpty else { throw NameTableError("cannot fuse: missing \(missing.joined(separator: ", "))") }
                        guard let name = targets[0].render(b) else { continue }
                        let ordered = sources.indices.map { parts[$0]! }
                        emit(name, try TensorReshaping.concatenated(ordered.map(\.tensor), axis: axis), after: ordered[0].name)
                    }
                }
            case .broadcast:
                if forward {
                    guard let blocks = blockCount else { throw NameTableError("\(table.source):\(rule.line): broadcast needs the number of blocks") }
                    for (t, b) in matches(sources[0]) {
                        try claim(t.name, rule)
                        for block in 0..<blocks {
                            var withBlock = b
                            withBlock["*"] = block
                            guard let name = targets[0].render(withBlock) else { continue }
                            emit(name, t.tensor, after: t.name)
                        }
                    }
                } else {
                    var groups: [[String: Int]: [Int: NamedTensor]] = [:]
                    for (t, b) in matches(sources[0]) {
                        try claim(t.name, rule)
                        var key = b
                        let block = key.removeValue(forKey: "*") ?? 0
                        groups[key, default: [:]][block] = t
                    }
                    for (b, copies) in groups {
                        let blocks = copies.keys.sorted()
                        guard blocks == Array(0..<blocks.count), let first = copies[0] else {
                            throw NameTableError("copies of '\(targets[0].render(b) ?? "?")' found for blocks \(blocks), expected 0..<\(blocks.count)")
                        }
                        if verifyCopies {
                            let reference = try first.tensor.contiguousBytes()
                            for block in blocks.dropFirst() {
                                let copy = copies[block]!
                                guard copy.tensor.shape == first.tensor.shape, copy.tensor.dtype == first.tensor.dtype,
                                      try copy.tensor.contiguousBytes() == reference else {
                                    let diff = copy.tensor.shape == first.tensor.shape ? (try? TensorReshaping.maxAbsDifference(copy.tensor, first.tensor)) : nil
                                    throw NameTableError("duplicated embedder copies are not identical: '\(copy.name)' differs from '\(first.name)'"
                                        + (diff.map { " (max |Δ| = \($0))" } ?? " (shape \(copy.tensor.shape) vs \(first.tensor.shape))"))
                                }
                            }
                        }
                        guard let name = targets[0].render(b) else { continue }
                        emit(name, first.tensor, after: first.name)
                    }
                }
            case .generate(let generator):
                if forward {
                    for (t, _) in matches(sources[0]) {
                        try claim(t.name, rule)
                        dropped.append((t.name, generator))
                    }
                } else if let name = targets[0].render([:]) {
                    generated.append((name, generator))
                }
            case .drop:
                if forward { for (t, _) in matches(sources[0]) { try claim(t.name, rule) } }
            }
        }
        var unclaimed = tensors.map(\.name).filter { claimedBy[$0] == nil }
        if table.passthrough {
            for t in tensors where claimedBy[t.name] == nil { emit(t.name, t.tensor, after: t.name) }
            unclaimed = []
        }
        let ordered = produced.enumerated().sorted { ($0.element.order, $0.offset) < ($1.element.order, $1.offset) }.map(\.element.tensor)
        return Output(tensors: ordered, generated: generated, dropped: dropped, unclaimed: unclaimed)
    }
}
