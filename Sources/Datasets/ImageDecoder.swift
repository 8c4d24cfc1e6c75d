#if canImport(Glibc)
import Glibc
#endif
import CImageCodecs
import CJPEG
import CPNG

/// Decodes JPEG (libjpeg-turbo) and PNG (libpng) files to RGB exactly as Pillow's
/// `Image.open(path).convert("RGB")`: gray replicated, alpha dropped (not composited), palette expanded
/// (its transparency ignored). The format is recognised by its magic bytes, not by the file name.
public enum ImageDecoder {
    /// Pillow's decompression-bomb limit (`2 * Image.MAX_IMAGE_PIXELS`): larger images are refused before
    /// any pixel memory is allocated.
    public static let maxPixels = 2 * 89_478_485

    /// Reads and decodes `path`. Errors name the file and the reason in one line.
    public static func decode(file path: String) throws -> RGBImage {
        let bytes = try readFile(path)
        return try decode(bytes, name: path)
    }

    /// Decodes encoded image bytes; `name` is used in error messages.
    public static func decode(_ bytes: [UInt8], name: String) throws -> RGBImage {
        guard !bytes.isEmpty else { throw DatasetError("empty file (0 bytes), not an image", file: name) }
        let format = ImageFormat(magic: bytes)
        // Two calls: the header (size, limits), then the pixels straight into the array's storage.
        func run(_ image: inout ditport_image) throws {
            let status: Int32
            switch format {
            case .jpeg:
                status = bytes.withUnsafeBufferPointer { ditport_decode_jpeg($0.baseAddress, $0.count, Int64(maxPixels), &image) }
            case .png:
                status = bytes.withUnsafeBufferPointer { ditport_decode_png($0.baseAddress, $0.count, Int64(maxPixels), &image) }
            case .other(let kind):
                throw DatasetError(kind.map { "\($0) images are not supported (JPEG and PNG are)" } ?? "not a JPEG or PNG image", file: name)
            }
            guard status == 0 else {
                let reason = withUnsafeBytes(of: image.message) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
                throw DatasetError("cannot decode \(format.name): \(reason)", file: name)
            }
        }
        var header = ditport_image()
        header.header_only = 1
        try run(&header)
        let width = Int(header.width), height = Int(header.height)
        var failure: Error?
        let pixels = [UInt8](unsafeUninitializedCapacity: width * height * 3) { buffer, initialized in  // [height, width, 3]
            var image = ditport_image()
            image.destination = buffer.baseAddress
            do {
                try run(&image)
                precondition(Int(image.width) == width && Int(image.height) == height, "image size changed between header and decode")
                initialized = width * height * 3
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    static func readFile(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw DatasetError("cannot open: \(String(cString: strerror(errno)))", file: path) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw DatasetError("cannot stat: \(String(cString: strerror(errno)))", file: path) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw DatasetError("not a regular file", file: path) }
        let size = Int(info.st_size)
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, size - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw DatasetError(n == 0 ? "file shrank while reading" : "read failed: \(String(cString: strerror(errno)))", file: path) }
            done += n
        }
        return bytes
    }
}

/// The container format recognised from the first bytes.
enum ImageFormat {
    case jpeg, png
    case other(String?)

    init(magic bytes: [UInt8]) {
        func starts(_ prefix: [UInt8]) -> Bool { bytes.count >= prefix.count && Array(bytes.prefix(prefix.count)) == prefix }
        if starts([0xFF, 0xD8, 0xFF]) { self = .jpeg }
        else if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { self = .png }
        else if starts([0x42, 0x4D]) { self = .other("BMP") }
        else if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { self = .other("TIFF") }
        else if starts(Array("RIFF".utf8)) && bytes.count >= 12 && Array(bytes[8..<12]) == Array("WEBP".utf8) { self = .other("WebP") }
        else if starts(Array("GIF8".utf8)) { self = .other("GIF") }
        else if bytes.count >= 2 && bytes[0] == 0x50 && (0x31...0x36).contains(bytes[1]) { self = .other("PPM/PGM") }
        else { self = .other(nil) }
    }

    var name: String {
        switch self {
        case .jpeg: return "JPEG"
        case .png: return "PNG"
        case .other(let kind): return kind ?? "image"
        }
    }
}
