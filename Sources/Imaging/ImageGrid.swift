/// Turning decoded images (`[N, 3, H, W]` f32 in about [-1, 1]) into 8-bit pixels the way the reference
/// scripts do.
public enum ImageGrid {
    /// torchvision `save_image(x, nrow: nrow, normalize: true, value_range: (-1, 1))` as official DiT's
    /// sample.py calls it: clamp to [-1, 1], map to [0, 1], ×255 + 0.5, truncate; 2-pixel black padding
    /// (a single image is written without padding, as `make_grid` returns it unchanged).
    /// Returns `[height, width, 3]` u8 and the size.
    public static func torchvisionGrid(_ images: [Float], count: Int, height: Int, width: Int, nrow: Int = 4, padding: Int = 2) -> (pixels: [UInt8], width: Int, height: Int) {
        func quantize(_ v: Float) -> UInt8 {
            let unit = (min(max(v, -1), 1) - -1) / 2
            return UInt8(min(max(unit * 255 + 0.5, 0), 255))
        }
        if count == 1 { return (interleaved(images, offset: 0, height: height, width: width, quantize), width, height) }
        let columns = min(nrow, count), rows = (count + columns - 1) / columns
        let gridWidth = columns * (width + padding) + padding, gridHeight = rows * (height + padding) + padding
        var pixels = [UInt8](repeating: 0, count: gridWidth * gridHeight * 3)  // [gridHeight, gridWidth, 3] u8
        for k in 0..<count {
            let top = (k / columns) * (height + padding) + padding, left = (k % columns) * (width + padding) + padding
            for c in 0..<3 {
                for y in 0..<height {
                    for x in 0..<width {
                        pixels[((top + y) * gridWidth + left + x) * 3 + c] = quantize(images[((k * 3 + c) * height + y) * width + x])
                    }
                }
            }
        }
        return (pixels, gridWidth, gridHeight)
    }

    /// MindONE's per-class files: `((x + 1) / 2).clamp(0, 1) × 255`, truncated (`astype(np.uint8)`).
    public static func mindoneImage(_ images: [Float], index: Int, height: Int, width: Int) -> [UInt8] {
        interleaved(images, offset: index * 3 * height * width, height: height, width: width) { v in
            UInt8(min(max((v + 1) / 2, 0), 1) * 255)
        }
    }

    /// Official sample_ddp.py's pixels: `torch.clamp(127.5 * x + 128.0, 0, 255).to(torch.uint8)` — a
    /// float32 multiply, then an add (two roundings), clamp, truncation. NaN (undefined in torch) gives 0.
    /// Image `index` of `images`; returns `[H, W, 3]` u8.
    public static func sampleDDPImage(_ images: [Float], index: Int, height: Int, width: Int) -> [UInt8] {
        interleaved(images, offset: index * 3 * height * width, height: height, width: width, sampleDDPPixel)
    }

    /// One value of `sampleDDPImage`.
    public static func sampleDDPPixel(_ v: Float) -> UInt8 {
        let scaled: Float = 127.5 * v
        let shifted: Float = scaled + 128
        guard !shifted.isNaN else { return 0 }
        return UInt8(min(max(shifted, 0), 255))
    }

    static func interleaved(_ images: [Float], offset: Int, height: Int, width: Int, _ quantize: (Float) -> UInt8) -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: height * width * 3)  // [H, W, 3] u8
        for c in 0..<3 {
            for i in 0..<(height * width) { pixels[i * 3 + c] = quantize(images[offset + c * height * width + i]) }
        }
        return pixels
    }
}
