import CCheckpointSupport
import CZlib

/// CRC-32 (IEEE, as zlib, zip and `binascii.crc32`). Uses carry-less multiplication (PCLMULQDQ, about
/// 3x zlib here) when the CPU has it, zlib otherwise and for tails under 16 bytes.
public enum CRC32 {
    /// Whether the PCLMULQDQ path is usable on this CPU (checked once).
    static let folding = ckpt_crc32_pclmul_available() != 0

    /// Continues `crc` over `bytes`.
    public static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        var value = crc
        var start = 0
        if folding && bytes.count >= 64 {
            start = bytes.count & ~15
            value = ckpt_crc32_fold(value, base.assumingMemoryBound(to: UInt8.self), start)
        }
        return zlibUpdate(value, UnsafeRawBufferPointer(start: base + start, count: bytes.count - start))
    }

    /// Continues `crc` over `bytes` with zlib alone (the reference the fast path is tested against).
    public static func zlibUpdate(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress else { return crc }
        var value = UInt(crc)
        var offset = 0
        while offset < bytes.count {
            let chunk = min(bytes.count - offset, 1 << 30)
            value = crc32(value, (base + offset).assumingMemoryBound(to: Bytef.self), uInt(chunk))
            offset += chunk
        }
        return UInt32(truncatingIfNeeded: value)
    }

    /// The CRC of A followed by B, from `crcA`, `crcB` and B's length (zlib's `crc32_combine`).
    public static func combine(_ crcA: UInt32, _ crcB: UInt32, lengthB: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: crc32_combine(UInt(crcA), UInt(crcB), off_t(lengthB)))
    }

    /// CRC-32 of `bytes` from the initial value.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { update(0, $0) }
    }
}
