import Dispatch
import Foundation

/// Optional wall-clock accounting per kernel family (`dit-bench --profile`, or `DITPORT_PROFILE=1`).
/// Off by default; when off, `measure` is one branch.
public enum Profile {
    public static var enabled = ProcessInfo.processInfo.environment["DITPORT_PROFILE"] != nil
    private static var totals: [String: (nanoseconds: UInt64, calls: Int)] = [:]
    private static let lock = NSLock()

    /// Runs `body`, adding its wall time to `name` when profiling is on. Call from the coordinating
    /// thread only (kernels that are already inside a parallel region are not measured separately).
    @inline(__always)
    public static func measure<R>(_ name: String, _ body: () throws -> R) rethrows -> R {
        guard enabled else { return try body() }
        let start = DispatchTime.now().uptimeNanoseconds
        defer {
            let elapsed = DispatchTime.now().uptimeNanoseconds - start
            lock.lock()
            let previous = totals[name] ?? (0, 0)
            totals[name] = (previous.nanoseconds + elapsed, previous.calls + 1)
            lock.unlock()
        }
        return try body()
    }

    public static func reset() {
        lock.lock()
        totals = [:]
        lock.unlock()
    }

    /// Seconds and call counts per name, largest first.
    public static func snapshot() -> [(name: String, seconds: Double, calls: Int)] {
        lock.lock()
        defer { lock.unlock() }
        return totals.map { ($0.key, Double($0.value.nanoseconds) / 1e9, $0.value.calls) }.sorted { $0.seconds > $1.seconds }
    }
}
