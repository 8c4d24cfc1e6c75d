#if canImport(Glibc)
import Glibc
#endif

/// One subcommand of a tool (`ckpt inspect`): its declared settings and what it does with them.
public struct Subcommand {
    public let name: String
    public let settings: ToolSettings
    public let run: (ResolvedSettings) throws -> Void

    public init(_ name: String, settings: ToolSettings, run: @escaping (ResolvedSettings) throws -> Void) {
        self.name = name
        self.settings = settings
        self.run = run
    }
}

/// A tool made of subcommands (`ckpt inspect|convert|diff`), each with its own declared settings.
/// `TOOL --help` lists them with their examples; `TOOL SUB --help` shows the subcommand's settings; a
/// mistyped subcommand suggests the nearest one.
public struct SubcommandTool {
    public let tool: String
    public let abstract: String
    public let subcommands: [Subcommand]

    public init(tool: String, abstract: String, subcommands: [Subcommand]) {
        self.tool = tool
        self.abstract = abstract
        self.subcommands = subcommands
    }

    /// What the command line asks for: help text, or a subcommand with its settings.
    public enum Outcome {
        case help(String)
        case run(Subcommand, ResolvedSettings)
    }

    public func evaluate(_ arguments: [String]) throws -> Outcome {
        guard let first = arguments.first, !["-h", "--help", "help"].contains(first) else {
            if arguments.count > 1, let sub = subcommands.first(where: { $0.name == arguments[1] }) { return .help(sub.settings.helpText()) }
            return .help(helpText())
        }
        guard let sub = subcommands.first(where: { $0.name == first }) else {
            let near = NearestName.suggestion(for: first, among: subcommands.map(\.name))
            throw SettingsError("unknown subcommand '\(first)'" + (near.map { "; did you mean '\($0)'?" } ?? " (see \(tool) --help)"))
        }
        switch try sub.settings.evaluate(Array(arguments.dropFirst())) {
        case .help(let text): return .help(text)
        case .settings(let settings): return .run(sub, settings)
        }
    }

    /// Runs the subcommand named by the command line; errors become one line and exit status 1.
    public func main() {
        runReportingErrors {
            switch try evaluate(Array(CommandLine.arguments.dropFirst())) {
            case .help(let text):
                print(text)
            case .run(let sub, let settings):
                try sub.run(settings)
            }
        }
    }

    public func helpText() -> String {
        var lines = ["\(tool): \(abstract)", "", "usage: \(tool) <subcommand> [arguments] [--key value]...", "", "subcommands:"]
        for sub in subcommands {
            lines.append("  \(sub.name)  \(sub.settings.abstract)")
            lines += sub.settings.examples.map { "        example: " + $0 }
        }
        lines += ["", "See '\(tool) <subcommand> --help' for its settings (every flag in both spellings, --key_name or --key-name)."]
        return lines.joined(separator: "\n")
    }
}
