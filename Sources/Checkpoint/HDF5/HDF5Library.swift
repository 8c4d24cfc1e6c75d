#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CHDF5

/// Process-wide access to libhdf5. The library (a serial, non-thread-safe build) is initialised once,
/// with its error printing silenced and filter-plugin loading disabled, and every call into it goes
/// through one recursive lock (recursive because an HDF5 tensor can be read while an HDF5 file is
/// being written).
enum HDF5Library {
    private static let mutex: UnsafeMutablePointer<pthread_mutex_t> = {
        let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_RECURSIVE))
        pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
        return mutex
    }()

    private static let initialised: Bool = {
        guard H5open() >= 0 else { return false }
        shim_H5_silence_errors()
        return shim_disable_plugins() >= 0
    }()

    /// Runs `body` holding the libhdf5 lock, after making sure the library is initialised.
    static func serialized<R>(_ body: () throws -> R) throws -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard initialised else { throw CheckpointError("libhdf5 failed to initialise") }
        return try body()
    }

    /// Like `serialized`, for cleanup paths that cannot throw.
    static func serializedNoThrow(_ body: () -> Void) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        body()
    }

    /// The linked libhdf5's version, e.g. `1.10.8`.
    static var version: String {
        var major: UInt32 = 0, minor: UInt32 = 0, release: UInt32 = 0
        guard H5get_libversion(&major, &minor, &release) >= 0 else { return "unknown" }
        return "\(major).\(minor).\(release)"
    }

    /// An error for a failed libhdf5 call, with libhdf5's own innermost message appended when it has one.
    static func failure(_ message: String, tensor: String? = nil, offset: Int? = nil) -> CheckpointError {
        var text = [CChar](repeating: 0, count: 512)
        shim_last_error(&text, text.count)
        let detail = String(cString: text)
        return CheckpointError(detail.isEmpty ? message : "\(message) (libhdf5: \(detail))", tensor: tensor, offset: offset)
    }
}

/// An open libhdf5 identifier, closed (under the library lock) when the handle goes away.
final class HDF5Handle {
    let id: hid_t
    private let close: (hid_t) -> herr_t

    private init(id: hid_t, close: @escaping (hid_t) -> herr_t) {
        self.id = id
        self.close = close
    }

    /// Wraps the result of a libhdf5 open/create call; a negative id becomes `failure(message)`.
    static func check(_ id: hid_t, close: @escaping (hid_t) -> herr_t, _ message: @autoclosure () -> String,
                      tensor: String? = nil) throws -> HDF5Handle {
        guard id >= 0 else { throw HDF5Library.failure(message(), tensor: tensor) }
        return HDF5Handle(id: id, close: close)
    }

    deinit {
        let (id, close) = (self.id, self.close)
        HDF5Library.serializedNoThrow { _ = close(id) }
    }
}

/// Throws `HDF5Library.failure(message)` when a libhdf5 status (`herr_t`, `htri_t`, `ssize_t`) is negative.
@discardableResult
func checkHDF5<T: BinaryInteger>(_ status: T, _ message: @autoclosure () -> String, tensor: String? = nil) throws -> T {
    guard status >= 0 else { throw HDF5Library.failure(message(), tensor: tensor) }
    return status
}

/// `H5P_DEFAULT` as an `hid_t` (Swift imports the macro as `Int32`).
let hdf5DefaultList = hid_t(H5P_DEFAULT)
/// `H5S_ALL` as an `hid_t`.
let hdf5AllElements = hid_t(H5S_ALL)
