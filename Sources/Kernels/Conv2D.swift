import CKernels

/// 2-D convolution over NCHW f32 activations with PyTorch weights `[out, in, kh, kw]`.
///
/// 1×1 stride-1 convolutions are one GEMM over the pixels. Everything else (3×3, strided, patch
/// embedding, asymmetric padding) builds the im2col matrix one tile of output pixels at a time, so the
/// scratch is `in·kh·kw × tile` (a few MB) instead of `in·kh·kw × all pixels` (600 MB for the VAE's
/// largest layer), then multiplies it by the weight in one GEMM per tile: `GEMM.multiply`, or with a
/// `.packedBF16Rows` weight (`Weight.packedForBF16Convolution`) the AVX512_BF16 GEMM, the columns rounded to
/// bf16 as each 48-pixel panel is packed, f32 accumulation onto the bias / residual.
public struct Conv2D {
    public var inChannels: Int
    public var outChannels: Int
    public var kernel: Int
    public var stride: Int
    /// Zero padding (top, left, bottom, right). The VAE downsampler pads (0, 0, 1, 1).
    public var padding: (top: Int, left: Int, bottom: Int, right: Int)

    public init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0) {
        self.init(inChannels: inChannels, outChannels: outChannels, kernel: kernel, stride: stride,
                  padding: (padding, padding, padding, padding))
    }

    public init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: (top: Int, left: Int, bottom: Int, right: Int)) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
    }

    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        ((height + padding.top + padding.bottom - kernel) / stride + 1, (width + padding.left + padding.right - kernel) / stride + 1)
    }

    /// Scratch budget per worker for one im2col tile, in floats (8 MB).
    public static var tileBudget = 2 << 20

    /// `output[n, o, y, x] = bias[o] + Σ weight[o, i, u, v] · input[n, i, y·s - top + u, x·s - left + v]`.
    /// - Parameters:
    ///   - input: `[batch, inChannels, height, width]` f32.
    ///   - output: `[batch, outChannels, outHeight, outWidth]` f32 (see `outputSize`).
    ///   - accumulate: add the convolution to what `output` holds (a residual) instead of overwriting it.
    public func forward(_ input: UnsafePointer<Float>, batch: Int, height: Int, width: Int, weight: Weight, bias: [Float]?,
                        output: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        Profile.measure("conv-im2col") {
            precondition(weight.shape == [outChannels, inChannels, kernel, kernel], "conv weight \(weight.shape) for \(inChannels)→\(outChannels) k\(kernel)")
            let (oh, ow) = outputSize(height: height, width: width)
            let pixels = oh * ow, depth = inChannels * kernel * kernel
            let pointwise = kernel == 1 && stride == 1 && padding == (0, 0, 0, 0)
            let tile = pointwise ? pixels : max(64, min(pixels, Conv2D.tileBudget / max(depth, 1)) / 16 * 16)
            let bf16 = weight.bf16Rows  // `.packedBF16Rows` with the unit on: the AVX512_BF16 GEMM, else sgemm on f32 rows
            func convolve(_ w: UnsafePointer<Float>?) {
                for n in 0..<batch {
                    let x = input + n * inChannels * height * width
                    let y = output + n * outChannels * pixels
                    Parallel.forRanges(pixels, grain: 64, alignment: 16) { range in
                        var columns: UnsafeMutablePointer<Float>? = nil  // [depth, tile] f32 im2col scratch
                        if !pointwise { columns = .allocate(capacity: depth * min(tile, range.count)) }
                        defer { columns?.deallocate() }
                        var start = range.lowerBound
                        while start < range.upperBound {
                            let count = min(tile, range.upperBound - start)
                            if let bias {
                                for o in 0..<outChannels {
                                    let row = y + o * pixels + start, b = bias[o]
                                    if accumulate {
                                        for j in 0..<count { row[j] += b }
                                    } else {
                                        row.update(repeating: b, count: count)
                                    }
                                }
                            }
                            let b: UnsafePointer<Float>, ldb: Int
                            if let columns {
                                im2col(x, height: height, width: width, outWidth: ow, pixels: start..<(start + count), into: columns)
                                (b, ldb) = (UnsafePointer(columns), count)
                            } else {
                                (b, ldb) = (x + start, pixels)
                            }
                            if let bf16 {
                                let status = dk_bf16gemm_weight_left(outChannels, count, depth, bf16, b, ldb, y + start, pixels,
                                                                     (bias == nil && !accumulate) ? 0 : 1)
                                precondition(status == 0, "bf16 convolution GEMM: out of memory for the \(depth)-deep panel buffer")
                            } else {
                                GEMM.multiply(m: outChannels, n: count, k: depth, a: GEMM.Matrix(w!, rowStride: depth), b: b, ldb: ldb,
                                              bTransposed: false, c: y + start, ldc: pixels, accumulate: bias != nil || accumulate, parallel: false)
                            }
                            start += count
                        }
                    }
                }
            }
            if bf16 != nil { convolve(nil) } else { weight.withFloatRows(0..<outChannels) { convolve($0) } }
        }
    }

    /// Rows `(i·k + u)·k + v`, columns = output pixels `pixels` (flattened `y·outWidth + x`).
    func im2col(_ x: UnsafePointer<Float>, height: Int, width: Int, outWidth: Int, pixels: Range<Int>, into columns: UnsafeMutablePointer<Float>) {
        let count = pixels.count
        for i in 0..<inChannels {
            let plane = x + i * height * width
            for u in 0..<kernel {
                for v in 0..<kernel {
                    let row = columns + ((i * kernel + u) * kernel + v) * count
                    var p = pixels.lowerBound
                    while p < pixels.upperBound {
                        let oy = p / outWidth, ox0 = p % outWidth
                        let runEnd = min(pixels.upperBound, p - ox0 + outWidth)  // the rest of this output row
                        let sy = oy * stride - padding.top + u
                        let dst = row + (p - pixels.lowerBound)
                        let runLength = runEnd - p
                        if sy < 0 || sy >= height {
                            dst.update(repeating: 0, count: runLength)
                        } else {
                            let src = plane + sy * width
                            let base = v - padding.left
                            if stride == 1 {
                                // Valid x range where 0 <= ox + base < width; zeros outside.
                                let lo = min(runLength, max(0, -(ox0 + base))), hi = max(lo, min(runLength, width - base - ox0))
                                if lo > 0 { dst.update(repeating: 0, count: lo) }
                                if hi > lo { dst.advanced(by: lo).update(from: src + ox0 + lo + base, count: hi - lo) }
                                if runLength > hi { dst.advanced(by: hi).update(repeating: 0, count: runLength - hi) }
                            } else {
                                for j in 0..<runLength {
                                    let sx = (ox0 + j) * stride + base
                                    dst[j] = (sx >= 0 && sx < width) ? src[sx] : 0
                                }
                            }
                        }
                        p = runEnd
                    }
                }
            }
        }
    }
}
