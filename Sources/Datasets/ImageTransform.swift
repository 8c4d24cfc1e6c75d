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
    public static func centerCropArr(_ input: RGBImage, size: Int) -> RGBImage {
        var image = input
        while min(image.width, image.height) >= 2 * size {
            image = PillowResample.resize(image, width: image.width / 2, height: image.height / 2, filter: .box)
        }
        let scale = Double(size) / Double(min(image.width, image.height))
        let width = pythonRound(Double(image.width) * scale), height = pythonRound(Double(image.height) * scale)
        // Only the pixels the crop keeps are resampled (byte-identical to resizing, then cropping).
        let top = (height - size) / 2, left = (width - size) / 2
        return PillowResample.resize(image, width: width, height: height, filter: .bicubic,
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
