import CImageCodecs

/// Pillow's `Image.resize` for 8-bit RGB images with the BOX and BICUBIC filters, reproduced to the byte
/// (Pillow's `libImaging/Resample.c` algorithm, re-implemented from its description):
///
/// * each axis gets a table of filter weights per output pixel: centre `(i + 0.5) · scale`, support
///   `filter.support · max(scale, 1)` (widened when downsampling), input range rounded as `(int)(x + 0.5)`,
///   weights normalised to sum 1, then turned into 22-bit fixed point (`PRECISION_BITS = 32 - 8 - 2`,
///   rounded half away from zero);
/// * a horizontal pass over only the input rows the vertical pass will read, then a vertical pass, each
///   accumulating `u8 · weight` in 32-bit integers from `1 << 21`, shifting right by 22 and clipping to
///   0...255 — so the intermediate image is 8-bit, as Pillow's;
/// * an axis whose size does not change is not resampled at all.
///
/// The two inner loops run in C (`CImageCodecs/resample_rows.c`, AVX2 when the CPU has it); the horizontal
/// one on tiles of 16 transposed rows, so it vectorises like the vertical one.
public enum PillowResample {
    /// The filters `center_crop_arr` uses.
    public enum Filter {
        /// `Image.BOX`: 1 on (-0.5, 0.5], support 0.5.
        case box
        /// `Image.BICUBIC`: Keys' cubic with a = -0.5, support 2.
        case bicubic

        var support: Double { self == .box ? 0.5 : 2.0 }

        func weight(_ x: Double) -> Double {
            switch self {
            case .box:
                return x > -0.5 && x <= 0.5 ? 1.0 : 0.0
            case .bicubic:
                let a = -0.5, t = abs(x)
                if t < 1.0 { return ((a + 2.0) * t - (a + 3.0)) * t * t + 1 }
                if t < 2.0 { return (((t - 5) * t + 8) * t - 4) * a }
                return 0.0
            }
        }
    }

    static let precisionBits: Int32 = 22

    /// Fixed-point weights of one axis: output pixel `i` reads inputs `first[i] ..< first[i] + count[i]`
    /// with weights `weights[i * width ..< i * width + count[i]]`.
    struct Coefficients {
        var first: [Int]      // [outSize]
        var count: [Int]      // [outSize]
        var weights: [Int32]  // [outSize, width]
        var width: Int
    }

    static func coefficients(inSize: Int, outSize: Int, filter: Filter) -> Coefficients {
        let scale = Double(Float(inSize)) / Double(outSize)
        let filterScale = max(scale, 1.0)
        let support = filter.support * filterScale
        let width = Int(support.rounded(.up)) * 2 + 1
        let inverse = 1.0 / filterScale
        var first = [Int](repeating: 0, count: outSize), count = first
        var weights = [Int32](repeating: 0, count: outSize * width)
        var row = [Double](repeating: 0, count: width)
        for i in 0..<outSize {
            let center = (Double(i) + 0.5) * scale
            let low = max(Int(center - support + 0.5), 0)
            let high = min(Int(center + support + 0.5), inSize)
            let n = high - low
            var total = 0.0
            for x in 0..<n {
                let w = filter.weight((Double(x + low) - center + 0.5) * inverse)
                row[x] = w
                total += w
            }
            for x in 0..<n {
                let w = total != 0.0 ? row[x] / total : row[x]
                let scaled = w * Double(1 << precisionBits)
                weights[i * width + x] = Int32(w < 0 ? -0.5 + scaled : 0.5 + scaled)
            }
            first[i] = low
            count[i] = n
        }
        return Coefficients(first: first, count: count, weights: weights, width: width)
    }

    /// `image.resize((width, height), filter)` as Pillow computes it.
    public static func resize(_ image: RGBImage, width: Int, height: Int, filter: Filter) -> RGBImage {
        resize(image, width: width, height: height, filter: filter, rows: 0..<height, columns: 0..<width)
    }

    /// The part `[rows, columns]` of `image.resize((width, height), filter)`, computing only those output
    /// pixels (each output pixel depends only on its own weights, so this is byte-identical to cropping the
    /// full resize). `center_crop_arr` uses it to skip the pixels its crop throws away.
    public static func resize(_ image: RGBImage, width: Int, height: Int, filter: Filter, rows: Range<Int>, columns: Range<Int>) -> RGBImage {
        resize(Window(image), width: width, height: height, filter: filter, rows: rows, columns: columns)
    }

    /// A rectangle of a larger image that is never built: `image` holds rows `row ..< row + image.height`
    /// and columns `column ..< column + image.width` of a `fullWidth × fullHeight` image.
    public struct Window {
        public var image: RGBImage
        public var row: Int
        public var column: Int
        public var fullWidth: Int
        public var fullHeight: Int

        public init(_ image: RGBImage, row: Int = 0, column: Int = 0, fullWidth: Int? = nil, fullHeight: Int? = nil) {
            self.image = image
            self.row = row
            self.column = column
            self.fullWidth = fullWidth ?? image.width
            self.fullHeight = fullHeight ?? image.height
        }
    }

    /// The input positions (of an axis of `inSize`) that the outputs `range` of a resize to `outSize` read.
    public static func inputRange(of range: Range<Int>, inSize: Int, outSize: Int, filter: Filter) -> Range<Int> {
        guard inSize != outSize else { return range }
        let c = coefficients(inSize: inSize, outSize: outSize, filter: filter)
        return c.first[range.lowerBound]..<(c.first[range.upperBound - 1] + c.count[range.upperBound - 1])
    }

    /// The part `[rows, columns]` of the full image's `resize((width, height), filter)`, from a window that
    /// holds at least the input pixels those outputs read (`inputRange`). Byte-identical to resizing the
    /// full image and cropping: the weights are those of the full sizes.
    public static func resize(_ window: Window, width: Int, height: Int, filter: Filter, rows: Range<Int>, columns: Range<Int>) -> RGBImage {
        precondition(width > 0 && height > 0, "resize to an empty image")
        precondition(rows.lowerBound >= 0 && rows.upperBound <= height && columns.lowerBound >= 0 && columns.upperBound <= width && !rows.isEmpty && !columns.isEmpty,
                     "window outside the resized image")
        let image = window.image
        let needVertical = height != window.fullHeight, needHorizontal = width != window.fullWidth
        // Input rows the vertical pass reads for the kept output rows (all kept rows when not resampled).
        var vertical: Coefficients? = nil
        var inputRows = rows
        if needVertical {
            let c = coefficients(inSize: window.fullHeight, outSize: height, filter: filter)
            inputRows = c.first[rows.lowerBound]..<(c.first[rows.upperBound - 1] + c.count[rows.upperBound - 1])
            vertical = c
        }
        let localRows = (inputRows.lowerBound - window.row)..<(inputRows.upperBound - window.row)
        precondition(localRows.lowerBound >= 0 && localRows.upperBound <= image.height, "the window lacks input rows")
        let source: RGBImage
        if needHorizontal {
            var c = coefficients(inSize: window.fullWidth, outSize: width, filter: filter)
            precondition(c.first[columns.lowerBound] >= window.column
                         && c.first[columns.upperBound - 1] + c.count[columns.upperBound - 1] <= window.column + image.width,
                         "the window lacks input columns")
            if window.column != 0 { c.first = c.first.map { $0 - window.column } }
            source = horizontal(image, rows: localRows, columns: columns, coefficients: c)
        } else {
            precondition(columns.lowerBound >= window.column && columns.upperBound <= window.column + image.width, "the window lacks input columns")
            source = image.cropped(top: localRows.lowerBound, left: columns.lowerBound - window.column, rows: localRows.count, columns: columns.count)
        }
        guard let vertical else { return source }
        return verticalPass(source, rowOffset: inputRows.lowerBound, rows: rows, coefficients: vertical)
    }

    static func horizontal(_ image: RGBImage, rows: Range<Int>, columns: Range<Int>, coefficients c: Coefficients) -> RGBImage {
        let width = columns.count
        let out = image.pixels.withUnsafeBufferPointer { input in
            c.weights.withUnsafeBufferPointer { weights in
                c.first.withUnsafeBufferPointer { first in
                    c.count.withUnsafeBufferPointer { count in
                        let tileBytes = ditport_resample_horizontal_tile_bytes(first.baseAddress!, count.baseAddress!,
                                                                               columns.lowerBound, columns.upperBound)
                        let tile = UnsafeMutablePointer<UInt8>.allocate(capacity: tileBytes)  // [input columns, 16 rows, RGBX]
                        defer { tile.deallocate() }
                        return [UInt8](unsafeUninitializedCapacity: rows.count * width * 3) { output, initialized in  // [rows, columns, 3]
                            ditport_resample_horizontal(input.baseAddress! + rows.lowerBound * image.width * 3, image.width * 3, rows.count,
                                                        first.baseAddress!, count.baseAddress!, weights.baseAddress!, c.width,
                                                        columns.lowerBound, columns.upperBound, output.baseAddress!, width * 3, tile)
                            initialized = rows.count * width * 3
                        }
                    }
                }
            }
        }
        return RGBImage(width: width, height: rows.count, pixels: out)
    }

    /// Output rows `rows` of the vertical pass; `image` holds input rows from `rowOffset`.
    static func verticalPass(_ image: RGBImage, rowOffset: Int, rows: Range<Int>, coefficients c: Coefficients) -> RGBImage {
        let rowLength = image.width * 3
        let acc = UnsafeMutablePointer<Int32>.allocate(capacity: rowLength)  // [width * 3] accumulators of one output row
        defer { acc.deallocate() }
        let out = image.pixels.withUnsafeBufferPointer { input in
            c.weights.withUnsafeBufferPointer { weights in
                [UInt8](unsafeUninitializedCapacity: rows.count * rowLength) { output, initialized in  // [rows, width, 3]
                    for (outRow, y) in rows.enumerated() {
                        ditport_resample_vertical_row(input.baseAddress! + (c.first[y] - rowOffset) * rowLength, rowLength,
                                                      weights.baseAddress! + y * c.width, c.count[y],
                                                      output.baseAddress! + outRow * rowLength, acc)
                    }
                    initialized = rows.count * rowLength
                }
            }
        }
        return RGBImage(width: image.width, height: rows.count, pixels: out)
    }
}
