import Dispatch
import Imaging
import Kernels
import Synchronization

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

    /// Crops of `paths`, in order, decoded in parallel: `Parallel.threadCount` workers each take the next
    /// image not yet taken (image costs differ several-fold, so fixed blocks would leave workers idle).
    public func crops(_ paths: [String]) -> [Result<RGBImage, DatasetError>] {
        var results = [Result<RGBImage, DatasetError>?](repeating: nil, count: paths.count)
        let next = Atomic<Int>(0)
        results.withUnsafeMutableBufferPointer { slots in
            let out = slots  // each index is written by the one worker that took it
            func work() {
                while true {
                    let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    guard i < paths.count else { return }
                    do { out[i] = .success(try crop(path: paths[i])) } catch let error as DatasetError {
                        out[i] = .failure(error)
                    } catch {
                        out[i] = .failure(DatasetError("\(error)", file: paths[i]))
                    }
                }
            }
            let workers = min(Parallel.threadCount, paths.count)
            if workers <= 1 { work() } else { DispatchQueue.concurrentPerform(iterations: workers) { _ in work() } }
        }
        return results.map { $0! }
    }

    /// Crops of one batch of samples (dataset indices from `firstIndex`), written to the preview folder when
    /// asked; a bad image either throws (its message gains the sample's origin) or, with `skipBad`, is
    /// appended to `skipped`.
    public func crops(of batch: [DatasetSample], firstIndex: Int, options: ExtractionOptions,
                      skipped: inout [DatasetError]) throws -> [(index: Int, sample: DatasetSample, image: RGBImage)] {
        var crops: [(index: Int, sample: DatasetSample, image: RGBImage)] = []
        for (offset, result) in self.crops(batch.map(\.path)).enumerated() {
            switch result {
            case .success(let image): crops.append((firstIndex + offset, batch[offset], image))
            case .failure(var error):
                if let origin = batch[offset].origin { error.message = "\(error.message) (\(origin))" }
                guard options.skipBad else { throw error }
                skipped.append(error)
            }
        }
        if let directory = options.previewDirectory {
            for crop in crops {
                let name = String(repeating: "0", count: max(0, 6 - String(crop.index).count)) + String(crop.index)
                try PNGWriter.write(pixels: crop.image.pixels, width: imageSize, height: imageSize, to: "\(directory)/\(name).png")
            }
        }
        return crops
    }

    /// Decode + crop of a whole dataset without encoding (previews only, or to time the input pipeline).
    /// Returns the crops made, the skipped images and the seconds taken.
    public func run(samples: [DatasetSample], options: ExtractionOptions,
                    progress: ((Int, Int) -> Void)? = nil) throws -> (count: Int, skipped: [DatasetError], seconds: Double) {
        guard !samples.isEmpty else { throw DatasetError("the dataset is empty: no image to crop") }
        let t = monotonicSeconds()
        var skipped: [DatasetError] = [], count = 0, start = 0
        while start < samples.count {
            let batch = Array(samples[start..<min(start + options.batchSize, samples.count)])
            count += try crops(of: batch, firstIndex: start, options: options, skipped: &skipped).count
            start += batch.count
            progress?(start, samples.count)
        }
        return (count, skipped, monotonicSeconds() - t)
    }
}
