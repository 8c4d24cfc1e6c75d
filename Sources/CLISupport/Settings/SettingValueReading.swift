import Foundation

/// Turns a YAML value (Int, Double, Bool, String, list, NSNull) or a flag's text into a typed setting value.
/// Numeric text is accepted for numbers (MindONE writes `1.e-6`; PyYAML and hand-quoted values give strings),
/// booleans accept Python's True/False as MindONE's str2bool does.
enum SettingValueReading {
    /// The value, or nil when `raw` does not fit `type`.
    static func read(_ raw: Any, as type: SettingType) -> SettingValue? {
        switch type {
        case .int: return integer(raw).map(SettingValue.int)
        case .double: return number(raw).map(SettingValue.double)
        case .bool: return boolean(raw).map(SettingValue.bool)
        case .string: return text(raw).map(SettingValue.string)
        case .choice(let options): return text(raw).flatMap { options.contains($0) ? .string($0) : nil }
        case .intList: return list(raw, integer).map(SettingValue.intList)
        case .doubleList: return list(raw, number).map(SettingValue.doubleList)
        case .stringList: return list(raw, text).map(SettingValue.stringList)
        }
    }

    /// What `type` expects, for error messages ("expected an integer").
    static func expectation(_ type: SettingType) -> String {
        switch type {
        case .int: return "an integer"
        case .double: return "a number"
        case .bool: return "True or False"
        case .string: return "a string"
        case .choice(let options): return "one of " + options.joined(separator: ", ")
        case .intList: return "a list of integers"
        case .doubleList: return "a list of numbers"
        case .stringList: return "a list of strings"
        }
    }

    /// `True`/`true`/`FALSE` (str2bool is case-insensitive); YAML booleans arrive as Bool.
    static func boolean(_ raw: Any) -> Bool? {
        if let v = raw as? Bool { return v }
        guard let s = raw as? String else { return nil }
        return ["true": true, "false": false][s.trimmingCharacters(in: .whitespaces).lowercased()]
    }

    static func integer(_ raw: Any) -> Int? {
        if raw is Bool { return nil }
        if let v = raw as? Int { return v }
        if let v = raw as? Double, v == v.rounded(), abs(v) < 9e15 { return Int(v) }
        guard let s = raw as? String else { return nil }
        return Int(s.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "_", with: ""))
    }

    static func number(_ raw: Any) -> Double? {
        if raw is Bool { return nil }
        if let v = raw as? Double { return v }
        if let v = raw as? Int { return Double(v) }
        guard let s = raw as? String else { return nil }
        // Swift's Double(String) is strtod: "1.e-6", "1e-6", ".5" and "2." all parse.
        return Double(s.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "_", with: ""))
    }

    static func text(_ raw: Any) -> String? {
        if let s = raw as? String { return s }
        if raw is Bool || raw is [Any] || raw is [String: Any] || raw is NSNull { return nil }
        if let v = raw as? Int { return String(v) }
        if let v = raw as? Double { return String(v) }
        return nil
    }

    /// A YAML list, or text "1,2,3" / "[1, 2, 3]" (flags), or a single item.
    static func list<T>(_ raw: Any, _ item: (Any) -> T?) -> [T]? {
        if let items = raw as? [Any] {
            let values = items.compactMap(item)
            return values.count == items.count ? values : nil
        }
        if let s = raw as? String {
            var body = s.trimmingCharacters(in: .whitespaces)
            if body.hasPrefix("["), body.hasSuffix("]") { body = String(body.dropFirst().dropLast()) }
            if body.trimmingCharacters(in: .whitespaces).isEmpty { return [] }
            let parts = body.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            }
            let values = parts.compactMap { item($0) }
            return values.count == parts.count ? values : nil
        }
        return item(raw).map { [$0] }
    }
}
