#if canImport(Glibc)
import Glibc
#endif
import Checkpoint

/// A one-line progress display on stderr (tensors, MB, MB/s; or items, items/s, ETA), shown only on a terminal.
public final class ProgressLine {
    private let enabled: Bool
    private let start = ProgressLine.now()
    private var lastDraw = 0.0

    public init(quiet: Bool) { enabled = !quiet && isatty(STDERR_FILENO) == 1 }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    public func update(_ p: WriteProgress) {
        guard enabled else { return }
        let t = ProgressLine.now()
        guard t - lastDraw > 0.1 || p.tensorsWritten == p.tensorCount else { return }
        lastDraw = t
        let mb = Double(p.bytesWritten) / 1e6, total = Double(p.totalBytes) / 1e6
        let rate = mb / max(t - start, 1e-6)
        let line = "  \(p.tensorsWritten)/\(p.tensorCount) tensors  \(format(mb))/\(format(total)) MB  \(format(rate)) MB/s"
        fputs("\r\u{1B}[K" + line, stderr)
        if p.tensorsWritten == p.tensorCount { fputs("\n", stderr) }
    }

    /// `  12/100 images  34.5 images/s  ETA 0:03` (redrawn at most 10 times a second; ends the line at `total`).
    public func update(items done: Int, of total: Int, unit: String) {
        guard enabled else { return }
        let t = ProgressLine.now()
        guard t - lastDraw > 0.1 || done == total else { return }
        lastDraw = t
        let rate = Double(done) / max(t - start, 1e-6)
        let remaining = rate > 0 ? Int((Double(total - done) / rate).rounded(.up)) : 0
        let eta = remaining >= 3600 ? "\(remaining / 3600):" + twoDigits((remaining / 60) % 60) + ":" + twoDigits(remaining % 60)
                                    : "\(remaining / 60):" + twoDigits(remaining % 60)
        fputs("\r\u{1B}[K  \(done)/\(total) \(unit)  \(format(rate)) \(unit)/s  ETA \(eta)", stderr)
        if done == total { fputs("\n", stderr) }
    }

    private func twoDigits(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    private func format(_ x: Double) -> String {
        let tenths = Int((x * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
