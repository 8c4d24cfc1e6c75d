import Foundation
import TestSupport
import XCTest

/// Runs the package's tools under Open MPI's `mpirun` (found in PATH), as CI does: as root, on few
/// cores, shared-memory transport only, bounded by `timeout` so a hung job fails instead of hanging.
enum MPIRun {
    /// The flags every test job uses (docs/distributed.md: root, more ranks than cores, no binding,
    /// ob1 + self/vader halves start-up).
    static let flags = ["--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "--mca", "pml", "ob1", "--mca", "btl", "self,vader"]

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
        /// Wall-clock seconds from launch to exit.
        let seconds: Double
        var output: String { stdout + stderr }
    }

    /// `mpirun` from PATH, or nil.
    static var mpirun: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { $0 + "/mpirun" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The environment without any launcher's variables, so the child sees exactly what the launcher gives
    /// it (a test runner started under mpirun must not leak its rank), with `extra` added.
    static func cleanEnvironment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { key, _ in
            !(key.hasPrefix("OMPI_") || key.hasPrefix("PMIX_") || key.hasPrefix("PMI_") || key.hasPrefix("MPI_LOCAL") || key == "DITPORT_THREADS")
        }
        for (key, value) in extra { environment[key] = value }
        return environment
    }

    static func tool(_ name: String) -> String { Bundle.main.bundleURL.appendingPathComponent(name).path }

    /// `timeout -k 5 SECONDS mpirun FLAGS -n RANKS TOOL ARGUMENTS` with stdin from /dev/null.
    static func run(ranks: Int, _ name: String, _ arguments: [String], environment: [String: String] = [:], timeout: Int = 120,
                    directory: String? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> Result {
        guard let mpirun else {
            XCTFail("mpirun is not in PATH: install openmpi-bin libopenmpi-dev (scripts/setup-system.sh)", file: file, line: line)
            throw CocoaError(.fileNoSuchFile)
        }
        return try launch("/usr/bin/timeout", ["-k", "5", String(timeout), mpirun] + flags + ["-n", String(ranks), tool(name)] + arguments,
                          environment: environment, directory: directory)
    }

    /// The tool alone (no launcher), with a clean environment.
    static func alone(_ name: String, _ arguments: [String], environment: [String: String] = [:], directory: String? = nil) throws -> Result {
        try launch(tool(name), arguments, environment: environment, directory: directory)
    }

    static func launch(_ executable: String, _ arguments: [String], environment: [String: String], directory: String?) throws -> Result {
        let process = Process()
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = cleanEnvironment(environment)
        process.standardInput = FileHandle.nullDevice
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let start = Date()
        try process.run()
        // Read both pipes concurrently so neither fills up and blocks the child.
        final class Box: @unchecked Sendable { var data = Data() }
        let stderrBox = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            stderrBox.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        let stderrData = stderrBox.data
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
                      stderr: String(decoding: stderrData, as: UTF8.self), seconds: Date().timeIntervalSince(start))
    }
}
