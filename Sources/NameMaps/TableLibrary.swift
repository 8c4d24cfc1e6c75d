import Foundation

/// The rename tables shipped as package resources (Sources/NameMaps/Tables), plus any a user adds, and
/// the search for a chain of tables between two conventions.
public struct TableLibrary {
    public private(set) var tables: [NameTable]

    /// The built-in tables.
    public static func builtIn() throws -> TableLibrary {
        guard let urls = Bundle.module.urls(forResourcesWithExtension: "table", subdirectory: "Tables"), !urls.isEmpty else {
            throw NameTableError("the built-in rename tables are missing from the package resources")
        }
        let paths = urls.compactMap { url -> String? in url.path }.sorted()
        return TableLibrary(tables: try paths.map { try NameTable(contentsOf: $0) })
    }

    public init(tables: [NameTable]) { self.tables = tables }

    /// Adds `table`, replacing a built-in table between the same two conventions.
    public mutating func add(_ table: NameTable) {
        tables.removeAll { existing in
            existing.family == table.family && Set([existing.left, existing.right]) == Set([table.left, table.right])
        }
        tables.append(table)
    }

    /// Every convention of `family` named by a table.
    public func conventions(of family: String) -> Set<String> {
        Set(tables.filter { $0.family == family }.flatMap { [$0.left, $0.right] })
    }

    /// The shortest chain of (table, direction) steps from `source` to `target` (empty when equal).
    public func chain(family: String, from source: String, to target: String) throws -> [Renamer] {
        if source == target { return [] }
        var previous: [String: (String, Renamer)] = [:]
        var queue = [source], seen: Set<String> = [source]
        while !queue.isEmpty {
            let current = queue.removeFirst()
            for table in tables where table.family == family {
                for (from, to, direction) in [(table.left, table.right, Renamer.Direction.leftToRight), (table.right, table.left, .rightToLeft)]
                where from == current && !seen.contains(to) {
                    seen.insert(to)
                    previous[to] = (current, Renamer(table: table, direction: direction))
                    if to == target {
                        var steps: [Renamer] = []
                        var node = target
                        while let (before, step) = previous[node] {
                            steps.insert(step, at: 0)
                            node = before
                        }
                        return steps
                    }
                    queue.append(to)
                }
            }
        }
        throw NameTableError("no rename table leads from \(family) '\(source)' to '\(target)' (known: \(conventions(of: family).sorted().joined(separator: ", ")))")
    }
}
