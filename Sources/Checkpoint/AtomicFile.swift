#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file so that it either appears complete or not at all: the content goes to a hidden
/// temporary sibling, which is fsynced and renamed over the target only after `body` succeeds.
public enum AtomicFile {
    /// Calls `body` with a temporary path in the target's directory, then publishes it as `path`.
    /// On any error (or if `body` throws) the temporary file is removed and the target is untouched.
    public static func write(to path: String, _ body: (String) throws -> Void) throws {
        let directory = parentDirectory(of: path)
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let temporary = directory + "/." + name + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        TemporaryFiles.register(temporary)
        defer { TemporaryFiles.unregister(temporary) }
        do {
            try body(temporary)
            try syncFile(temporary)
            guard rename(temporary, path) == 0 else {
                throw CheckpointError("cannot rename into place: \(String(cString: strerror(errno)))", file: path)
            }
            syncDirectory(directory)
        } catch {
            unlink(temporary)
            throw error
        }
    }

    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }

    private static func syncFile(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CheckpointError("cannot reopen for fsync: \(String(cString: strerror(errno)))", file: path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw CheckpointError("fsync failed: \(String(cString: strerror(errno)))", file: path) }
    }

    private static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}

/// Temporary files in flight, removed if the process is interrupted (SIGINT/SIGTERM) so a cancelled
/// conversion leaves nothing behind.
public enum TemporaryFiles {
    private static var paths = Set<String>()
    private static var installed = false
    private static let lock = NSLockLite()

    static func register(_ path: String) {
        lock.locked {
            paths.insert(path)
            if !installed {
                installed = true
                signal(SIGINT, cleanupAndExit)
                signal(SIGTERM, cleanupAndExit)
            }
        }
    }

    static func unregister(_ path: String) {
        lock.locked { _ = paths.remove(path) }
    }

    fileprivate static func removeAll() {
        for path in paths { unlink(path) }
    }
}

private func cleanupAndExit(_ signal: Int32) {
    TemporaryFiles.removeAll()
    _exit(128 + signal)
}

/// A minimal mutex (Foundation-free).
final class NSLockLite {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }
    func locked<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body()
    }
}
