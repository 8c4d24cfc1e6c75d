/// The settings of one run: each declared key's value and where it came from ("default", the YAML
/// path, or the flag as typed). Asking for an undeclared key, or with the wrong type, is a programming
/// error and traps.
public struct ResolvedSettings {
    public let tool: String
    private let declarations: [String: SettingDeclaration]
    private var values: [String: SettingValue]
    private var origins: [String: String] = [:]
    /// Every value set by the YAML file (in file order) and then the flags (in command-line order).
    public private(set) var assignments: [SettingAssignment] = []
    /// One line per group of accepted-but-meaningless keys, e.g. "note: device_target is ignored on CPU".
    public var notes: [String] = []
    /// The `-c/--config` file, if one was given.
    public var configFile: String?
    /// Positional arguments by declared name.
    public var positionals: [String: String] = [:]
    /// Every value of a repeating last positional, by declared name.
    public var positionalLists: [String: [String]] = [:]

    init(defaultsOf tool: ToolSettings) {
        self.tool = tool.tool
        declarations = Dictionary(uniqueKeysWithValues: tool.declarations.map { ($0.key, $0) })
        values = Dictionary(uniqueKeysWithValues: tool.declarations.map { ($0.key, $0.defaultValue) })
    }

    /// Applies assignments in order (later wins); a list flag given several times (`--table a --table b`)
    /// collects all its values.
    mutating func apply(_ list: [SettingAssignment], accumulatingListsFrom flags: Set<String>) {
        var collected: Set<String> = []
        for assignment in list {
            let key = assignment.key
            if flags.contains(assignment.origin), collected.contains(key) {
                switch (values[key]!, assignment.value) {
                case (.intList(let a), .intList(let b)): values[key] = .intList(a + b)
                case (.stringList(let a), .stringList(let b)): values[key] = .stringList(a + b)
                default: values[key] = assignment.value
                }
            } else {
                values[key] = assignment.value
            }
            if flags.contains(assignment.origin) { collected.insert(key) }
            origins[key] = assignment.origin
            assignments.append(assignment)
        }
    }

    /// The value of a declared key.
    public func value(_ key: String) -> SettingValue {
        guard let value = values[key] else { preconditionFailure("\(tool): '\(key)' is not a declared setting") }
        return value
    }

    /// "default", the YAML file's path, or the flag as typed ("--data-path").
    public func origin(of key: String) -> String {
        _ = value(key)
        return origins[key] ?? "default"
    }

    /// True when the YAML file or a flag set the key.
    public func isGiven(_ key: String) -> Bool { origin(of: key) != "default" }

    public func int(_ key: String) -> Int { typed(key, "int", \.intValue) }
    public func double(_ key: String) -> Double { typed(key, "double", \.doubleValue) }
    public func bool(_ key: String) -> Bool { typed(key, "bool", \.boolValue) }
    public func string(_ key: String) -> String { typed(key, "string", \.stringValue) }
    public func intList(_ key: String) -> [Int] { typed(key, "intList", \.intListValue) }
    public func doubleList(_ key: String) -> [Double] { typed(key, "doubleList", \.doubleListValue) }
    public func stringList(_ key: String) -> [String] { typed(key, "stringList", \.stringListValue) }

    /// `.none` default → nil.
    public func optionalInt(_ key: String) -> Int? { value(key) == .none ? nil : int(key) }
    public func optionalDouble(_ key: String) -> Double? { value(key) == .none ? nil : double(key) }
    public func optionalString(_ key: String) -> String? { value(key) == .none ? nil : string(key) }
    public func optionalBool(_ key: String) -> Bool? { value(key) == .none ? nil : bool(key) }

    /// The value of a string setting that has no default; throws "missing --key" when it was not given.
    public func requiredString(_ key: String) throws -> String {
        guard let value = optionalString(key) else {
            throw SettingsError("missing --\(SettingName.hyphenated(key)) (see \(tool) --help)")
        }
        return value
    }

    /// All values of a repeating positional (one or more).
    public func positionalList(_ name: String) -> [String] {
        positionalLists[name] ?? positionals[name].map { [$0] } ?? []
    }

    /// A declared positional argument.
    public func positional(_ name: String) -> String {
        guard let value = positionals[name] else { preconditionFailure("\(tool): '\(name)' is not a declared positional") }
        return value
    }

    /// The payload of `key`'s value; a type other than the declared one is a programming error.
    private func typed<T>(_ key: String, _ type: String, _ payload: (SettingValue) -> T?) -> T {
        guard let v = payload(value(key)) else {
            preconditionFailure("\(tool): setting '\(key)' is \(value(key)), not \(type) (declared \(declarations[key]!.type))")
        }
        return v
    }
}
