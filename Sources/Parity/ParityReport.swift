import Foundation

/// The outcome of one bundle: one row per compared tensor, in execution order.
public struct ParityReport {
    public let bundle: String
    public let tolerance: Tolerance
    public let rows: [Comparison]
    /// Bundle entries this run did not know how to check (reported, not failed).
    public let ignored: [String]

    public var passed: Bool { rows.allSatisfy(\.passed) && !rows.isEmpty }

    /// The first tensor, in execution order, outside tolerance: where the computation first diverges.
    public var firstDivergence: String? { rows.first { !$0.passed }?.name }

    /// Fixed-width text table plus a verdict line.
    public func table() -> String {
        let nameWidth = max(12, rows.map(\.name.count).max() ?? 0)
        let shapeWidth = max(14, rows.map { "\($0.shape)".count }.max() ?? 0)
        func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s : s + String(repeating: " ", count: w - s.count) }
        func number(_ x: Double) -> String { x.isFinite ? String(format: "%.3e", x) : "inf" }
        var lines = [pad("tensor", nameWidth) + "  " + pad("shape", shapeWidth) + "  " + pad("max |Δ|", 10) + "  " + pad("max rel", 10)
                     + "  " + pad("cosine", 12) + "  " + pad("max |ref|", 10) + "  result"]
        for row in rows {
            let verdict = row.shapeMismatch.map { "FAIL (\($0))" } ?? (row.passed ? "ok" : "FAIL")
            lines.append(pad(row.name, nameWidth) + "  " + pad("\(row.shape)", shapeWidth) + "  " + pad(number(row.maxAbs), 10) + "  "
                         + pad(number(row.maxRel), 10) + "  " + pad(String(format: "%.9f", row.cosine), 12) + "  "
                         + pad(number(row.maxReference), 10) + "  " + verdict)
        }
        if !ignored.isEmpty { lines.append("not checked: \(ignored.sorted().joined(separator: ", "))") }
        let failed = rows.filter { !$0.passed }.count
        lines.append(passed
            ? "PASS: \(rows.count) tensors within \(tolerance)"
            : "FAIL: \(failed) of \(rows.count) tensors outside \(tolerance); first diverging module: \(firstDivergence ?? "-")")
        return lines.joined(separator: "\n")
    }
}
