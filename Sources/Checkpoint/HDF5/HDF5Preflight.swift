import CHDF5

/// A sacrificial pass over the file in a forked child process before the reader parses it in process
/// (see `Sources/CHDF5/preflight.h`). libhdf5 1.10 crashes or loops on some malformed metadata
/// (corrupt global-heap string lengths, attribute tables, chunk indexes); the child touches, through
/// libhdf5, every object header, link, string attribute, dataset type/shape/creation properties and
/// chunk index, and the data of non-contiguous datasets up to `dataBudget` bytes, under an
/// address-space cap. If it dies or hangs, the file is refused instead of taking the caller down.
///
/// Not covered: reading chunked data past the budget (decompression happens in process later), and
/// systems where `fork` fails (the file is then parsed in process without the guard).
enum HDF5Preflight {
    /// How long the child may take (a `var` so tests can shorten it).
    nonisolated(unsafe) static var timeoutMilliseconds = 30_000
    static let dataBudget = 256 << 20

    /// Throws when the child could not get through the file. Caller holds the `HDF5Library` lock, so
    /// no other thread is inside libhdf5 when the child is forked.
    static func check(path: String) throws {
        let outcome = shim_preflight_in_child(path, dataBudget, timeoutMilliseconds)
        switch outcome {
        case 0, -1:
            return
        case -2:
            throw CheckpointError("libhdf5 did not finish parsing the file within \(timeoutMilliseconds / 1000) s (malformed or pathological); refused")
        case -3:
            throw CheckpointError("libhdf5 exited abnormally while parsing the file (malformed); refused")
        default:
            throw CheckpointError("libhdf5 crashed (signal \(outcome)) while parsing the file, which is malformed; refused (caught by a sandboxed pre-pass)")
        }
    }
}
