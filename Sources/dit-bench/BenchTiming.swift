#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Kernels

/// Timed runs after a warm-up, with the kernel profile of the timed runs.
struct BenchTimer {
    let runs: Int
    let warmup: Int
    let profile: Bool

    /// Seconds of each timed run of `body`.
    func time(_ body: () throws -> Void) throws -> [Double] {
        Profile.enabled = false
        for _ in 0..<warmup { try body() }
        Profile.reset()
        Profile.enabled = profile
        return try (0..<runs).map { _ in
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
    }

    /// The profile of the timed runs, per run, into `result[key]` and the log (only with --profile).
    func report(key: String, into result: inout [String: Any], log: (String) -> Void) {
        defer { Profile.enabled = false }
        guard profile else { return }
        let entries = Profile.snapshot()
        result[key] = Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0.seconds / Double(runs)) })
        log("  per run: " + entries.map { String(format: "%@ %.3f s", $0.name, $0.seconds / Double(runs)) }.joined(separator: ", "))
    }
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

/// Peak resident set size of this process (getrusage; Linux reports KiB).
func peakResidentBytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss * 1024
}
