#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Training

/// The training progress display: on a terminal one bar redrawn in place on stderr
/// (`step 120/3000 [####    ] loss 0.1234 lr 5e-05 2.1 it/s ETA 22:51`); otherwise (logs, CI) one line
/// on stdout every `logInterval` steps. Rates count only this session's steps, so a resumed run's ETA is right.
final class TrainingProgress {
    private let terminal: Bool
    private let quiet: Bool
    private let logInterval: Int
    private let total: Int
    private let firstStep: Int
    private let start = Date()
    private var lastDraw = Date.distantPast

    init(total: Int, firstStep: Int, logInterval: Int, quiet: Bool) {
        self.total = total
        self.firstStep = firstStep
        self.logInterval = max(1, logInterval)
        self.quiet = quiet
        terminal = !quiet && isatty(STDERR_FILENO) == 1
    }

    func update(_ record: StepRecord) {
        guard !quiet else { return }
        let elapsed = Date().timeIntervalSince(start)
        let done = record.step - firstStep
        let rate = Double(done) / max(elapsed, 1e-9)
        let eta = rate > 0 ? TrainingProgress.clock(Double(total - record.step) / rate) : "?"
        let speed = rate >= 1 ? String(format: "%.1f it/s", rate) : String(format: "%.2f s/it", 1 / max(rate, 1e-9))
        let numbers = String(format: "loss %.4f  lr %.3g  grad_norm %.3g", record.loss, record.learningRate, record.gradNorm)
        if terminal {
            guard Date().timeIntervalSince(lastDraw) > 0.1 || record.step == total else { return }
            lastDraw = Date()
            let width = 20, filled = total > 0 ? width * record.step / total : width
            let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
            fputs("\r\u{1B}[K  step \(record.step)/\(total) [\(bar)] \(numbers)  \(speed)  ETA \(eta)", stderr)
            if record.step == total { fputs("\n", stderr) }
        } else if record.step % logInterval == 0 || record.step == total {
            print("step \(record.step)/\(total) (epoch \(record.epoch))  \(numbers)  \(speed)  ETA \(eta)")
        }
    }

    /// Ends a bar that stops early (interrupt, error), so the next message starts on a new line.
    func finishLine() { if terminal { fputs("\n", stderr) } }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
