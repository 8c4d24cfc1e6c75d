/// A tensor-name pattern from a rename table: literal text with integer placeholders.
///
/// - `{i}` matches a decimal index and binds `i`.
/// - `{3-i}` / `{i+1}` / `{i-1}`: an index computed from `i` (renders), or inverted when matching.
/// - `{*}` matches the block index of a broadcast rule (one copy per block).
/// - `{p:weight|bias}` matches one of the listed words and binds its position, so the other side can
///   spell the same position differently (`{p:gamma|beta}`).
public struct NamePattern: CustomStringConvertible, Hashable {
    /// `value = sign·variable + offset`, or a word choice when `options` is set.
    public struct Index: Hashable {
        public var variable: String
        public var sign: Int
        public var offset: Int
        public var options: [String]? = nil

        func apply(_ v: Int) -> Int { sign * v + offset }
        func invert(_ rendered: Int) -> Int? {
            let v = (rendered - offset) * sign
            return v >= 0 ? v : nil
        }
    }

    public enum Piece: Hashable {
        case literal(String)
        case index(Index)
    }

    public let pieces: [Piece]
    public let text: String

    /// Parses `text`; throws on unbalanced braces or malformed index expressions.
    public init(_ text: String) throws {
        self.text = text
        var pieces: [Piece] = []
        var literal = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            literal += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else { throw NameTableError("unclosed '{' in pattern '\(text)'") }
            if !literal.isEmpty { pieces.append(.literal(literal)); literal = "" }
            pieces.append(.index(try NamePattern.parseIndex(String(rest[rest.index(after: open)..<close]), in: text)))
            rest = rest[rest.index(after: close)...]
        }
        literal += rest
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        for (a, b) in zip(pieces, pieces.dropFirst()) {
            if case .index = a, case .index = b { throw NameTableError("two placeholders in a row in '\(text)'") }
        }
        self.pieces = pieces
    }

    static func parseIndex(_ body: String, in text: String) throws -> Index {
        let compact = body.filter { $0 != " " }
        if let colon = compact.firstIndex(of: ":") {
            let variable = compact[..<colon]
            let options = compact[compact.index(after: colon)...].split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard !variable.isEmpty, variable.allSatisfy({ $0.isLetter || $0 == "_" }), options.count >= 2, !options.contains("") else {
                throw NameTableError("cannot read choice '{\(body)}' in '\(text)' (use {name:a|b|...})")
            }
            return Index(variable: String(variable), sign: 1, offset: 0, options: options)
        }
        if compact == "*" { return Index(variable: "*", sign: 1, offset: 0) }
        func isName(_ s: Substring) -> Bool { !s.isEmpty && s.allSatisfy { $0.isLetter || $0 == "_" } }
        if isName(Substring(compact)) { return Index(variable: compact, sign: 1, offset: 0) }
        if let minus = compact.firstIndex(of: "-") {
            let left = compact[..<minus], right = compact[compact.index(after: minus)...]
            if let k = Int(left), isName(right) { return Index(variable: String(right), sign: -1, offset: k) }
            if isName(left), let k = Int(right) { return Index(variable: String(left), sign: 1, offset: -k) }
        }
        if let plus = compact.firstIndex(of: "+") {
            let left = compact[..<plus], right = compact[compact.index(after: plus)...]
            if isName(left), let k = Int(right) { return Index(variable: String(left), sign: 1, offset: k) }
        }
        throw NameTableError("cannot read placeholder '{\(body)}' in '\(text)' (use {i}, {N-i}, {i+N}, {i-N} or {*})")
    }

    /// The variables this pattern binds.
    public var variables: Set<String> {
        Set(pieces.compactMap { if case .index(let idx) = $0 { return idx.variable } else { return nil } })
    }

    /// Each variable with its number of word choices (nil for integer placeholders).
    public var signature: [String: Int?] {
        var out: [String: Int?] = [:]
        for case .index(let idx) in pieces { out.updateValue(idx.options?.count, forKey: idx.variable) }
        return out
    }

    /// Binds the placeholders if `name` matches; nil otherwise.
    public func match(_ name: String) -> [String: Int]? {
        var bindings: [String: Int] = [:]
        return match(Substring(name), pieceIndex: 0, &bindings) ? bindings : nil
    }

    private func match(_ name: Substring, pieceIndex: Int, _ bindings: inout [String: Int]) -> Bool {
        guard pieceIndex < pieces.count else { return name.isEmpty }
        switch pieces[pieceIndex] {
        case .literal(let text):
            guard name.hasPrefix(text) else { return false }
            return match(name.dropFirst(text.count), pieceIndex: pieceIndex + 1, &bindings)
        case .index(let index) where index.options != nil:
            for (position, option) in index.options!.enumerated() where name.hasPrefix(option) {
                if let bound = bindings[index.variable], bound != position { continue }
                let hadBinding = bindings[index.variable] != nil
                bindings[index.variable] = position
                if match(name.dropFirst(option.count), pieceIndex: pieceIndex + 1, &bindings) { return true }
                if !hadBinding { bindings[index.variable] = nil }
            }
            return false
        case .index(let index):
            let digits = name.prefix(while: { $0.isASCII && $0.isNumber })
            guard !digits.isEmpty, digits.count <= 9, digits == "0" || !digits.hasPrefix("0"),
                  let rendered = Int(digits), let value = index.invert(rendered) else { return false }
            if let bound = bindings[index.variable], bound != value { return false }
            let hadBinding = bindings[index.variable] != nil
            bindings[index.variable] = value
            if match(name.dropFirst(digits.count), pieceIndex: pieceIndex + 1, &bindings) { return true }
            if !hadBinding { bindings[index.variable] = nil }
            return false
        }
    }

    /// The name for `bindings`; nil when a variable is unbound or an index would be negative.
    public func render(_ bindings: [String: Int]) -> String? {
        var out = ""
        for piece in pieces {
            switch piece {
            case .literal(let text): out += text
            case .index(let index) where index.options != nil:
                guard let v = bindings[index.variable], index.options!.indices.contains(v) else { return nil }
                out += index.options![v]
            case .index(let index):
                guard let v = bindings[index.variable] else { return nil }
                let value = index.apply(v)
                guard value >= 0 else { return nil }
                out += String(value)
            }
        }
        return out
    }

    public var description: String { text }
}

/// A malformed rename table or an impossible rename.
public struct NameTableError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
