/// An 8-bit RGB image, rows top to bottom, pixels interleaved: `pixels` is `[height, width, 3]`.
public struct RGBImage: Equatable, Sendable {
    public var width: Int
    public var height: Int
    /// `[height, width, 3]` u8, row-major.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 3, "RGBImage: \(pixels.count) bytes for \(width)x\(height)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Rows `[top, top + rows)` and columns `[left, left + columns)` (numpy's `arr[top:top+rows, left:left+columns]`).
    public func cropped(top: Int, left: Int, rows: Int, columns: Int) -> RGBImage {
        precondition(top >= 0 && left >= 0 && top + rows <= height && left + columns <= width, "crop outside the image")
        let out = pixels.withUnsafeBufferPointer { input in
            [UInt8](unsafeUninitializedCapacity: rows * columns * 3) { output, initialized in  // [rows, columns, 3]
                for y in 0..<rows {
                    (output.baseAddress! + y * columns * 3).initialize(from: input.baseAddress! + ((top + y) * width + left) * 3, count: columns * 3)
                }
                initialized = rows * columns * 3
            }
        }
        return RGBImage(width: columns, height: rows, pixels: out)
    }

    /// The mirror image (left and right swapped), as torchvision's `RandomHorizontalFlip` when it flips.
    public func flippedHorizontally() -> RGBImage {
        var out = pixels  // [height, width, 3]
        for y in 0..<height {
            for x in 0..<width {
                let to = (y * width + x) * 3, from = (y * width + (width - 1 - x)) * 3
                out[to] = pixels[from]
                out[to + 1] = pixels[from + 1]
                out[to + 2] = pixels[from + 2]
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }
}
