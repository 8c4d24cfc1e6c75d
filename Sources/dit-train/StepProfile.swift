import Foundation
import Kernels

/// `DITPORT_PROFILE=1`: per rank, the wall time a training step spends inside collectives (the
/// `Profile` entries named "collective: …" that `CommunicatorReducer` / `ZeROUpdate` add) next to the
/// step's own time, and the peak RSS reached while training — read after each step, so it excludes
/// the final checkpoint, whose gather assembles the full ZeRO state on every rank. The first step of a
/// run (warm-up) is left out of the medians when there are more.
final class StepProfile {
    private var steps: [(seconds: Double, collective: Double)] = []
    private var collectiveBefore = 0.0
    private var peakBytes = 0

    /// Call after every `Trainer.step()` with the step's wall time.
    func record(stepSeconds: Double) {
        guard Profile.enabled else { return }
        let total = Self.collectives().reduce(0) { $0 + $1.seconds }
        steps.append((stepSeconds, total - collectiveBefore))
        collectiveBefore = total
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        peakBytes = max(peakBytes, usage.ru_maxrss * 1024)
    }

    /// One line for stderr (nil when profiling is off or no step ran).
    func report(rank: Int, world: Int) -> String? {
        guard Profile.enabled, !steps.isEmpty else { return nil }
        let counted = steps.count > 1 ? Array(steps.dropFirst()) : steps
        let step = median(counted.map(\.seconds)), collective = median(counted.map(\.collective))
        let parts = Self.collectives().map { String(format: "%@ %.3f s", String($0.name.dropFirst("collective: ".count)), $0.seconds / Double(steps.count)) }
        return String(format: "dit-train: rank %d of %d: profile: %d step(s)%@, median step %.3f s, in collectives %.3f s (%.1f %%); per step over all %d: %@; peak RSS while training %.1f MB",
                      rank, world, counted.count, steps.count > 1 ? " after the first" : "", step, collective, 100 * collective / step,
                      steps.count, parts.isEmpty ? "none" : parts.joined(separator: ", "), Double(peakBytes) / 1e6)
    }

    private static func collectives() -> [(name: String, seconds: Double, calls: Int)] {
        Profile.snapshot().filter { $0.name.hasPrefix("collective: ") }
    }

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}
