/// How a decoded image becomes the `size × size` crop the VAE encodes.
public enum ImageTransform: String, CaseIterable, Sendable {
    /// The official DiT / ADM `center_crop_arr` (Pillow BOX halving, BICUBIC, centre crop). Default.
    case adm
    /// MindONE's CSV path: albumentations `SmallestMaxSize(size, cv2.INTER_CUBIC)` + `CenterCrop(size, size)`.
    case mindone

    /// The smallest image side accepted: anything smaller carries too little picture to crop from.
    public static let minimumSide = 8

    /// The crop of `image` (`[size, size, 3]`). Throws for images too small to crop sensibly.
    public func crop(_ image: RGBImage, size: Int, name: String = "") throws -> RGBImage {
        guard min(image.width, image.height) >= ImageTransform.minimumSide else {
            throw DatasetError("image of \(image.width)x\(image.height) pixels is too small to crop to \(size)x\(size) "
                               + "(each side must be at least \(ImageTransform.minimumSide) pixels)", file: name)
        }
        switch self {
        case .adm: return ImageTransform.centerCropArr(image, size: size)
        case .mindone: return ImageTransform.smallestMaxSizeCenterCrop(image, size: size)
        }
    }

    /// `center_crop_arr(pil_image, size)` from the official `train.py`.
    ///
    /// Only the pixels the crop keeps are computed, through every step: the crop's rows and columns are
    /// followed back through the BICUBIC resize and each BOX halving to the input pixels they read, and each
    /// step resamples only that window (byte-identical to resizing whole images, then cropping: an output
    /// pixel depends only on its own weights, which are those of the full sizes).
    public static func centerCropArr(_ input: RGBImage, size: Int) -> RGBImage {
        // Sizes after each BOX halving (the loop of the official code).
        var sizes = [(width: input.width, height: input.height)]
        while min(sizes.last!.width, sizes.last!.height) >= 2 * size { sizes.append((sizes.last!.width / 2, sizes.last!.height / 2)) }
        let last = sizes.last!
        let scale = Double(size) / Double(min(last.width, last.height))
        let width = pythonRound(Double(last.width) * scale), height = pythonRound(Double(last.height) * scale)
        let top = (height - size) / 2, left = (width - size) / 2
        // Windows needed, from the crop back to the input: needed[k] = rows and columns of stage k's image.
        var needed = [(rows: Range<Int>, columns: Range<Int>)](repeating: (0..<0, 0..<0), count: sizes.count)
        var rows = top..<(top + size), columns = left..<(left + size)
        var outSize = (width: width, height: height), filter = PillowResample.Filter.bicubic
        for k in stride(from: sizes.count - 1, through: 0, by: -1) {
            rows = PillowResample.inputRange(of: rows, inSize: sizes[k].height, outSize: outSize.height, filter: filter)
            columns = PillowResample.inputRange(of: columns, inSize: sizes[k].width, outSize: outSize.width, filter: filter)
            needed[k] = (rows, columns)
            outSize = sizes[k]
            filter = .box
        }
        var window = PillowResample.Window(input)
        for k in 1..<sizes.count {
            let part = PillowResample.resize(window, width: sizes[k].width, height: sizes[k].height, filter: .box,
                                             rows: needed[k].rows, columns: needed[k].columns)
            window = PillowResample.Window(part, row: needed[k].rows.lowerBound, column: needed[k].columns.lowerBound,
                                           fullWidth: sizes[k].width, fullHeight: sizes[k].height)
        }
        return PillowResample.resize(window, width: width, height: height, filter: .bicubic,
                                     rows: top..<(top + size), columns: left..<(left + size))
    }

    /// albumentations `SmallestMaxSize(max_size=size, interpolation=cv2.INTER_CUBIC)` then `CenterCrop(size, size)`.
    public static func smallestMaxSizeCenterCrop(_ input: RGBImage, size: Int) -> RGBImage {
        let scale = Double(size) / Double(min(input.width, input.height))
        let height = max(1, pythonRound(Double(input.height) * scale)), width = max(1, pythonRound(Double(input.width) * scale))
        let image = (width == input.width && height == input.height) ? input : OpenCVCubicResize.resize(input, width: width, height: height)
        return image.cropped(top: (image.height - size) / 2, left: (image.width - size) / 2, rows: size, columns: size)
    }

    /// Python's `round(x)` for a float: to the nearest integer, ties to even.
    public static func pythonRound(_ x: Double) -> Int { Int(x.rounded(.toNearestOrEven)) }

    /// The pixel → [-1, 1] map of this pipeline, for the 256 byte values.
    /// `adm`: torchvision `ToTensor` + `Normalize(0.5, 0.5)`, `((u / 255) - 0.5) / 0.5` in float32.
    /// `mindone`: MindONE's `u / 127.5 - 1` in float64, then float32 (differs by 1 ulp for 128 values).
    public var normalisationTable: [Float] {
        switch self {
        case .adm: return (0..<256).map { ((Float($0) / 255) - 0.5) / 0.5 }
        case .mindone: return (0..<256).map { Float(Double($0) / 127.5 - 1) }
        }
    }
}

extension RGBImage {
    /// The pixels as a CHW float tensor `[3, height, width]` through `table` (e.g. `ImageTransform.normalisationTable`),
    /// written into `out` (capacity `3 · height · width`).
    public func writeCHW(into out: UnsafeMutableBufferPointer<Float>, table: [Float]) {
        let plane = width * height
        precondition(out.count >= 3 * plane)
        pixels.withUnsafeBufferPointer { p in
            for i in 0..<plane {
                out[i] = table[Int(p[i * 3])]
                out[plane + i] = table[Int(p[i * 3 + 1])]
                out[2 * plane + i] = table[Int(p[i * 3 + 2])]
            }
        }
    }
}
