import CHDF5

/// A sacrificial pass over the file in a forked child process before the reader parses it in process
/// (see `Sources/CHDF5/preflight.h`). libhdf5 1.10 crashes or loops on some malformed metadata
/// (corrupt global-heap string lengths, attribute tables, chunk indexes); the child touches, through
/// libhdf5, every object header, link, string attribute, dataset type/shape/creation properties and
/// chunk index, and the data of non-contiguous datasets up to `dataBudget` bytes, under an
/// address-space cap. If it dies or hangs, the file is refused instead of taking the caller down.
///
/// Variable-length strings are different: libhdf5 follows their global-heap references without
/// bounds checks, and whether such a wild read faults depends on the process's memory layout, so the
/// child surviving one proves nothing for the parent. The child therefore sends the values of every
/// variable-length string attribute back (`HDF5PreflightStrings`), and the reader uses those instead
/// of reading such attributes in process.
///
/// Not covered: reading chunked data past the budget (decompression happens in process later).
/// Where no child can be run (`fork` or `pipe` fails), the file is refused.
public enum HDF5Preflight {
    /// How long the child may take (a `var` so tests and the fuzz harness, whose libFuzzer timeout is
    /// 10 s, can shorten it). Set it only while no HDF5 file is being read.
    nonisolated(unsafe) public static var timeoutMilliseconds = 30_000
    static let dataBudget = 256 << 20
    /// Fuzzing only (`scripts/fuzz.sh hdf5-inprocess`): run the pre-pass walk in this process instead of a
    /// forked child, so an input costs no fork. A libhdf5 fault then takes the process down — libFuzzer's
    /// fork mode records it and goes on; each such input is replayed afterwards through the normal,
    /// forked reader, which must refuse it cleanly. Set it only while no HDF5 file is being read.
    nonisolated(unsafe) public static var inProcess = false

    /// Runs the child over `path` and returns the variable-length string attribute values it read;
    /// throws when it could not get through the file. Caller holds the `HDF5Library` lock, so no other
    /// thread is inside libhdf5 when the child is forked.
    static func check(path: String) throws -> HDF5PreflightStrings {
        var output = shim_preflight_output()
        defer { shim_preflight_output_free(&output) }
        let outcome = inProcess ? shim_preflight_in_process(path, dataBudget, &output)
            : shim_preflight_in_child(path, dataBudget, timeoutMilliseconds, &output)
        switch outcome {
        case 0:
            let report = try HDF5PreflightStrings(parsing: UnsafeRawBufferPointer(start: output.bytes, count: output.length))
            if let refusal = report.malformedHeader {
                throw CheckpointError("object header: \(refusal.text); refused before libhdf5 read it (libhdf5 1.10 does not check it)",
                                      offset: refusal.offset)
            }
            return report
        case -1:
            throw CheckpointError("cannot start the sandboxed libhdf5 pre-pass (fork or pipe failed); refused")
        case -2:
            throw CheckpointError("libhdf5 did not finish parsing the file within \(timeoutMilliseconds / 1000) s (malformed or pathological); refused")
        case -3:
            throw CheckpointError("libhdf5 exited abnormally while parsing the file (malformed); refused")
        case -4:
            throw CheckpointError("the sandboxed libhdf5 pre-pass reported more than \(shim_preflight_max_output()) bytes of string attributes; refused")
        default:
            throw CheckpointError("libhdf5 crashed (signal \(outcome)) while parsing the file, which is malformed; refused (caught by a sandboxed pre-pass)")
        }
    }
}

/// The values of the file's variable-length string attributes as read by the pre-pass child, by
/// object (header address, `HDF5Walk.objectIdentity`) and attribute name. Parsed from the child's
/// records (layout in `preflight.h`); a malformed report is an error, never a crash.
struct HDF5PreflightStrings {
    enum Value: Equatable {
        case strings([String])
        /// libhdf5 failed to read the attribute in the child.
        case unreadable
        /// More strings or bytes than `HDF5Attributes` allows.
        case tooLarge
    }

    private var values: [UInt64: [String: Value]] = [:]
    /// The child walked the whole file (else objects past where it stopped have no entries).
    private(set) var complete = false
    /// The child stopped reporting at its output budget (later attributes have no entries).
    private(set) var exhausted = false
    /// An object header the child's own check refused before libhdf5 decoded its attribute messages
    /// (`preflight_headers.h`): absolute byte offset and what is wrong.
    private(set) var malformedHeader: (offset: Int, text: String)?

    init(parsing report: UnsafeRawBufferPointer) throws {
        var reader = Reader(bytes: report)
        while !reader.atEnd {
            let tag = Int32(bitPattern: try reader.u32())
            switch tag {
            case SHIM_PREFLIGHT_STRINGS, SHIM_PREFLIGHT_UNREADABLE, SHIM_PREFLIGHT_TOO_LARGE:
                let key = try reader.u64()
                let name = try reader.string(maxLength: Int(SHIM_PREFLIGHT_MAX_NAME))
                var value = Value.unreadable
                if tag == SHIM_PREFLIGHT_TOO_LARGE { value = .tooLarge }
                if tag == SHIM_PREFLIGHT_STRINGS {
                    let count = Int(try reader.u32())
                    guard count <= Int(SHIM_PREFLIGHT_MAX_STRINGS) else { throw Reader.malformed }
                    var strings: [String] = []
                    strings.reserveCapacity(count)
                    for _ in 0..<count { strings.append(try reader.string(maxLength: Int(shim_preflight_max_attribute_bytes()))) }
                    value = .strings(strings)
                }
                values[key, default: [:]][name] = value
            case SHIM_PREFLIGHT_MALFORMED:
                let offset = try reader.u64()
                let text = try reader.string(maxLength: 256)
                guard reader.atEnd, offset <= UInt64(Int.max) else { throw Reader.malformed }
                malformedHeader = (Int(offset), text)
            case SHIM_PREFLIGHT_EXHAUSTED:
                exhausted = true
            case SHIM_PREFLIGHT_END:
                guard reader.atEnd else { throw Reader.malformed }
                complete = true
            default:
                throw Reader.malformed
            }
        }
    }

    /// What the child read for attribute `name` of the object with identity `object`; nil when it
    /// reported nothing (not reached, or past its output budget).
    func value(object: UInt64, attribute name: String) -> Value? { values[object]?[name] }

    /// Why an attribute has no entry, for error messages.
    var missingReason: String {
        exhausted ? "its report reached its \(shim_preflight_max_output()) byte limit"
            : complete ? "it did not report the attribute" : "it did not get through the file"
    }

    /// Bounds-checked reading of the child's records.
    private struct Reader {
        static let malformed = CheckpointError("the sandboxed libhdf5 pre-pass sent a malformed report; refused")
        let bytes: UnsafeRawBufferPointer
        var offset = 0
        var atEnd: Bool { offset >= bytes.count }

        mutating func take(_ count: Int) throws -> UnsafeRawBufferPointer {
            guard count >= 0, count <= bytes.count - offset else { throw Reader.malformed }
            defer { offset += count }
            return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
        }
        mutating func u32() throws -> UInt32 { try take(4).loadUnaligned(as: UInt32.self) }
        mutating func u64() throws -> UInt64 { try take(8).loadUnaligned(as: UInt64.self) }
        mutating func string(maxLength: Int) throws -> String {
            let length = Int(try u32())
            guard length <= maxLength else { throw Reader.malformed }
            return String(decoding: try take(length), as: UTF8.self)
        }
    }
}
