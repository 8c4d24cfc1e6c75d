import Checkpoint
import Datasets
import Foundation

/// The `.npz` of a FID folder, as sample_ddp.py's `create_npz_from_sample_folder`: PNGs
/// `000000.png … {count−1}.png` decoded (PNG is lossless, so these are the sampled bytes) and stacked
/// into `arr_0` uint8 `[count, H, W, 3]` — streamed one image at a time into `NumpyArchiveWriter`
/// (numpy's bytes, zip64 beyond 2 GiB as zipfile does), published atomically.
public enum FIDSampleArchive {
    public static func write(layout: FIDSampleLayout, imageSize: Int) throws {
        let shape = [layout.count, imageSize, imageSize, 3]
        try NumpyArchiveWriter.write(to: layout.archivePath, dtype: .u8, shape: shape) { stream in
            for index in 0..<layout.count {
                let path = layout.pngPath(index)
                guard FileManager.default.fileExists(atPath: path) else {
                    throw SampleConfig.Failure(description: "\(path): missing (no process wrote sample \(index))")
                }
                let image = try ImageDecoder.decode(file: path)
                guard image.width == imageSize, image.height == imageSize else {
                    throw SampleConfig.Failure(description: "\(path): \(image.width)×\(image.height) image, expected \(imageSize)×\(imageSize) (image_size)")
                }
                try stream.append(image.pixels)
            }
        }
    }
}
