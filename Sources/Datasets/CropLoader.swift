import Kernels

/// Decode + crop of many images on the runtime's worker threads (`Parallel`), each result either a crop
/// or the one-line reason the image was refused.
public struct CropLoader: Sendable {
    public let imageSize: Int
    public let transform: ImageTransform

    public init(imageSize: Int, transform: ImageTransform) {
        self.imageSize = imageSize
        self.transform = transform
    }

    /// The crop of one file (`[size, size, 3]`).
    public func crop(path: String) throws -> RGBImage {
        try transform.crop(try ImageDecoder.decode(file: path), size: imageSize, name: path)
    }

    /// Crops of `paths`, in order, decoded in parallel.
    public func crops(_ paths: [String]) -> [Result<RGBImage, DatasetError>] {
        var results = [Result<RGBImage, DatasetError>?](repeating: nil, count: paths.count)
        results.withUnsafeMutableBufferPointer { slots in
            let out = slots  // each worker writes only its own indices
            Parallel.forEach(paths.count) { i in
                do { out[i] = .success(try crop(path: paths[i])) } catch let error as DatasetError {
                    out[i] = .failure(error)
                } catch {
                    out[i] = .failure(DatasetError("\(error)", file: paths[i]))
                }
            }
        }
        return results.map { $0! }
    }
}
