#if canImport(Glibc)
import Glibc
#endif
import Checkpoint
import CLISupport

/// `ckpt diff A B`
enum Diff {
    static let command = Subcommand("diff", settings: ToolSettings(
        tool: "ckpt diff",
        abstract: "Compare two checkpoints tensor by tensor: names, shapes, dtypes and max |a-b|. Exit status 0 when every tensor is present in both with equal shape and values within --atol; 1 otherwise.",
        examples: ["ckpt diff DiT-XL-2-256x256.ckpt DiT-XL-2-256x256.pt --select_second ema --atol 1e-3"],
        declarations: [
            SettingDeclaration("select_first", .string, default: .none, help: "Entry to compare in the first file (e.g. ema)."),
            SettingDeclaration("select_second", .string, default: .none, help: "Entry to compare in the second file."),
            SettingDeclaration("atol", .double, default: .double(0), help: "Largest |a-b| still counted as equal."),
        ],
        positionals: [PositionalDeclaration("FIRST", help: "A checkpoint (any supported format)."), PositionalDeclaration("SECOND", help: "The checkpoint to compare with.")]
    ), run: run)

    static func run(_ settings: ResolvedSettings) throws {
        let first = settings.positional("FIRST"), second = settings.positional("SECOND"), atol = settings.double("atol")
        let selectFirst = settings.optionalString("select_first"), selectSecond = settings.optionalString("select_second")
        let a = try Checkpoint(path: first).tensors(select: selectFirst)
        let b = try Checkpoint(path: second).tensors(select: selectSecond)
        let bByName = Dictionary(b.map { ($0.name, $0.tensor) }, uniquingKeysWith: { x, _ in x })
        let aNames = Set(a.map(\.name))
        var differences = 0
        var worst = 0.0
        for entry in a {
            guard let other = bByName[entry.name] else {
                print("only in \(first): \(entry.name)")
                differences += 1
                continue
            }
            if entry.tensor.shape != other.shape {
                print("shape differs: \(entry.name) \(entry.tensor.shape) vs \(other.shape)")
                differences += 1
                continue
            }
            let x = try entry.tensor.doubleValues(), y = try other.doubleValues()
            var maxDiff = 0.0
            for (p, q) in zip(x, y) {
                let d = p.isNaN && q.isNaN ? 0 : abs(p - q)
                if d.isNaN || d > maxDiff { maxDiff = d.isNaN ? .infinity : d }
            }
            entry.tensor.releaseCache()
            other.releaseCache()
            worst = max(worst, maxDiff)
            let dtypeNote = entry.tensor.dtype == other.dtype ? "" : " (dtype \(entry.tensor.dtype) vs \(other.dtype))"
            if maxDiff > atol {
                print("values differ: \(entry.name) max|a-b| = \(maxDiff)\(dtypeNote)")
                differences += 1
            } else if !dtypeNote.isEmpty {
                print("dtype differs: \(entry.name)\(dtypeNote), values within tolerance")
            }
        }
        for entry in b where !aNames.contains(entry.name) {
            print("only in \(second): \(entry.name)")
            differences += 1
        }
        print("\(a.count) vs \(b.count) tensors, \(differences) differences, max|a-b| = \(worst)")
        if differences > 0 { Glibc.exit(1) }
    }
}
