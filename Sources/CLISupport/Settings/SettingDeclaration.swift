/// The type of one declared setting; it decides how YAML values and flag text are read.
public enum SettingType: Equatable {
    case int, double, bool, string, intList, doubleList, stringList
    /// One of these strings, exactly.
    case choice([String])

    /// How `--help` names the type.
    public var helpName: String {
        switch self {
        case .int: return "int"
        case .double: return "number"
        case .bool: return "True|False"
        case .string: return "text"
        case .intList: return "int list"
        case .doubleList: return "number list"
        case .stringList: return "text list"
        case .choice(let options): return options.joined(separator: "|")
        }
    }
}

/// A setting's value; `.none` is "not given" (the default of optional settings).
public enum SettingValue: Equatable {
    case int(Int), double(Double), bool(Bool), string(String), intList([Int]), doubleList([Double]), stringList([String]), none

    /// The value as a user would write it in YAML (Python spellings for booleans).
    public var displayText: String {
        switch self {
        case .int(let v): return String(v)
        case .double(let v): return v == v.rounded() && abs(v) < 1e15 ? String(format: "%.1f", v) : String(v)
        case .bool(let v): return v ? "True" : "False"
        case .string(let v): return v
        case .intList(let v): return "[" + v.map(String.init).joined(separator: ", ") + "]"
        case .doubleList(let v): return "[" + v.map { String($0) }.joined(separator: ", ") + "]"
        case .stringList(let v): return "[" + v.joined(separator: ", ") + "]"
        case .none: return "none"
        }
    }
}

/// One declared setting. `key` is the underscore (MindONE/YAML) spelling; the hyphenated flag is derived.
/// The declaration drives the YAML reader, both flag spellings (`--data_path`, `--data-path`) and `--help`.
public struct SettingDeclaration {
    public let key: String
    public let type: SettingType
    public let defaultValue: SettingValue
    public let help: String
    /// Extra accepted keys/flags, e.g. "dataset_path" for data_path.
    public let aliases: [String]
    /// A one-letter flag, e.g. "c" for `-c`.
    public let short: Character?

    public init(_ key: String, _ type: SettingType, default defaultValue: SettingValue, help: String,
                aliases: [String] = [], short: Character? = nil) {
        self.key = key
        self.type = type
        self.defaultValue = defaultValue
        self.help = help
        self.aliases = aliases
        self.short = short
    }

    /// `--data-path` for `data_path`.
    public var hyphenatedFlag: String { "--" + SettingName.hyphenated(key) }
    /// `--data_path` for `data_path`.
    public var underscoreFlag: String { "--" + key }
    /// Every name this declaration answers to, in canonical (underscore) form.
    var canonicalNames: [String] { ([key] + aliases).map(SettingName.canonical) }
}

/// Spellings of setting names: `data-path` and `data_path` are the same setting.
enum SettingName {
    static func canonical(_ name: String) -> String { name.replacingOccurrences(of: "-", with: "_") }
    static func hyphenated(_ name: String) -> String { name.replacingOccurrences(of: "_", with: "-") }
}

extension SettingValue {
    /// The payload when the value has that type, else nil.
    public var intValue: Int? { if case .int(let v) = self { return v } else { return nil } }
    public var doubleValue: Double? { if case .double(let v) = self { return v } else { return nil } }
    public var boolValue: Bool? { if case .bool(let v) = self { return v } else { return nil } }
    public var stringValue: String? { if case .string(let v) = self { return v } else { return nil } }
    public var intListValue: [Int]? { if case .intList(let v) = self { return v } else { return nil } }
    public var doubleListValue: [Double]? { if case .doubleList(let v) = self { return v } else { return nil } }
    public var stringListValue: [String]? { if case .stringList(let v) = self { return v } else { return nil } }
}
