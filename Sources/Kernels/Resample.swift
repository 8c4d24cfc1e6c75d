/// Spatial resampling of NCHW activations.
public enum Resample {
    /// `F.interpolate(x, scale_factor=2, mode="nearest")`: `out[y, x] = in[y/2, x/2]` per plane.
    /// - Parameters:
    ///   - input: `[planes, height, width]` f32 (planes = batch · channels).
    ///   - output: `[planes, 2·height, 2·width]` f32.
    public static func nearest2x(_ input: UnsafePointer<Float>, planes: Int, height: Int, width: Int, output: UnsafeMutablePointer<Float>) {
        Profile.measure("upsample") {
            Parallel.forEach(planes) { plane in
                let src = input + plane * height * width
                let dst = output + plane * 4 * height * width
                for y in 0..<height {
                    let row = dst + 2 * y * 2 * width
                    let s = src + y * width
                    for x in 0..<width {
                        row[2 * x] = s[x]
                        row[2 * x + 1] = s[x]
                    }
                    (row + 2 * width).update(from: row, count: 2 * width)
                }
            }
        }
    }
}
