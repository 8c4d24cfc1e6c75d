#if canImport(Glibc)
import Glibc
#endif
import CZlib
import Checkpoint

/// Writes 8-bit RGB PNG files (zlib-compressed, filter 0), atomically.
public enum PNGWriter {
    /// Encodes `pixels` (`[height, width, 3]` u8, row-major) as PNG bytes.
    public static func encode(pixels: [UInt8], width: Int, height: Int) throws -> [UInt8] {
        guard width > 0, height > 0, pixels.count == width * height * 3 else {
            throw CheckpointError("PNG: \(pixels.count) bytes do not make a \(width)×\(height) RGB image")
        }
        var raw = [UInt8]()  // [height, 1 + width·3] filter byte + row
        raw.reserveCapacity(height * (1 + width * 3))
        for row in 0..<height {
            raw.append(0)
            raw.append(contentsOf: pixels[(row * width * 3)..<((row + 1) * width * 3)])
        }
        var compressedSize = compressBound(uLong(raw.count))
        var compressed = [UInt8](repeating: 0, count: Int(compressedSize))  // zlib stream
        let status = compressed.withUnsafeMutableBufferPointer { out in
            raw.withUnsafeBufferPointer { compress2(out.baseAddress, &compressedSize, $0.baseAddress, uLong(raw.count), 6) }
        }
        guard status == Z_OK else { throw CheckpointError("PNG: zlib compression failed (\(status))") }
        compressed.removeSubrange(Int(compressedSize)...)

        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
        func chunk(_ type: String, _ data: [UInt8]) {
            let body = Array(type.utf8) + data
            png += bigEndian(UInt32(data.count)) + body + bigEndian(CRC32.checksum(body))
        }
        chunk("IHDR", bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [8, 2, 0, 0, 0])
        chunk("IDAT", compressed)
        chunk("IEND", [])
        return png
    }

    /// Writes a PNG file atomically (temporary file, fsync, rename).
    public static func write(pixels: [UInt8], width: Int, height: Int, to path: String) throws {
        let bytes = try encode(pixels: pixels, width: width, height: height)
        try AtomicFile.write(to: path) { temporary in
            let sink = try OutputSink(path: temporary)
            try sink.write(bytes)
            try sink.flush()
        }
    }
}
