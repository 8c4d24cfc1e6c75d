/// OpenCV's `cv2.resize(img, (width, height), interpolation=cv2.INTER_CUBIC)` for 8-bit RGB, re-implemented
/// from OpenCV's description of its fixed-point path (`imgproc/src/resize.cpp`):
///
/// * source coordinate `f = (float)((i + 0.5) · (in / out) - 0.5)`, tap `s = floor(f)`, fraction `f - s`;
/// * Keys' cubic with a = -0.75, the four weights as floats, the last one `1 - (w0 + w1 + w2)`, each
///   stored as `short` = round(w · 2048) (`INTER_RESIZE_COEF_BITS = 11`);
/// * taps outside the image repeat the border pixel;
/// * horizontal pass into 32-bit integers (×2048), vertical pass, `(sum + 2^21) >> 22` saturated to 0...255.
///
/// The MindONE transform is checked against opencv-python to within one level (tests).
public enum OpenCVCubicResize {
    static let coefficientBits = 11

    struct Taps {
        var first: [Int]      // [outSize] index of the first of the four taps (may be out of range)
        var weights: [Int32]  // [outSize, 4]
    }

    static func taps(inSize: Int, outSize: Int) -> Taps {
        let inverseScale = Double(outSize) / Double(inSize)
        let scale = 1.0 / inverseScale
        var first = [Int](repeating: 0, count: outSize)
        var weights = [Int32](repeating: 0, count: outSize * 4)
        let a: Float = -0.75
        for i in 0..<outSize {
            var f = Float((Double(i) + 0.5) * scale - 0.5)
            let s = Int(f.rounded(.down))
            f -= Float(s)
            var w = [Float](repeating: 0, count: 4)
            w[0] = ((a * (f + 1) - 5 * a) * (f + 1) + 8 * a) * (f + 1) - 4 * a
            w[1] = ((a + 2) * f - (a + 3)) * f * f + 1
            w[2] = ((a + 2) * (1 - f) - (a + 3)) * (1 - f) * (1 - f) + 1
            w[3] = 1 - w[0] - w[1] - w[2]
            first[i] = s - 1
            for k in 0..<4 {
                let scaled = (w[k] * Float(1 << coefficientBits)).rounded(.toNearestOrEven)
                weights[i * 4 + k] = Int32(max(min(scaled, Float(Int16.max)), Float(Int16.min)))
            }
        }
        return Taps(first: first, weights: weights)
    }

    /// The resized image.
    public static func resize(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        precondition(width > 0 && height > 0, "resize to an empty image")
        let horizontal = taps(inSize: image.width, outSize: width)
        let vertical = taps(inSize: image.height, outSize: height)
        let rowLength = width * 3
        // Horizontal pass over every input row: [image.height, width, 3] in units of 1/2048.
        var rows = [Int32](repeating: 0, count: image.height * rowLength)
        image.pixels.withUnsafeBufferPointer { input in
            rows.withUnsafeMutableBufferPointer { out in
                for y in 0..<image.height {
                    let line = input.baseAddress! + y * image.width * 3
                    for x in 0..<width {
                        var s0: Int32 = 0, s1: Int32 = 0, s2: Int32 = 0
                        for k in 0..<4 {
                            let sx = min(max(horizontal.first[x] + k, 0), image.width - 1)
                            let w = horizontal.weights[x * 4 + k]
                            s0 &+= Int32(line[sx * 3]) &* w
                            s1 &+= Int32(line[sx * 3 + 1]) &* w
                            s2 &+= Int32(line[sx * 3 + 2]) &* w
                        }
                        let o = y * rowLength + x * 3
                        out[o] = s0
                        out[o + 1] = s1
                        out[o + 2] = s2
                    }
                }
            }
        }
        var pixels = [UInt8](repeating: 0, count: height * rowLength)  // [height, width, 3]
        let shift = Int32(2 * coefficientBits), half: Int32 = 1 << (2 * coefficientBits - 1)
        for y in 0..<height {
            for i in 0..<rowLength {
                var sum: Int32 = 0
                for k in 0..<4 {
                    let sy = min(max(vertical.first[y] + k, 0), image.height - 1)
                    sum &+= rows[sy * rowLength + i] &* vertical.weights[y * 4 + k]
                }
                let v = (sum &+ half) >> shift
                pixels[y * rowLength + i] = v < 0 ? 0 : (v > 255 ? 255 : UInt8(v))
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}
