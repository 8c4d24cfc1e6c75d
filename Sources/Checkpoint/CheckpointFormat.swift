/// The on-disk formats this package reads and writes.
public enum CheckpointFormat: String, CaseIterable, Sendable {
    /// PyTorch ≥ 1.6 `torch.save` zip archive (`.pt`, `.pth`, `.bin`).
    case torchZip = "torch-zip"
    /// PyTorch < 1.6 pickle stream (magic 0x1950a86a20f9469cfc6c).
    case torchLegacy = "torch-legacy"
    /// MindSpore `.ckpt` protobuf stream.
    case mindspore
    /// HuggingFace safetensors.
    case safetensors
    /// HDF5 (h5py flat files, Keras weight files).
    case hdf5
    /// numpy `.npy` (one array; `np.save`).
    case numpy
    /// numpy `.npz` (a zip of `.npy` members; `np.savez`, `np.savez_compressed`); read only here.
    case numpyArchive = "npz"
    /// A bare pickle (`pickle.dump` of a state dict of numpy arrays, `.pkl`); read only.
    case pickle

    /// The format implied by a file name's extension, for choosing a writer (reading always sniffs bytes).
    public static func forWriting(path: String) -> CheckpointFormat? {
        let lower = path.lowercased()
        if lower.hasSuffix(".ckpt") { return .mindspore }
        if lower.hasSuffix(".safetensors") { return .safetensors }
        if lower.hasSuffix(".h5") || lower.hasSuffix(".hdf5") { return .hdf5 }
        if lower.hasSuffix(".pt") || lower.hasSuffix(".pth") || lower.hasSuffix(".bin") { return .torchZip }
        if lower.hasSuffix(".npy") { return .numpy }
        return nil
    }

    /// Identifies the format from the leading bytes; throws a clear refusal for formats recognised but
    /// not supported (TorchScript is decided later, by the zip reader).
    public static func detect(_ bytes: UnsafeRawBufferPointer) throws -> CheckpointFormat {
        func starts(with magic: [UInt8], at offset: Int = 0) -> Bool {
            guard bytes.count >= offset + magic.count else { return false }
            return zip(magic.indices, magic).allSatisfy { bytes[offset + $0] == $1 }
        }
        guard bytes.count > 0 else { throw CheckpointError("empty file") }
        if starts(with: Array("PK\u{03}\u{04}".utf8)) {
            // np.savez's members are `KEY.npy` (a key may hold `/`: `np.savez(f, **{"a/b": x})` writes
            // `a/b.npy`, which np.load lists as `a/b`); torch.save's first member is `ARCHIVE/data.pkl`
            // and no torch archive member ends in `.npy`.
            let nameLength = bytes.count >= 28 ? Int(bytes[26]) | Int(bytes[27]) << 8 : 0
            if nameLength > 4, bytes.count >= 30 + nameLength,
               bytes[(30 + nameLength - 4)..<(30 + nameLength)].elementsEqual(".npy".utf8) {
                return .numpyArchive
            }
            return .torchZip
        }
        if starts(with: Array("PK\u{05}\u{06}".utf8)) { return .torchZip }
        if starts(with: NumpyFileReader.magic) { return .numpy }
        if starts(with: Array("PYTORCH1".utf8)) {
            throw CheckpointError("unsupported archive format from the PyTorch preview release (PYTORCH1)")
        }
        // Legacy torch: the magic number 0x1950a86a20f9469cfc6c as LONG1 after PROTO 2-5 (and, from
        // protocol 4, a FRAME), or as protocol 0/1 LONG text `L119547037146038801333356L\n`.
        let magicLong1: [UInt8] = [0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
        if bytes.count >= 2, bytes[0] == 0x80, (2...5).contains(bytes[1]) {
            if starts(with: magicLong1, at: 2) || (bytes.count > 2 && bytes[2] == 0x95 && starts(with: magicLong1, at: 11)) { return .torchLegacy }
        }
        if starts(with: Array("L119547037146038801333356L\n".utf8)) { return .torchLegacy }
        for offset in [0, 512, 1024, 2048, 4096] where starts(with: [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A], at: offset) {
            return .hdf5
        }
        if starts(with: Array("ustar".utf8), at: 257) {
            throw CheckpointError("legacy PyTorch tar archive (pre-2017 torch.save); refused, as torch.load(weights_only=True) does")
        }
        if bytes.count >= 4 {
            let magic = UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24
            if [0x7F3A_5ED8, 0x7F3A_5ED9, 0x7F3A_5EDA].contains(magic) {
                let mode = magic == 0x7F3A_5ED8 ? "AES-GCM" : (magic == 0x7F3A_5ED9 ? "AES-CBC" : "SM4-CBC")
                throw CheckpointError("encrypted MindSpore checkpoint (\(mode)); decrypt it with mindspore.load_checkpoint(dec_key=...) first")
            }
        }
        if bytes.count >= 9 {
            var headerLength: UInt64 = 0
            for i in 0..<8 { headerLength |= UInt64(bytes[i]) << (8 * UInt64(i)) }
            let first = bytes[8]
            if headerLength > 0, headerLength <= UInt64(bytes.count - 8), [0x7B, 0x20, 0x09, 0x0A, 0x0D].contains(first) {
                return .safetensors
            }
            if headerLength > UInt64(bytes.count - 8), first == 0x7B {
                return .safetensors  // header length past EOF: let the safetensors reader report it precisely
            }
        }
        if bytes[0] == 0x0A { return .mindspore }
        // A bare pickle: PROTO 2-5, or a protocol 0/1 stream opening with a container or a value.
        if bytes.count >= 2, bytes[0] == 0x80, bytes[1] <= 5 { return .pickle }
        if Array("(}])dlcNIFLSVXKJMUTG".utf8).contains(bytes[0]) { return .pickle }
        throw CheckpointError("unrecognised file format (first bytes \(bytes.prefix(8).map { String(format2: $0) }.joined(separator: " ")))")
    }
}

extension String {
    init(format2 byte: UInt8) {
        let digits = Array("0123456789abcdef")
        self = String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }
}
