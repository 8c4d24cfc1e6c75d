/// `ckpt scan`: a safety verdict for a file, without executing anything. Every pickle the file holds is
/// found — all zip members (also nested zips), every stacked pickle of a legacy file or bare pickle
/// stream, pickles after STOP, numpy object arrays, archives nested as bytes — and every global they
/// name is rated (`ScanGlobalClassifier`). Tricks that make readers disagree (frame straddles, duplicate
/// zip members, encrypted members, polyglots) are findings too.
public enum CheckpointScanner {
    public enum Severity: String, Comparable, Sendable {
        case safe, unreadable, dangerous
        private var rank: Int { self == .safe ? 0 : (self == .unreadable ? 1 : 2) }
        public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
    }

    public struct Finding: Sendable {
        public let severity: Severity
        /// `global os.system`, `duplicate zip member ...`, an error message.
        public let what: String
        /// Where: zip member / nested archive path and absolute byte offset.
        public let location: String
    }

    public struct Report: Sendable {
        public let path: String
        public let format: String
        public var findings: [Finding] = []
        public var pickles = 0
        /// What the verdict does not cover (e.g. TorchScript code that was not executed or vetted).
        public var notes: [String] = []
        public var verdict: Severity { findings.map(\.severity).max() ?? .safe }
    }

    static let maxDepth = 4

    /// Scans the file at `path`. Never throws: a file that cannot be read is an `unreadable` finding.
    public static func scan(path: String) -> Report {
        do {
            let file = try MappedFile(path: path)
            let bytes = file.all
            let detected = (try? CheckpointFormat.detect(UnsafeRawBufferPointer(rebasing: bytes[0..<min(bytes.count, 4104)])))?.rawValue
            let isNumpy = bytes.count >= 6 && Array(bytes[0..<6]) == NumpyFileReader.magic
            let format = detected ?? (isNumpy ? "numpy" : "other")
            var scanner = Walk()
            scanner.buffer(bytes, base: 0, label: "", depth: 0)
            return Report(path: path, format: format, findings: scanner.findings, pickles: scanner.pickles, notes: scanner.notes)
        } catch {
            return Report(path: path, format: "unknown", findings: [Finding(severity: .unreadable, what: "\(error)", location: "")])
        }
    }

    /// One scan's state: findings so far and the number of pickles read.
    struct Walk {
        var findings: [Finding] = []
        var pickles = 0
        var notes: [String] = []
        private var seenGlobals = Set<String>()
        /// The TorchScript archive whose members are being scanned (its globals rate differently).
        private var torchScript: ScanTorchScript?

        mutating func add(_ severity: Severity, _ what: String, _ label: String, _ offset: Int?) {
            let location = [label.isEmpty ? nil : label, offset.map { "byte \($0)" }].compactMap { $0 }.joined(separator: " ")
            findings.append(Finding(severity: severity, what: what, location: location))
        }

        /// Scans a whole buffer (a file, a zip member, nested bytes) according to its leading bytes.
        mutating func buffer(_ bytes: UnsafeRawBufferPointer, base: Int, label: String, depth: Int) {
            guard depth <= CheckpointScanner.maxDepth else { return add(.unreadable, "archives nested deeper than \(CheckpointScanner.maxDepth) levels", label, base) }
            guard !bytes.isEmpty else { return }  // an empty file holds nothing to load
            let isZipStart = bytes.count >= 4 && bytes[0] == 0x50 && bytes[1] == 0x4B && bytes[2] == 0x03 && bytes[3] == 0x04
            let directory: ScanZipDirectory?
            do { directory = try ScanZipDirectory.read(bytes) } catch {
                directory = nil
                if isZipStart { add(.unreadable, "zip directory: \(error)", label, base) }
            }
            if let directory, !isZipStart {
                add(.dangerous, "polyglot: the file also ends with a zip archive (a zip reader sees other content)", label, base + directory.endRecordOffset)
            }
            if let directory { zip(directory, bytes, base: base, label: label, depth: depth) }
            if isZipStart { return }
            if bytes.count >= 6, Array(bytes[0..<6]) == NumpyFileReader.magic { return npy(bytes, base: base, label: label, depth: depth) }
            let format = try? CheckpointFormat.detect(UnsafeRawBufferPointer(rebasing: bytes[0..<min(bytes.count, 4104)]))
            switch format {
            case .torchLegacy?: pickleStream(bytes, base: base, label: label, depth: depth, maxPickles: 5)
            case .pickle?: pickleStream(bytes, base: base, label: label, depth: depth, maxPickles: 64)
            case .safetensors?, .hdf5?, .mindspore?: break  // no pickles in these formats
            default: break  // not a checkpoint container: nothing torch or pickle would load (Report.format "other")
            }
        }

        private mutating func zip(_ directory: ScanZipDirectory, _ bytes: UnsafeRawBufferPointer, base: Int, label: String, depth: Int) {
            var seen = Set<String>()
            // Outside a torch archive (no data.pkl), any stored member that opens with PROTO 2-5 is scanned as
            // a pickle whatever its name (a `data.txt` a custom loader unpickles). Inside one, tensor records
            // are raw bytes that may start with 0x80 by chance, and torch.load unpickles only `*.pkl`.
            let isTorchArchive = directory.members.contains { $0.name == "data.pkl" || $0.name.hasSuffix("/data.pkl") }
            let outer = torchScript
            torchScript = ScanTorchScript(directory, bytes)
            defer { torchScript = outer }
            if let script = torchScript { torchScriptCode(script, bytes, base: base, label: label) }
            for member in directory.members {
                let name = label.isEmpty ? member.name : label + "/" + member.name
                if !seen.insert(member.name).inserted {
                    add(.dangerous, "duplicate zip member '\(member.name.prefix(120))' (torch.load reads the last one, other readers the first)", label, base + member.localHeaderOffset)
                }
                if member.flags & 0x1 != 0 { add(.dangerous, "encrypted zip member '\(member.name.prefix(120))' (its content cannot be checked)", label, base + member.localHeaderOffset) }
                if member.flags & ~0x080E != 0 { add(.dangerous, "zip member '\(member.name.prefix(120))' has unusual flag bits 0x\(String(member.flags, radix: 16))", label, base + member.localHeaderOffset) }
                let range: Range<Int>
                do { range = try directory.payload(of: member, in: bytes) } catch {
                    add(.unreadable, "\(error)", name, base + member.localHeaderOffset)
                    continue
                }
                let payload = UnsafeRawBufferPointer(rebasing: bytes[range])
                // torch.load unpickles `*.pkl` members; tensor records (data/N) are raw bytes, never unpickled.
                let opensWithProto = member.method == 0 && payload.count >= 2 && payload[0] == 0x80 && (2...5).contains(payload[1])
                let looksPickled = member.name.hasSuffix(".pkl") || member.name.hasSuffix(".pickle") || (!isTorchArchive && opensWithProto)
                let looksNested = member.name.hasSuffix(".npy") || (payload.count >= 4 && payload[0] == 0x50 && payload[1] == 0x4B)
                guard looksPickled || looksNested else { continue }
                guard member.method == 0 else {
                    inflated(member, payload, name: name, base: base, label: label, depth: depth, pickled: looksPickled)
                    continue
                }
                if looksNested && !looksPickled {
                    buffer(payload, base: base + range.lowerBound, label: name, depth: depth + 1)
                } else {
                    pickleStream(payload, base: base + range.lowerBound, label: name, depth: depth, maxPickles: 64)
                }
            }
        }

        /// Largest deflated member inflated for scanning (a `np.savez_compressed` object array or a
        /// compressed `.pkl`); larger ones are reported unreadable rather than held in memory.
        static let maxInflatedBytes = 1 << 30

        /// Scans a deflated member after inflating it (bounded, exact size, CRC-checked). Offsets inside
        /// it are member-relative: the location reads `MEMBER (inflated) byte N`.
        private mutating func inflated(_ member: ScanZipDirectory.Member, _ payload: UnsafeRawBufferPointer, name: String,
                                       base: Int, label: String, depth: Int, pickled: Bool) {
            let shown = member.name.prefix(120)
            guard member.method == 8, member.uncompressedSize <= Walk.maxInflatedBytes else {
                let why = member.method == 8 ? "inflates to \(member.uncompressedSize) bytes, over the scan limit" : "uses method \(member.method)"
                return add(.unreadable, "compressed zip member '\(shown)' \(why); not inflated for scanning", label, base + member.localHeaderOffset)
            }
            let bytes: [UInt8]
            do {
                bytes = try ZipInflate.inflate(payload, size: member.uncompressedSize, crc: member.crc32, name: String(shown), offset: base + member.localHeaderOffset)
            } catch {
                return add(.unreadable, (error as? CheckpointError)?.message ?? "\(error)", label, base + member.localHeaderOffset)
            }
            bytes.withUnsafeBytes { raw in
                if pickled {
                    pickleStream(raw, base: 0, label: name + " (inflated)", depth: depth, maxPickles: 64)
                } else {
                    buffer(raw, base: 0, label: name + " (inflated)", depth: depth + 1)
                }
            }
        }

        private mutating func npy(_ bytes: UnsafeRawBufferPointer, base: Int, label: String, depth: Int) {
            do {
                let header = try NumpyFileReader.parseHeader(bytes)
                guard header.descr.contains("O") else { return }
                add(.dangerous, "numpy object array (its data is a pickle np.load runs with allow_pickle=True)", label, base)
                pickleStream(UnsafeRawBufferPointer(rebasing: bytes[header.dataOffset...]), base: base + header.dataOffset, label: label, depth: depth, maxPickles: 64)
            } catch {
                add(.unreadable, "npy header: \((error as? CheckpointError)?.message ?? "\(error)")", label, base)
            }
        }

        /// Pickles one after another from the start of `bytes` (legacy torch: five, then raw data).
        private mutating func pickleStream(_ bytes: UnsafeRawBufferPointer, base: Int, label: String, depth: Int, maxPickles: Int) {
            var cursor = 0
            var count = 0
            while cursor < bytes.count, count < maxPickles {
                if count > 0 {
                    let next = bytes[cursor]
                    guard next == 0x80 || Array("(}])cdl".utf8).contains(next) else {
                        if maxPickles > 5 { add(.unreadable, "\(bytes.count - cursor) bytes after STOP that are not a pickle", label, base + cursor) }
                        return
                    }
                    if maxPickles > 5 { add(.dangerous, "a second pickle after STOP (pickle.load of the stream reads it next)", label, base + cursor) }
                }
                guard let end = pickle(UnsafeRawBufferPointer(rebasing: bytes[cursor...]), base: base + cursor, label: label, depth: depth) else { return }
                count += 1
                cursor = end - base
            }
        }

        /// One pickle: a frame-exact opcode walk (text globals, STACK_GLOBAL count) and a run of the data
        /// VM with inert semantics (resolves STACK_GLOBAL, finds nested archives). Returns the end offset.
        private mutating func pickle(_ bytes: UnsafeRawBufferPointer, base: Int, label: String, depth: Int) -> Int? {
            pickles += 1
            var walked = PickleOpcodeWalker.Result()
            var walkError: CheckpointError?
            do { try PickleOpcodeWalker.walk(bytes, baseOffset: base, into: &walked) } catch {
                walkError = error as? CheckpointError ?? CheckpointError("\(error)")
            }
            let semantics = ScanSemantics()
            var vmFailed = false
            do { _ = try Unpickler.load(bytes, baseOffset: base, semantics: semantics) { _, end in end } } catch { vmFailed = true }
            var named: [(String, Int)] = walked.textGlobals.map { ($0.name, $0.offset) }
            named += semantics.globals.filter { g in !walked.textGlobals.contains { $0.offset == g.offset } }.map { ($0.name, $0.offset) }
            for (name, offset) in named { global(name, label: label, offset: offset) }
            let resolved = semantics.globals.count - walked.textGlobals.filter { t in semantics.globals.contains { $0.offset == t.offset } }.count
            if walked.stackGlobals > resolved {
                add(.dangerous, "\(walked.stackGlobals - resolved) STACK_GLOBAL(s) whose name could not be resolved without executing", label, base)
            }
            if walked.extensionCodes > 0 {
                add(.dangerous, "\(walked.extensionCodes) copyreg extension code(s) (EXT1/2/4 name a registered global)", label, base)
            }
            for nested in semantics.nestedArchives {
                nested.withUnsafeBytes { buffer($0, base: 0, label: (label.isEmpty ? "" : label + "/") + "nested bytes", depth: depth + 1) }
            }
            if let walkError {
                let frameTrick = walkError.message.contains("FRAME")
                add(frameTrick ? .dangerous : .unreadable, (frameTrick ? "frame trick (CPython's unpicklers read this pickle differently): " : "") + walkError.message, label, walkError.offset)
                return nil
            }
            _ = vmFailed
            return walked.end
        }

        /// A TorchScript archive's code: calls that reach files, Python or native libraries are dangerous;
        /// the rest is not vetted, which the report's note says.
        private mutating func torchScriptCode(_ script: ScanTorchScript, _ bytes: UnsafeRawBufferPointer, base: Int, label: String) {
            for call in script.dangerousCalls() {
                let inflated = call.file.hasSuffix(" (inflated)")
                add(.dangerous, call.what, label.isEmpty ? call.file : label + "/" + call.file, (inflated ? 0 : base) + call.offset)
            }
            for name in script.unreadableCode {
                add(.unreadable, "TorchScript code member '\(name.prefix(120))' could not be read or inflated; not checked", label, nil)
            }
            notes.append("TorchScript archive\(label.isEmpty ? "" : " '\(label)'") (torch.load hands it to torch.jit.load, whose unpickler imports no Python): "
                + "its \(script.codeFiles.count) code file(s) were not executed or vetted beyond calls that reach files, Python or native libraries")
        }

        private mutating func global(_ name: String, label: String, offset: Int) {
            if let reason = torchScript?.rate(name) {
                let key = "\(label)|\(name)|torchscript"
                if seenGlobals.insert(key).inserted { add(.safe, "global \(name.prefix(200)) (\(reason))", label, offset) }
                return
            }
            let (rating, reason) = ScanGlobalClassifier.rate(name)
            let key = "\(label)|\(name)|\(rating)"
            guard seenGlobals.insert(key).inserted || rating == .dangerous else { return }
            add(rating == .safe ? .safe : .dangerous, "global \(name.prefix(200)) (\(reason))", label, offset)
        }
    }
}

/// Inert semantics for scanning: every global is recorded and becomes a symbol, every call an opaque
/// value; `_codecs.encode` is decoded (protocol 2 carries bytes that way) so that bytes handed to
/// `torch.storage._load_from_bytes` can be scanned as a nested archive. Nothing is ever called.
final class ScanSemantics: UnpicklerSemantics {
    private(set) var globals: [(name: String, offset: Int)] = []
    private(set) var nestedArchives: [[UInt8]] = []

    func global(module: String, name: String, offset: Int) throws -> UnpickledValue {
        globals.append((module + "." + name, offset))
        return .global(UnpickledGlobal(module: module, name: name))
    }

    func reduce(_ callable: UnpickledValue, _ args: UnpickledTuple, offset: Int) throws -> UnpickledValue {
        if case .global(let g) = callable {
            if g.fullName == "_codecs.encode", let bytes = try? TorchPickleSemantics.latin1Bytes(args, offset: offset) { return bytes }
            if g.fullName == "torch.storage._load_from_bytes", let nested = args.items.first?.byteContents { nestedArchives.append(nested) }
            // Containers keep their type so that the SETITEMS / ADDITEMS after them still run.
            if g.fullName == "collections.OrderedDict" { return .dict(UnpickledDict(offset: offset)) }
            if g.fullName == "builtins.set" || g.fullName == "builtins.frozenset" { return .set(UnpickledSet(offset: offset)) }
        }
        return .custom(ScanOpaque(offset: offset))
    }

    func newObject(_ cls: UnpickledValue, _ args: UnpickledTuple, offset: Int) throws -> UnpickledValue { .custom(ScanOpaque(offset: offset)) }
    func build(_ target: UnpickledValue, state: UnpickledValue, offset: Int) throws -> UnpickledValue { target }
    func persistentLoad(_ pid: UnpickledValue, offset: Int) throws -> UnpickledValue { .custom(ScanOpaque(offset: offset)) }
}

/// The result of a call the scanner did not make.
final class ScanOpaque: UnpickledCustom {
    let offset: Int
    init(offset: Int) { self.offset = offset }
    var typeName: String { "object" }
    var childValues: [UnpickledValue] { [] }
    func releaseChildren() {}
}
