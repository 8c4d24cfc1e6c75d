#if canImport(Glibc)
import Glibc
#endif
import Checkpoint
import CLISupport
import Foundation

/// `ckpt scan FILE|DIR ... [--json]`
enum Scan {
    static let command = Subcommand("scan", settings: ToolSettings(
        tool: "ckpt scan",
        abstract: "Rate every global in every pickle a file holds, without executing anything (docs/security.md). "
            + "Exit status 0 when every file is clean, 1 when any is dangerous (a global off the checkpoint allowlist, "
            + "or a format trick), 2 when any could not be read. Folders are scanned recursively.",
        examples: ["ckpt scan downloads/ --json"],
        declarations: [
            SettingDeclaration("json", .bool, default: .bool(false), help: "Print one JSON object per file (one per line) and a summary object."),
            SettingDeclaration("verbose", .bool, default: .bool(false), help: "Also list the safe globals."),
        ],
        positionals: [PositionalDeclaration("PATH", help: "Files or folders to scan (one or more).", repeating: true)]
    ), run: run)

    static func run(_ settings: ResolvedSettings) throws {
        let json = settings.bool("json"), verbose = settings.bool("verbose")
        setvbuf(stdout, nil, _IOLBF, 0)
        var reports: [CheckpointScanner.Report] = []
        let start = Date()
        for path in Scan.expand(settings.positionalList("PATH")) {
            let report = CheckpointScanner.scan(path: path)
            reports.append(report)
            print(json ? ScanOutput.json(report) : ScanOutput.text(report, verbose: verbose))
        }
        let seconds = Date().timeIntervalSince(start)
        print(json ? ScanOutput.jsonSummary(reports, seconds: seconds) : ScanOutput.summary(reports, seconds: seconds))
        let worst = reports.map(\.verdict).max() ?? .safe
        Glibc.exit(worst == .dangerous ? 1 : (worst == .unreadable ? 2 : 0))
    }

    /// Files as given, folders walked recursively (sorted, hidden entries skipped).
    static func expand(_ paths: [String]) -> [String] {
        var out: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { out.append(path); continue }
            let entries = (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? []).sorted()
            for entry in entries where !entry.split(separator: "/").contains(where: { $0.hasPrefix(".") }) {
                let full = path + "/" + entry
                if FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue { out.append(full) }
            }
        }
        return out
    }
}

enum ScanOutput {
    static func label(_ severity: CheckpointScanner.Severity) -> String {
        switch severity {
        case .safe: return "clean"
        case .dangerous: return "DANGEROUS"
        case .unreadable: return "UNREADABLE"
        }
    }

    static func text(_ report: CheckpointScanner.Report, verbose: Bool) -> String {
        if report.format == "other", report.findings.isEmpty { return "\(report.path): not a checkpoint (no pickle, zip or tensor container)" }
        var lines = ["\(report.path): \(label(report.verdict)) (\(report.format), \(report.pickles) pickle\(report.pickles == 1 ? "" : "s"))"]
        for finding in report.findings where verbose || finding.severity != .safe {
            lines.append("  \(finding.severity.rawValue): \(finding.what)" + (finding.location.isEmpty ? "" : " [\(finding.location)]"))
        }
        lines += report.notes.map { "  note: \($0)" }
        return lines.joined(separator: "\n")
    }

    static func summary(_ reports: [CheckpointScanner.Report], seconds: Double) -> String {
        let count = { (s: CheckpointScanner.Severity) in reports.filter { $0.verdict == s && !isOther($0) }.count }
        let rate = seconds > 0 ? Double(reports.count) / seconds : 0
        return """
        verdict     files
        other       \(reports.filter(isOther).count)
        clean       \(count(.safe))
        dangerous   \(count(.dangerous))
        unreadable  \(count(.unreadable))
        total       \(reports.count) (\(String(format: "%.0f", rate)) files/s)
        """
    }

    static func isOther(_ report: CheckpointScanner.Report) -> Bool { report.format == "other" && report.findings.isEmpty }

    static func json(_ report: CheckpointScanner.Report) -> String {
        let findings = report.findings.map {
            "{\"severity\":\(InspectReport.quote($0.severity.rawValue)),\"what\":\(InspectReport.quote($0.what)),\"location\":\(InspectReport.quote($0.location))}"
        }
        return "{\"file\":\(InspectReport.quote(report.path)),\"format\":\(InspectReport.quote(report.format)),\"verdict\":\(InspectReport.quote(label(report.verdict).lowercased())),"
            + "\"pickles\":\(report.pickles),\"findings\":[\(findings.joined(separator: ","))],\"notes\":[\(report.notes.map(InspectReport.quote).joined(separator: ","))]}"
    }

    static func jsonSummary(_ reports: [CheckpointScanner.Report], seconds: Double) -> String {
        let count = { (s: CheckpointScanner.Severity) in reports.filter { $0.verdict == s && !isOther($0) }.count }
        return "{\"summary\":{\"files\":\(reports.count),\"other\":\(reports.filter(isOther).count),\"clean\":\(count(.safe)),\"dangerous\":\(count(.dangerous)),\"unreadable\":\(count(.unreadable)),\"seconds\":\(String(format: "%.3f", seconds))}}"
    }
}
