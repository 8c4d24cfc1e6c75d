import Foundation
import Yams

/// Reads a YAML mapping of setting keys (MindONE's config files) in file order.
enum YAMLSettingsFile {
    /// The file's `(key, value)` pairs in the order written; values as Yams loads them (Int, Double,
    /// Bool, String, [Any], NSNull).
    static func entries(yaml text: String, source: String) throws -> [(key: String, value: Any)] {
        let loaded: Any?
        let node: Node?
        do {
            loaded = try Yams.load(yaml: text)
            node = try Yams.compose(yaml: text)
        } catch {
            throw SettingsError("\(source): not valid YAML: \(String(describing: error).split(separator: "\n").joined(separator: " "))")
        }
        if loaded == nil || loaded is NSNull { return [] }
        guard let mapping = loaded as? [String: Any], let ordered = node?.mapping else {
            throw SettingsError("\(source): expected a mapping of keys to values")
        }
        let keys = ordered.keys.compactMap(\.string)
        guard keys.count == mapping.count else { throw SettingsError("\(source): keys must be plain text, each written once") }
        return keys.map { ($0, mapping[$0]!) }
    }

    /// Reads `path` as UTF-8 text.
    static func read(path: String) throws -> [(key: String, value: Any)] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw SettingsError("\(path): cannot read the config file")
        }
        return try entries(yaml: text, source: path)
    }
}
