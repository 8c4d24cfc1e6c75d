/// TorchScript archives (`torch.jit.save`) in `ckpt scan`.
///
/// `torch.load` hands a zip holding a `constants.pkl` record to `torch.jit.load` (`_is_torchscript_zip`),
/// whose C++ unpickler (torch/csrc/jit/serialization/unpickler.cpp, `Unpickler::readGlobal`) imports no
/// Python at all: it knows the `torch.jit._pickle` list builders and `restore_type_tag`, the tensor
/// rebuilds, `collections.OrderedDict`, `builtins.complex`, `torch.device` and storage names, and resolves
/// every other global as a TorchScript type compiled from the archive's own `code/` files — anything
/// else fails the load. So inside such an archive (only there) those globals, and `__torch__.*` classes the
/// archive's code defines, are rated safe; every other global is rated as anywhere else.
///
/// The code itself is TorchScript, compiled by `torch.jit.load` and run at load time by `__setstate__`
/// methods and later by `forward`. TorchScript reaches no Python, only registered operators; of torch's
/// own operators `save` (writes a pickle to a named file) and `from_file` reach files, torchvision's
/// `image::read_file`/`write_file` too, and an operator namespace torch does not define exists only if a
/// native library registered it. The scan flags those calls in `code/*.py` and does not vet the code
/// otherwise (a note on the report says so).
struct ScanTorchScript {
    /// Globals TorchScript's unpickler resolves itself (beyond the checkpoint allowlist).
    static let machinery: Set<String> = [
        "torch.jit._pickle.build_intlist", "torch.jit._pickle.build_tensorlist", "torch.jit._pickle.build_doublelist",
        "torch.jit._pickle.build_boollist", "torch.jit._pickle.build_tensor_from_id", "torch.jit._pickle.restore_type_tag",
        "torch._utils._rebuild_qtensor", "torch._utils._rebuild_sparse_tensor", "builtins.complex",
        "__main__.TensorID", "__main__.IntList",  // the pre-1.4 spellings of build_tensor_from_id / build_intlist
    ]
    /// Operator namespaces torch (and torchvision's compute kernels) register (`ops.NS.op` in serialized code).
    static let builtInNamespaces: Set<String> = ["aten", "prim", "quantized", "_quantized", "profiler", "_caffe2", "mkldnn", "prims", "quantized_decomposed", "torchvision"]
    /// Operators that reach a file by name or Python: `aten::save` (pickles a value to a file),
    /// `aten::from_file` (maps a file), torchvision's `image::read_file` / `write_file`, and the
    /// placeholders of Python calls (`prim::PythonOp`, `IgnoredPythonOp`).
    static let reachingOperators: Set<String> = ["save", "from_file", "read_file", "write_file", "PythonOp", "IgnoredPythonOp"]

    /// One `code/…​.py` member: its name, text (inflated: torch.jit.save deflates code) and where its
    /// bytes start in the scanned buffer (stored) or its local header (deflated).
    struct CodeFile { let name: String; let text: [UInt8]; let offset: Int; let inflated: Bool }
    /// Largest code member inflated for scanning.
    static let maxCodeBytes = 64 << 20

    /// `__torch__.a.b.C` for every `class C` defined in `ARCHIVE/code/__torch__/a/b.py`.
    private(set) var classes: Set<String> = []
    private(set) var codeFiles: [CodeFile] = []
    /// Code members that could not be read (compressed or outside the file).
    private(set) var unreadableCode: [String] = []

    /// The TorchScript view of a zip, or nil when it is no TorchScript archive (no `constants.pkl` record).
    init?(_ directory: ScanZipDirectory, _ bytes: UnsafeRawBufferPointer) {
        guard directory.members.contains(where: { $0.name == "constants.pkl" || $0.name.hasSuffix("/constants.pkl") }) else { return nil }
        for member in directory.members where member.name.hasSuffix(".py") {
            // `ARCHIVE/code/__torch__/a/b.py` (or `code/...` at the top): the module path after `code/`.
            let parts = member.name.split(separator: "/", omittingEmptySubsequences: false)
            guard let code = parts.firstIndex(of: "code"), code <= 1, code + 1 < parts.count else { continue }
            guard let range = try? directory.payload(of: member, in: bytes) else {
                unreadableCode.append(member.name)
                continue
            }
            let payload = UnsafeRawBufferPointer(rebasing: bytes[range])
            if member.method == 0 {
                codeFiles.append(CodeFile(name: member.name, text: Array(payload), offset: range.lowerBound, inflated: false))
            } else if member.method == 8, member.uncompressedSize <= ScanTorchScript.maxCodeBytes,
                      let text = try? ZipInflate.inflate(payload, size: member.uncompressedSize, crc: member.crc32, name: member.name, offset: member.localHeaderOffset) {
                codeFiles.append(CodeFile(name: member.name, text: text, offset: member.localHeaderOffset, inflated: true))
            } else {
                unreadableCode.append(member.name)
                continue
            }
            let text = codeFiles[codeFiles.count - 1].text
            let module = parts[(code + 1)...].joined(separator: ".").dropLast(3)
            for line in String(decoding: text, as: UTF8.self).split(separator: "\n") where line.hasPrefix("class ") {
                let name = line.dropFirst(6).prefix { $0.isLetter || $0.isNumber || $0 == "_" }
                if !name.isEmpty { classes.insert(module + "." + name) }
            }
        }
    }

    /// How a global is rated inside this archive; nil: as anywhere else.
    func rate(_ name: String) -> String? {
        if ScanTorchScript.machinery.contains(name) { return "TorchScript unpickler builtin" }
        if name.hasPrefix("__torch__."), classes.contains(name) { return "TorchScript class defined in the archive's code/" }
        return nil
    }

    /// Calls in the code that reach a file, Python or a native library: (what, where, byte offset: in the
    /// scanned buffer for a stored member, in the inflated text for a deflated one).
    func dangerousCalls() -> [(what: String, file: String, offset: Int)] {
        var found: [(String, String, Int)] = []
        for file in codeFiles {
            let name = file.inflated ? file.name + " (inflated)" : file.name
            for (position, token) in ScanTorchScript.identifierChains(file.text) {
                let parts = token.split(separator: ".").map(String.init)
                guard parts.first == "torch" || parts.first == "ops", let last = parts.last else { continue }
                if ScanTorchScript.reachingOperators.contains(last) {
                    found.append(("TorchScript code calls \(token) (reaches a file or Python)", name, (file.inflated ? 0 : file.offset) + position))
                } else if let ops = parts.firstIndex(of: "ops"), ops + 2 < parts.count, !ScanTorchScript.builtInNamespaces.contains(parts[ops + 1]) {
                    found.append(("TorchScript code calls operator \(token) outside torch's namespaces (registered by a native library)", name, (file.inflated ? 0 : file.offset) + position))
                }
            }
        }
        return found
    }

    /// Dotted identifier chains (`torch.ops.aten.add`, `ops.prim.NumToTensor`) with their byte offsets.
    private static func identifierChains(_ text: [UInt8]) -> [(Int, String)] {
        func isWord(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F }
        var out: [(Int, String)] = []
        var index = 0
        while index < text.count {
            guard isWord(text[index]), index == 0 || (!isWord(text[index - 1]) && text[index - 1] != 0x2E) else { index += 1; continue }
            let start = index
            while index < text.count, isWord(text[index]) || (text[index] == 0x2E && index + 1 < text.count && isWord(text[index + 1])) { index += 1 }
            let token = String(decoding: text[start..<index], as: UTF8.self)
            if token.contains(".") { out.append((start, token)) }
        }
        return out
    }
}
