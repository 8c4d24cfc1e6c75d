#if canImport(Glibc)
import Glibc
#endif

/// A sampling progress bar on stderr (step, it/s, ETA). On a terminal it is redrawn in place; otherwise
/// (logs, CI) only the finished bar is printed, once.
public final class StepProgress {
    private let enabled: Bool
    private let interactive: Bool
    private let label: String
    private var start = 0.0
    private var lastDraw = 0.0

    public init(label: String, quiet: Bool) {
        self.label = label
        enabled = !quiet
        interactive = isatty(STDERR_FILENO) == 1
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    public func update(done: Int, total: Int) {
        guard enabled else { return }
        let t = StepProgress.now()
        if done == 0 || start == 0 { start = t }
        guard (interactive && t - lastDraw > 0.1) || done == total else { return }
        lastDraw = t
        let elapsed = t - start
        let rate = done > 0 ? Double(done) / max(elapsed, 1e-9) : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let width = 30, filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let timing = done == total ? "in \(format(elapsed))s" : "ETA \(Int(eta.rounded()))s"
        let line = "\(label) \(bar) \(done)/\(total)  \(format(rate)) it/s  \(timing)"
        fputs((interactive ? "\r\u{1B}[K" : "") + line, stderr)
        if done == total { fputs("\n", stderr) }
    }

    private func format(_ x: Double) -> String {
        let hundredths = Int((x * 100).rounded())
        return "\(hundredths / 100).\(String(format2: hundredths % 100))"
    }
}

extension String {
    init(format2 value: Int) { self = value < 10 ? "0\(value)" : "\(value)" }
}
