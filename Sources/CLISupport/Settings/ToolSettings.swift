import Foundation

/// A required positional argument (e.g. `SOURCE` of `ckpt convert SOURCE TARGET`).
public struct PositionalDeclaration {
    public let name: String
    public let help: String
    public init(_ name: String, help: String) {
        self.name = name
        self.help = help
    }
}

/// One value set by the YAML file or a flag, with where it came from (the file path or the flag as typed).
public struct SettingAssignment: Equatable {
    public let key: String
    public let value: SettingValue
    public let origin: String
}

/// What the command line asked for: the help text, or a run with these settings.
public enum SettingsOutcome {
    case help(String)
    case settings(ResolvedSettings)
}

/// All settings of one tool, declared once: the list drives the YAML reader (`-c/--config FILE`), the
/// flags in both spellings (`--data_path X`, `--data-path X`, `--data-path=X`) and `--help`.
public struct ToolSettings {
    public let tool: String
    public let abstract: String
    /// Command lines shown under "example:" in `--help`.
    public let examples: [String]
    public let declarations: [SettingDeclaration]
    /// Keys that mean nothing here (e.g. MindONE's Ascend options) → the note printed once when given.
    public let acceptedWithNote: [String: String]
    public let positionals: [PositionalDeclaration]
    /// Canonical (underscore) name or alias → index into `declarations`.
    let index: [String: Int]

    public init(tool: String, abstract: String, examples: [String], declarations: [SettingDeclaration],
                acceptedWithNote: [String: String] = [:], positionals: [PositionalDeclaration] = []) {
        self.tool = tool
        self.abstract = abstract
        self.examples = examples
        self.declarations = declarations
        self.acceptedWithNote = acceptedWithNote
        self.positionals = positionals
        var index: [String: Int] = [:]
        for (i, declaration) in declarations.enumerated() {
            for name in declaration.canonicalNames {
                precondition(index[name] == nil && name != "config" && name != "help", "\(tool): setting name '\(name)' declared twice or reserved")
                index[name] = i
            }
        }
        self.index = index
    }

    /// The declaration answering to `name` (key or alias, either spelling).
    public func declaration(_ name: String) -> SettingDeclaration? {
        index[SettingName.canonical(name)].map { declarations[$0] }
    }

    /// Reads `-c/--config FILE` (YAML mapping) first, then applies the flags over it; handles --help
    /// (prints helpText() and exits 0). Throws SettingsError (one line, names the file/flag/key) on bad input.
    public func resolve(_ arguments: [String]) throws -> ResolvedSettings {
        switch try evaluate(arguments) {
        case .help(let text):
            print(text)
            exit(0)
        case .settings(let settings):
            return settings
        }
    }

    /// `resolve` without printing or exiting: `--help` gives `.help(helpText())`.
    public func evaluate(_ arguments: [String]) throws -> SettingsOutcome {
        let scan = try scanArguments(arguments)
        if scan.helpRequested { return .help(helpText()) }
        var assignments: [SettingAssignment] = []
        var noted: [String] = []
        if let config = scan.configFile {
            for (key, raw) in try YAMLSettingsFile.read(path: config) {
                if let assignment = try assignment(key, raw, origin: config, unknown: { unknownKeyError(key, source: config) }) {
                    assignments.append(assignment)
                } else {
                    noted.append(key)
                }
            }
        }
        for flag in scan.flags {
            if let assignment = try assignment(flag.name, flag.value, origin: flag.spelling, unknown: { unknownFlagError(flag.spelling) }) {
                assignments.append(assignment)
            } else {
                noted.append(flag.name)
            }
        }
        guard scan.positionals.count <= positionals.count else {
            throw SettingsError("unexpected argument '\(scan.positionals[positionals.count])' (see \(tool) --help)")
        }
        guard scan.positionals.count == positionals.count else {
            throw SettingsError("missing \(positionals[scan.positionals.count...].map(\.name).joined(separator: " ")) (see \(tool) --help)")
        }
        var settings = ResolvedSettings(defaultsOf: self)
        settings.configFile = scan.configFile
        settings.positionals = Dictionary(uniqueKeysWithValues: zip(positionals.map(\.name), scan.positionals))
        settings.apply(assignments, accumulatingListsFrom: Set(scan.flags.map(\.spelling)))
        settings.notes = notes(for: noted)
        return .settings(settings)
    }

    /// Settings from YAML text alone (defaults for the keys it does not name).
    public func resolve(yaml text: String, source: String) throws -> ResolvedSettings {
        var settings = ResolvedSettings(defaultsOf: self)
        var noted: [String] = []
        for (key, raw) in try YAMLSettingsFile.entries(yaml: text, source: source) {
            if let assignment = try assignment(key, raw, origin: source, unknown: { unknownKeyError(key, source: source) }) {
                settings.apply([assignment], accumulatingListsFrom: [])
            } else {
                noted.append(key)
            }
        }
        settings.notes = notes(for: noted)
        return settings
    }

    /// Every setting at its declared default.
    public func defaults() -> ResolvedSettings { ResolvedSettings(defaultsOf: self) }

    /// Reads one value (YAML value or flag text) for `name`. Nil for an accepted-with-note key.
    public func assignment(_ name: String, _ raw: Any, origin: String) throws -> SettingAssignment? {
        try assignment(name, raw, origin: origin, unknown: { SettingsError("\(origin): unknown key '\(name)'") })
    }

    func assignment(_ name: String, _ raw: Any, origin: String, unknown: () -> SettingsError) throws -> SettingAssignment? {
        guard let declaration = declaration(name) else {
            if acceptedWithNote[SettingName.canonical(name)] != nil { return nil }
            throw unknown()
        }
        if raw is NSNull, declaration.defaultValue == .none {
            return SettingAssignment(key: declaration.key, value: .none, origin: origin)
        }
        guard let value = SettingValueReading.read(raw, as: declaration.type) else {
            let shown = raw is NSNull ? "null" : "\(raw)"
            throw SettingsError("\(origin): \(declaration.key): expected \(SettingValueReading.expectation(declaration.type)), got '\(shown)'")
        }
        return SettingAssignment(key: declaration.key, value: value, origin: origin)
    }

    /// One line per distinct note, naming the keys that were given.
    func notes(for keys: [String]) -> [String] {
        var byNote: [(note: String, keys: [String])] = []
        for key in keys.map(SettingName.canonical) {
            guard let note = acceptedWithNote[key] else { continue }
            if let i = byNote.firstIndex(where: { $0.note == note }) {
                if !byNote[i].keys.contains(key) { byNote[i].keys.append(key) }
            } else {
                byNote.append((note, [key]))
            }
        }
        return byNote.map { entry in
            let named = entry.keys.allSatisfy { entry.note.contains($0) }
            return "note: " + entry.note + (named ? "" : " (" + entry.keys.joined(separator: ", ") + ")")
        }
    }

    /// All declared names plus the accepted-with-note keys, for suggestions.
    var knownNames: [String] { declarations.flatMap { [$0.key] + $0.aliases } + acceptedWithNote.keys.sorted() + ["config", "help"] }

    func unknownKeyError(_ key: String, source: String) -> SettingsError {
        let keys = declarations.map(\.key) + acceptedWithNote.keys.sorted()
        if let near = NearestName.suggestion(for: key, among: keys) {
            return SettingsError("\(source): unknown key '\(key)'; did you mean '\(near)'?")
        }
        return SettingsError("\(source): unknown key '\(key)' (known: \(keys.sorted().joined(separator: ", ")))")
    }

    func unknownFlagError(_ spelling: String) -> SettingsError {
        let typed = String(spelling.drop(while: { $0 == "-" }))
        guard spelling.hasPrefix("--"), let near = NearestName.suggestion(for: typed, among: knownNames) else {
            return SettingsError("unknown flag \(spelling) (see \(tool) --help)")
        }
        let styled = typed.contains("-") ? SettingName.hyphenated(near) : near
        return SettingsError("unknown flag \(spelling); did you mean --\(styled)?")
    }
}
