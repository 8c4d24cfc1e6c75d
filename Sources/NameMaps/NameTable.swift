import Foundation

/// One rename table: a bidirectional mapping between two naming conventions of one model family.
/// The grammar is documented in docs/name-tables.md.
public struct NameTable {
    /// What a rule does to the tensor(s), read left → right (the reverse is implied).
    public enum Transform: Equatable {
        /// Same data, new name.
        case rename
        /// Right = left with `count` trailing unit dimensions (`[C,C]` ↔ `[C,C,1,1]`).
        case unsqueeze(count: Int)
        /// Left is split evenly along `axis` into the right side's alternatives (fused back in reverse).
        case split(axis: Int)
        /// Left is copied into every block `{*}` on the right; in reverse all copies must be identical.
        case broadcast
        /// Left exists, right has nothing: dropped going right, produced by generator `name` going left.
        case generate(name: String)
        /// Left exists, right has nothing, and it cannot be recreated: dropped going right only.
        case drop
    }

    public struct Rule {
        public var left: [NamePattern]
        public var right: [NamePattern]
        public var transform: Transform
        /// 1-based line in the table file (for error messages).
        public var line: Int
    }

    public var family: String
    public var left: String
    public var right: String
    /// Conventions whose files list tensors sorted by name (MindONE's VAE converter writes them so).
    public var sortedSides: Set<String>
    /// Names no rule matches are kept unchanged (tables that touch only a few names).
    public var passthrough: Bool
    public var rules: [Rule]
    /// Where the table came from (file name), for messages.
    public var source: String

    /// Parses a table; errors name the file and line.
    public init(text: String, source: String) throws {
        self.source = source
        var family: String?, left: String?, right: String?
        var sorted = Set<String>()
        var passthrough = false
        var rules: [Rule] = []
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let first = fields.first else { continue }
            func fail(_ message: String) -> NameTableError { NameTableError("\(source):\(number + 1): \(message)") }
            if first == "@passthrough" {
                passthrough = true
                continue
            }
            if first.hasPrefix("@") {
                guard fields.count == 2 else { throw fail("directive \(first) takes one value") }
                switch first {
                case "@family": family = fields[1]
                case "@left": left = fields[1]
                case "@right": right = fields[1]
                case "@sorted": sorted.insert(fields[1])
                default: throw fail("unknown directive \(first)")
                }
                continue
            }
            guard fields.count >= 2 else { throw fail("a rule needs a left and a right pattern") }
            do {
                rules.append(try NameTable.parseRule(fields, line: number + 1))
            } catch let error as NameTableError {
                throw fail(error.description)
            }
        }
        guard let family, let left, let right else {
            throw NameTableError("\(source): missing @family, @left or @right")
        }
        self.family = family
        self.left = left
        self.right = right
        self.sortedSides = sorted
        self.passthrough = passthrough
        self.rules = rules
        try validate()
    }

    static func expandAlternatives(_ text: String) throws -> [NamePattern] {
        guard let open = text.firstIndex(of: "[") else { return [try NamePattern(text)] }
        guard let close = text[open...].firstIndex(of: "]") else { throw NameTableError("unclosed '[' in '\(text)'") }
        let options = text[text.index(after: open)..<close].split(separator: "|", omittingEmptySubsequences: false)
        guard options.count >= 2 else { throw NameTableError("'[...]' needs at least two alternatives in '\(text)'") }
        let prefix = text[..<open], suffix = text[text.index(after: close)...]
        guard !suffix.contains("[") else { throw NameTableError("only one '[...]' per pattern: '\(text)'") }
        return try options.map { try NamePattern(String(prefix + $0 + suffix)) }
    }

    static func parseRule(_ fields: [String], line: Int) throws -> Rule {
        let left = fields[0] == "-" ? [] : try expandAlternatives(fields[0])
        let right = fields[1] == "-" ? [] : try expandAlternatives(fields[1])
        let args = Array(fields.dropFirst(2))
        let transform: Transform
        switch args.first {
        case nil: transform = .rename
        case "unsqueeze":
            guard args.count == 2, let n = Int(args[1]), n > 0 else { throw NameTableError("usage: unsqueeze N") }
            transform = .unsqueeze(count: n)
        case "split":
            guard args.count == 2, let axis = Int(args[1]), axis >= 0 else { throw NameTableError("usage: split AXIS") }
            transform = .split(axis: axis)
        case "broadcast":
            transform = .broadcast
        case "generate":
            guard args.count == 2 else { throw NameTableError("usage: generate GENERATOR") }
            transform = .generate(name: args[1])
        case "drop":
            transform = .drop
        default:
            throw NameTableError("unknown transform '\(args[0])' (rename, unsqueeze N, split AXIS, broadcast, generate NAME, drop)")
        }
        return Rule(left: left, right: right, transform: transform, line: line)
    }

    /// Checks each rule's arity and placeholders against its transform.
    func validate() throws {
        for rule in rules {
            func fail(_ message: String) -> NameTableError { NameTableError("\(source):\(rule.line): \(message)") }
            let l = rule.left.count, r = rule.right.count
            switch rule.transform {
            case .rename, .unsqueeze:
                guard l == 1, r == 1 else { throw fail("a rename needs one pattern on each side") }
                guard rule.left[0].signature == rule.right[0].signature else {
                    throw fail("both sides must use the same placeholders, with the same number of choices")
                }
            case .split:
                guard l == 1, r >= 2 else { throw fail("split needs one left pattern and '[a|b|...]' on the right") }
            case .broadcast:
                guard l == 1, r == 1, rule.right[0].variables.contains("*"), !rule.left[0].variables.contains("*") else {
                    throw fail("broadcast needs {*} on the right side only")
                }
            case .generate, .drop:
                guard l == 1, r == 0 else { throw fail("generate/drop need a left pattern and '-' on the right") }
            }
        }
    }

    /// Loads a table file.
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw NameTableError("\(path): cannot read rename table")
        }
        try self.init(text: text, source: (path as NSString).lastPathComponent)
    }
}
