/// Recognises MindSpore's encrypted checkpoints (`save_checkpoint(enc_key=...)`), which start with a
/// block magic instead of a protobuf record. Decryption is not supported; the error says what to do.
enum MindSporeEncryption {
    /// The cipher named by the first 4 bytes (u32 LE block magic), or nil for a plain file.
    static func mode(_ bytes: UnsafeRawBufferPointer) -> String? {
        guard bytes.count >= 4 else { return nil }
        let magic = UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24
        switch magic {
        case 0x7F3A_5ED8: return "AES-GCM"
        case 0x7F3A_5ED9: return "AES-CBC"
        case 0x7F3A_5EDA: return "SM4-CBC"
        default: return nil
        }
    }

    /// Throws the refusal for an encrypted file.
    static func refuseIfEncrypted(_ file: MappedFile) throws {
        if let mode = mode(file.bytes(0..<min(file.count, 4))) {
            throw CheckpointError("encrypted MindSpore checkpoint (\(mode)); decrypt it with mindspore.load_checkpoint(dec_key=...) first", offset: 0)
        }
    }
}
