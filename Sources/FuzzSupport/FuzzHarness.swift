#if canImport(Glibc)
import Glibc
#endif
import Checkpoint

/// Shared body of the libFuzzer targets: write the input to a tmpfs file, open it with one reader,
/// then read every tensor (dense gather, checksum) so lazy paths run too. Any `CheckpointError` is an
/// expected outcome; a crash, trap, hang or sanitizer report is a bug.
public enum FuzzHarness {
    private static let scratch = "/dev/shm/ditport-fuzz-\(getpid())"

    /// Runs one input through `format`'s reader.
    public static func run(_ data: UnsafeRawBufferPointer, format: CheckpointFormat) {
        let fd = open(scratch, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { return }
        if data.count > 0 { _ = write(fd, data.baseAddress!, data.count) }
        close(fd)
        exercise(path: scratch, format: format)
    }

    /// Opens `path` as `format` and reads every tensor; returns the error text, if any.
    @discardableResult
    public static func exercise(path: String, format: CheckpointFormat) -> String? {
        do {
            let checkpoint = try Checkpoint(path: path, as: format)
            for entry in checkpoint.root.flattenedTensors() {
                _ = try entry.tensor.checksum()
            }
            _ = try? checkpoint.tensors()
            return nil
        } catch {
            return "\(error)"
        }
    }

    #if FUZZING
    nonisolated(unsafe) private static var fuzzFormat: CheckpointFormat = .safetensors

    /// Hands control to libFuzzer's driver (the binary is built with `-sanitize=fuzzer,address`).
    public static func runLibFuzzer(format: CheckpointFormat) -> Never {
        fuzzFormat = format
        // A file that makes libhdf5 loop is refused when the HDF5 pre-pass times out; keep that well
        // under libFuzzer's -timeout=10 so it is an ordinary error, not a reported hang.
        HDF5Preflight.timeoutMilliseconds = 3_000
        // scripts/fuzz.sh hdf5-inprocess: the HDF5 pre-pass runs in process (no fork per input).
        HDF5Preflight.inProcess = getenv("DITPORT_FUZZ_HDF5_IN_PROCESS").map { String(cString: $0) == "1" } ?? false
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        let status = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            FuzzHarness.run(UnsafeRawBufferPointer(start: data, count: size), format: FuzzHarness.fuzzFormat)
            return 0
        }
        exit(status)
    }
    #endif

    /// Without libFuzzer: replays the files named on the command line (crash reproduction).
    public static func replay(_ arguments: [String], format: CheckpointFormat) {
        for path in arguments.dropFirst() {
            print("\(path): \(exercise(path: path, format: format) ?? "ok")")
        }
    }
}

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32
#endif
