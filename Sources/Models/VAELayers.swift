import Kernels

/// A Conv2d layer bound to its weights (`name.weight` `[out, in, k, k]`, `name.bias` `[out]`).
/// 3×3 stride-1 "same" convolutions run as Winograd F(2×2, 3×3); their transformed weights (16/9 of the
/// f32 size) are made once at load, or on each call when the weights are kept in half precision (so
/// `use_fp16` keeps its memory saving). Everything else runs as tiled im2col + GEMM. With `.bf16` the
/// weight is rounded and packed once at load (Winograd planes or GEMM rows in bf16, replacing the original in
/// `ModelWeights`) and the GEMMs run on AVX512_BF16 with f32 accumulation.
struct ConvLayer {
    let conv: Conv2D
    let weight: Weight
    let bias: [Float]
    let winograd: Winograd3x3?

    init(_ weights: ModelWeights, _ name: String, stride: Int = 1, padding: (top: Int, left: Int, bottom: Int, right: Int)? = nil,
         precision: ComputePrecision = .f32) throws {
        let original = try weights.weight(name + ".weight")
        guard original.shape.count == 4, original.shape[2] == original.shape[3] else {
            throw ModelError("weight '\(name).weight' has shape \(original.shape), expected [out, in, k, k]")
        }
        let k = original.shape[2], same = k / 2
        conv = Conv2D(inChannels: original.shape[1], outChannels: original.shape[0], kernel: k, stride: stride,
                      padding: padding ?? (same, same, same, same))
        bias = try weights.floats(name + ".bias", count: original.shape[0])
        let winogradShaped = ConvLayer.usesWinograd(conv)
        weight = precision == .f32 ? original
            : try weights.packedWeight(name + ".weight", precision: precision, role: winogradShaped ? .winograd3x3 : .convolution)
        let planesReady: Bool
        if case .winogradBF16 = weight.elements { planesReady = true } else { planesReady = !weight.isHalfPrecision }
        winograd = winogradShaped && planesReady ? Winograd3x3(weight: weight) : nil
    }

    static func usesWinograd(_ conv: Conv2D) -> Bool { conv.kernel == 3 && conv.stride == 1 && conv.padding == (1, 1, 1, 1) }

    func run(_ x: UnsafePointer<Float>, batch n: Int, height h: Int, width w: Int, output: UnsafeMutablePointer<Float>, accumulate: Bool) {
        if ConvLayer.usesWinograd(conv) {
            let transform = winograd ?? Winograd3x3(weight: weight)
            transform.forward(x, batch: n, height: h, width: w, bias: bias, output: output, accumulate: accumulate)
        } else {
            conv.forward(x, batch: n, height: h, width: w, weight: weight, bias: bias, output: output, accumulate: accumulate)
        }
    }

    /// `x` `[N, in, H, W]` → `[N, out, H', W']`.
    func callAsFunction(_ x: FloatTensor) -> FloatTensor {
        let (n, h, w) = (x.shape[0], x.shape[2], x.shape[3])
        let (oh, ow) = conv.outputSize(height: h, width: w)
        return FloatTensor(shape: [n, conv.outChannels, oh, ow]) { out in
            x.withUnsafeBufferPointer { run($0.baseAddress!, batch: n, height: h, width: w, output: out.baseAddress!, accumulate: false) }
        }
    }

    /// `residual + conv(x)` (the convolution accumulated onto the residual, no extra pass).
    func callAsFunction(_ x: FloatTensor, addingTo residual: FloatTensor) -> FloatTensor {
        var out = residual
        out.withUnsafeMutableBufferPointer { o in
            x.withUnsafeBufferPointer {
                run($0.baseAddress!, batch: x.shape[0], height: x.shape[2], width: x.shape[3], output: o.baseAddress!, accumulate: true)
            }
        }
        return out
    }
}

/// GroupNorm with affine parameters (eps 1e-6), optionally fused with the SiLU that follows it.
struct GroupNormLayer {
    let gamma: [Float]  // [C]
    let beta: [Float]  // [C]
    let groups: Int

    init(_ weights: ModelWeights, _ name: String, groups: Int) throws {
        gamma = try weights.floats(name + ".weight")
        beta = try weights.floats(name + ".bias", count: gamma.count)
        guard gamma.count % groups == 0 else { throw ModelError("'\(name)' has \(gamma.count) channels, not divisible into \(groups) groups") }
        self.groups = groups
    }

    /// `x` `[N, C, H, W]` (or `[N, C, L]`) → same shape.
    func callAsFunction(_ x: FloatTensor, silu: Bool) -> FloatTensor {
        var out = x
        let spatial = x.shape.dropFirst(2).reduce(1, *)
        out.withUnsafeMutableBufferPointer { p in
            Normalization.groupNorm(p.baseAddress!, p.baseAddress!, batch: x.shape[0], channels: x.shape[1], spatial: spatial,
                                    groups: groups, eps: 1e-6, gamma: gamma, beta: beta, silu: silu)
        }
        return out
    }
}

/// diffusers `ResnetBlock2D`: `shortcut(x) + conv2(SiLU(norm2(conv1(SiLU(norm1(x))))))`, the shortcut a
/// 1×1 conv when the channel count changes (dropout 0, output scale 1).
struct ResnetBlock {
    let norm1: GroupNormLayer
    let conv1: ConvLayer
    let norm2: GroupNormLayer
    let conv2: ConvLayer
    let shortcut: ConvLayer?

    init(_ weights: ModelWeights, _ name: String, groups: Int, precision: ComputePrecision = .f32) throws {
        norm1 = try GroupNormLayer(weights, name + ".norm1", groups: groups)
        conv1 = try ConvLayer(weights, name + ".conv1", precision: precision)
        norm2 = try GroupNormLayer(weights, name + ".norm2", groups: groups)
        conv2 = try ConvLayer(weights, name + ".conv2", precision: precision)
        shortcut = weights.tensors[name + ".conv_shortcut.weight"] == nil ? nil
            : try ConvLayer(weights, name + ".conv_shortcut", precision: precision)
    }

    func callAsFunction(_ x: FloatTensor) -> FloatTensor {
        let h = conv1(norm1(x, silu: true))
        return conv2(norm2(h, silu: true), addingTo: shortcut.map { $0(x) } ?? x)
    }
}

/// The mid-block self-attention (diffusers `Attention` from a deprecated attention block): GroupNorm,
/// one head of width C over the H·W positions, output projection, residual.
struct SpatialAttention {
    let norm: GroupNormLayer
    let projections: [(weight: Weight, bias: [Float])]  // to_q, to_k, to_v: [C, C] each
    let out: Weight  // [C, C]
    let outBias: [Float]  // [C]

    /// `.bf16`: the four projections rounded and packed once for the AVX512_BF16 GEMM; the attention itself
    /// (scores, softmax, weighted sum) and the residual stay f32.
    init(_ weights: ModelWeights, _ name: String, groups: Int, precision: ComputePrecision = .f32) throws {
        norm = try GroupNormLayer(weights, name + ".group_norm", groups: groups)
        let c = norm.gamma.count
        func matrix(_ key: String) throws -> Weight {
            precision == .f32 ? try weights.weight(key, shape: [c, c]) : try weights.packedWeight(key, shape: [c, c], precision: precision)
        }
        projections = try ["to_q", "to_k", "to_v"].map {
            (try matrix("\(name).\($0).weight"), try weights.floats("\(name).\($0).bias", count: c))
        }
        out = try matrix(name + ".to_out.0.weight")
        outBias = try weights.floats(name + ".to_out.0.bias", count: c)
    }

    func callAsFunction(_ x: FloatTensor) -> FloatTensor {
        let n = x.shape[0], c = x.shape[1], length = x.shape[2] * x.shape[3]
        let normed = norm(x, silu: false)
        var tokens = [Float](repeating: 0, count: n * length * c)  // [N, L, C]
        normed.withUnsafeBufferPointer { src in
            for item in 0..<n {
                for ch in 0..<c {
                    for l in 0..<length { tokens[(item * length + l) * c + ch] = src[(item * c + ch) * length + l] }
                }
            }
        }
        var qkv = [Float](repeating: 0, count: n * length * 3 * c)  // [N·L, 3C] (q | k | v)
        var attended = [Float](repeating: 0, count: n * length * c)  // [N·L, C]
        var projected = [Float](repeating: 0, count: n * length * c)  // [N·L, C]
        tokens.withUnsafeBufferPointer { t in qkv.withUnsafeMutableBufferPointer { q in
            for (i, p) in projections.enumerated() {
                Linear.forward(t.baseAddress!, rows: n * length, weight: p.weight, bias: p.bias, output: q.baseAddress! + i * c, outputStride: 3 * c)
            }
        } }
        qkv.withUnsafeBufferPointer { q in attended.withUnsafeMutableBufferPointer { a in
            Attention.fusedQKV(q.baseAddress!, batch: n, tokens: length, heads: 1, headDim: c, output: a.baseAddress!)
        } }
        attended.withUnsafeBufferPointer { a in projected.withUnsafeMutableBufferPointer { o in
            Linear.forward(a.baseAddress!, rows: n * length, weight: out, bias: outBias, output: o.baseAddress!)
        } }
        return FloatTensor(shape: x.shape) { result in
            x.withUnsafeBufferPointer { residual in
                for item in 0..<n {
                    for ch in 0..<c {
                        for l in 0..<length {
                            let at = (item * c + ch) * length + l
                            result[at] = projected[(item * length + l) * c + ch] + residual[at]
                        }
                    }
                }
            }
        }
    }
}

/// `F.interpolate(x, scale_factor=2, mode="nearest")` on `[N, C, H, W]`.
func upsampleNearest2x(_ x: FloatTensor) -> FloatTensor {
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    return FloatTensor(shape: [n, c, 2 * h, 2 * w]) { out in
        x.withUnsafeBufferPointer { Resample.nearest2x($0.baseAddress!, planes: n * c, height: h, width: w, output: out.baseAddress!) }
    }
}
