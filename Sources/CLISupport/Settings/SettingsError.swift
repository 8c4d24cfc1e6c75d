/// Bad settings input: one line naming the file, flag or key (e.g. "cfg.yaml: seed: expected an integer, got 'x'").
public struct SettingsError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
