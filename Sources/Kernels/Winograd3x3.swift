import CKernels

/// 3×3, stride-1, padding-1 convolution by Winograd's F(2×2, 3×3) algorithm: each 2×2 output tile is
/// `Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d Bᵀ)] A` of the 4×4 input tile d, so the channel sums become 16 GEMMs
/// `[out, in] × [in, tiles]` with 16 multiplications per tile instead of 36: 2.25× fewer FLOPs than
/// direct or im2col convolution. The transforms only add, subtract and halve, so the rounding stays
/// that of a direct convolution (VAE parity in docs/parity.md). Work is tiled over rows of output tiles;
/// scratch is two `16 × channels × tiles` buffers per worker (a few MB). With bf16 planes
/// (`Weight.packedForBF16Winograd`, `ComputePrecision.bf16`) the 16 GEMMs run on AVX512_BF16: U rounded to
/// bf16 once at load, each panel of V as it is packed, f32 accumulation; the transforms and the bias stay f32.
public struct Winograd3x3 {
    public let inChannels: Int
    public let outChannels: Int
    /// Transformed weights `U[ξ] = G g Gᵀ`.
    let planes: Planes

    /// The 16 planes of `U`, in the precision their GEMMs take.
    enum Planes {
        /// `[16, out, in]` f32, for `GEMM.multiply`.
        case f32(OwnedFloats)
        /// `[16, ⌈out/8⌉·8, 2⌈in/2⌉]` bf16 rows in k pairs (`Weight.Elements.winogradBF16`, kept alive by `owner`),
        /// for the AVX512_BF16 GEMM (`dk_bf16gemm_weight_left`).
        case bf16(UnsafePointer<UInt16>, owner: AnyObject)
    }

    /// Transforms `weight` (`[out, in, 3, 3]`, any storage precision) once; a `.winogradBF16` weight (from
    /// `Weight.packedForBF16Winograd`) already holds its planes and is used as it is.
    public init(weight: Weight) {
        precondition(weight.shape.count == 4 && weight.shape[2] == 3 && weight.shape[3] == 3, "Winograd needs a 3×3 kernel, got \(weight.shape)")
        outChannels = weight.shape[0]
        inChannels = weight.shape[1]
        if case .winogradBF16(let p) = weight.elements {
            planes = .bf16(p, owner: weight.owner)
        } else {
            planes = .f32(Winograd3x3.transformKernels(weight))
        }
    }

    /// True when the GEMMs take bf16 planes (and so bf16-rounded transformed tiles).
    public var computesInBF16: Bool {
        if case .bf16 = planes { return dk_bf16_level() > 0 }
        return false
    }

    /// `U[ξ] = G g Gᵀ` of every (out, in) kernel of `weight` `[out, in, 3, 3]`: `[16, out, in]` f32.
    static func transformKernels(_ weight: Weight) -> OwnedFloats {
        let outChannels = weight.shape[0], pairs = outChannels * weight.shape[1]
        let transformed = OwnedFloats(count: 16 * pairs)
        let u = transformed.pointer
        weight.withFloatRows(0..<outChannels) { g in
            Parallel.forRanges(pairs, grain: 256) { range in
                for pair in range {
                    let k = g + pair * 9
                    // G g: each kernel column (a, b, d) → (a, (a+b+d)/2, (a-b+d)/2, d); then the same on rows.
                    func lift(_ a: Float, _ b: Float, _ d: Float) -> (Float, Float, Float, Float) { (a, (a + b + d) * 0.5, (a - b + d) * 0.5, d) }
                    let c0 = lift(k[0], k[3], k[6]), c1 = lift(k[1], k[4], k[7]), c2 = lift(k[2], k[5], k[8])
                    let rows = [lift(c0.0, c1.0, c2.0), lift(c0.1, c1.1, c2.1), lift(c0.2, c1.2, c2.2), lift(c0.3, c1.3, c2.3)]
                    for (r, row) in rows.enumerated() {
                        u[(r * 4) * pairs + pair] = row.0
                        u[(r * 4 + 1) * pairs + pair] = row.1
                        u[(r * 4 + 2) * pairs + pair] = row.2
                        u[(r * 4 + 3) * pairs + pair] = row.3
                    }
                }
            }
        }
        return transformed
    }

    /// `UInt16`s per bf16 plane: `[⌈out/8⌉·8, 2⌈in/2⌉]`.
    static func bf16PlaneCount(outChannels: Int, inChannels: Int) -> Int { dk_packed_bf16_rows_count(outChannels, inChannels) }

    /// Kernels `rows` of `[out, in, 3, 3]` back from bf16 planes: `g = H U Hᵀ` with H's rows (1, 0, 0, 0),
    /// (0, 1, −1, 0), (0, 0, 0, 1) (G's rows 0, 1 − 2 and 3 are the unit vectors), so each g value is one plane
    /// value or a difference of two, from bf16-rounded planes. `into`: `[rows.count, in, 3, 3]` f32.
    static func recoverKernels(_ planes: UnsafePointer<UInt16>, outChannels: Int, inChannels: Int, rows: Range<Int>,
                               into g: UnsafeMutablePointer<Float>) {
        let plane = bf16PlaneCount(outChannels: outChannels, inChannels: inChannels), ld = (inChannels + 1) / 2 * 2
        let h: [[(index: Int, sign: Float)]] = [[(0, 1)], [(1, 1), (2, -1)], [(3, 1)]]
        for o in rows {
            for i in 0..<inChannels {
                func u(_ xi: Int) -> Float { Float(bitPattern: UInt32(planes[xi * plane + o * ld + i]) << 16) }
                for a in 0..<3 {
                    for b in 0..<3 {
                        var value: Float = 0
                        for r in h[a] { for c in h[b] { value += r.sign * c.sign * u(r.index * 4 + c.index) } }
                        g[((o - rows.lowerBound) * inChannels + i) * 9 + a * 3 + b] = value
                    }
                }
            }
        }
    }

    /// Scratch budget per worker for the transformed input of one chunk of tiles, in floats (4 MB).
    public static var chunkBudget = 1 << 20

    /// `output = conv3x3(input, pad 1) + bias` (or `output += …` when `accumulate`).
    /// - Parameters:
    ///   - input: `[batch, in, height, width]` f32.
    ///   - output: `[batch, out, height, width]` f32.
    public func forward(_ input: UnsafePointer<Float>, batch: Int, height: Int, width: Int, bias: [Float]?,
                        output: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        Profile.measure("conv-winograd") {
            let tilesX = (width + 1) / 2, tilesY = (height + 1) / 2
            let rowsPerChunk = max(1, min(tilesY, Winograd3x3.chunkBudget / max(16 * inChannels * tilesX, 1)))
            let biasValues = bias ?? [Float](repeating: 0, count: outChannels)
            for n in 0..<batch {
                let x = input + n * inChannels * height * width
                let y = output + n * outChannels * height * width
                Parallel.forRanges(tilesY, grain: 1) { tileRows in
                    let capacity = min(rowsPerChunk, tileRows.count) * tilesX
                    let v = UnsafeMutablePointer<Float>.allocate(capacity: 16 * inChannels * capacity)  // [16, in, tiles] f32
                    let m = UnsafeMutablePointer<Float>.allocate(capacity: 16 * outChannels * capacity + 8)  // [16, out, tiles] f32 (+ 8: vector over-read)
                    let stride = Winograd3x3.rowStride(tilesX)
                    // Input rows of a chunk split into even / odd columns: [2, 2·chunk rows + 2, stride] f32; or
                    // 4 output rows (top / bottom × even / odd columns) of one tile row: [4, stride] f32.
                    let rows = UnsafeMutablePointer<Float>.allocate(capacity: max(2 * (2 * min(rowsPerChunk, tileRows.count) + 2), 4) * stride)
                    defer { v.deallocate(); m.deallocate(); rows.deallocate() }
                    var start = tileRows.lowerBound
                    while start < tileRows.upperBound {
                        let end = min(tileRows.upperBound, start + rowsPerChunk)
                        let tiles = (end - start) * tilesX
                        transformInput(x, height: height, width: width, tileRows: start..<end, tilesX: tilesX, into: v, tiles: tiles, scratch: rows)
                        for xi in 0..<16 {
                            multiply(plane: xi, v + xi * inChannels * tiles, tiles: tiles, into: m + xi * outChannels * tiles)
                        }
                        biasValues.withUnsafeBufferPointer { b in
                            transformOutput(m, tiles: tiles, tileRows: start..<end, tilesX: tilesX, height: height, width: width,
                                            bias: b.baseAddress!, into: y, accumulate: accumulate, scratch: rows)
                        }
                        start = end
                    }
                }
            }
        }
    }

    /// `M[ξ] = U[ξ] · V[ξ]`: `[out, in] × [in, tiles]` → `m` `[out, tiles]` f32 — `GEMM.multiply` for f32 planes, the
    /// AVX512_BF16 GEMM (V rounded to bf16 as it is packed, f32 accumulation) for bf16 ones; bf16 planes with
    /// the unit turned off after packing are widened to f32 and go through `GEMM.multiply`.
    func multiply(plane xi: Int, _ v: UnsafePointer<Float>, tiles: Int, into m: UnsafeMutablePointer<Float>) {
        switch planes {
        case .f32(let u):
            GEMM.multiply(m: outChannels, n: tiles, k: inChannels, a: GEMM.Matrix(u.pointer + xi * outChannels * inChannels, rowStride: inChannels),
                          b: v, ldb: tiles, bTransposed: false, c: m, ldc: tiles, parallel: false)
        case .bf16(let u, _):
            let plane = u + xi * Winograd3x3.bf16PlaneCount(outChannels: outChannels, inChannels: inChannels)
            if dk_bf16_level() > 0 {
                let status = dk_bf16gemm_weight_left(outChannels, tiles, inChannels, plane, v, tiles, m, tiles, 0)
                precondition(status == 0, "bf16 Winograd GEMM: out of memory for the \(inChannels)-deep panel buffer")
                return
            }
            let ld = (inChannels + 1) / 2 * 2
            let wide = UnsafeMutablePointer<Float>.allocate(capacity: outChannels * inChannels)  // [out, in] f32
            defer { wide.deallocate() }
            for o in 0..<outChannels { HalfConversion.widenBFloat16(plane + o * ld, wide + o * inChannels, count: inChannels) }
            GEMM.multiply(m: outChannels, n: tiles, k: inChannels, a: GEMM.Matrix(wide, rowStride: inChannels), b: v, ldb: tiles,
                          bTransposed: false, c: m, ldc: tiles, parallel: false)
        }
    }

    /// Floats per even/odd row buffer: `tilesX + 1` values, padded so 8-wide loads at any tile stay inside.
    static func rowStride(_ tilesX: Int) -> Int { (tilesX + 1 + 8 + 7) / 8 * 8 }

    /// `V[ξ][i][t] = (Bᵀ d B)[ξ]` for every input channel i and tile t of `tileRows`. The chunk's input
    /// rows (zero-padded by one pixel) are first split into even and odd columns, once per channel, so
    /// 8 neighbouring tiles transform as plain vectors: tile tx reads even[tx], odd[tx], even[tx+1], odd[tx+1].
    func transformInput(_ x: UnsafePointer<Float>, height: Int, width: Int, tileRows: Range<Int>, tilesX: Int,
                        into v: UnsafeMutablePointer<Float>, tiles: Int, scratch: UnsafeMutablePointer<Float>) {
        let stride = Winograd3x3.rowStride(tilesX)
        let firstRow = 2 * tileRows.lowerBound - 1, rowCount = 2 * tileRows.count + 2
        let evenRows = scratch, oddRows = scratch + rowCount * stride
        for i in 0..<inChannels {
            let plane = x + i * height * width
            for r in 0..<rowCount {
                let even = evenRows + r * stride, odd = oddRows + r * stride
                let sy = firstRow + r
                guard sy >= 0, sy < height else {
                    even.update(repeating: 0, count: stride)
                    odd.update(repeating: 0, count: stride)
                    continue
                }
                // Padded row p[j] = x[j - 1]: even[k] = p[2k] = x[2k - 1], odd[k] = p[2k + 1] = x[2k].
                let src = plane + sy * width
                let pairs = (width - 1) / 2  // k = 1 ... pairs have both x[2k - 1] and x[2k] inside the row
                even[0] = 0
                odd[0] = src[0]
                var k = 1
                while k <= pairs {
                    even[k] = src[2 * k - 1]
                    odd[k] = src[2 * k]
                    k += 1
                }
                if k <= tilesX {  // even width: the last column only has its odd-indexed neighbour
                    even[k] = 2 * k - 1 < width ? src[2 * k - 1] : 0
                    odd[k] = 0
                    k += 1
                }
                (even + k).update(repeating: 0, count: stride - k)
                (odd + k).update(repeating: 0, count: stride - k)
            }
            for (rowIndex, ty) in tileRows.enumerated() {
                let top = 2 * ty - 1 - firstRow  // local index of input row 2ty - 1
                let base = rowIndex * tilesX
                var tx = 0
                while tx < tilesX {
                    let count = min(8, tilesX - tx)
                    @inline(__always) func row(_ r: Int) -> (Float8, Float8, Float8, Float8) {
                        let even = evenRows + (top + r) * stride + tx, odd = oddRows + (top + r) * stride + tx
                        return Winograd3x3.inputLift(load8(even), load8(odd), load8(even + 1), load8(odd + 1))
                    }
                    @inline(__always) func put(_ xi: Int, _ value: Float8) {
                        let dst = v + (xi * inChannels + i) * tiles + base + tx
                        if count == 8 {
                            store8(value, dst)
                        } else {
                            for lane in 0..<count { dst[lane] = value[lane] }
                        }
                    }
                    // d·B on each of the 4 rows, then Bᵀ·(dB) down each column; ξ = row·4 + column.
                    let a0 = row(0), a1 = row(1), a2 = row(2), a3 = row(3)
                    let c0 = Winograd3x3.inputLift(a0.0, a1.0, a2.0, a3.0)
                    let c1 = Winograd3x3.inputLift(a0.1, a1.1, a2.1, a3.1)
                    let c2 = Winograd3x3.inputLift(a0.2, a1.2, a2.2, a3.2)
                    let c3 = Winograd3x3.inputLift(a0.3, a1.3, a2.3, a3.3)
                    put(0, c0.0); put(4, c0.1); put(8, c0.2); put(12, c0.3)
                    put(1, c1.0); put(5, c1.1); put(9, c1.2); put(13, c1.3)
                    put(2, c2.0); put(6, c2.1); put(10, c2.2); put(14, c2.3)
                    put(3, c3.0); put(7, c3.1); put(11, c3.2); put(15, c3.3)
                    tx += 8
                }
            }
        }
    }

    /// Bᵀ applied to four values: (d0 - d2, d1 + d2, d2 - d1, d1 - d3).
    @inline(__always)
    static func inputLift(_ d0: Float8, _ d1: Float8, _ d2: Float8, _ d3: Float8) -> (Float8, Float8, Float8, Float8) {
        (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
    }

    /// Aᵀ applied to four values: (m0 + m1 + m2, m1 - m2 - m3).
    @inline(__always)
    static func outputFold(_ m0: Float8, _ m1: Float8, _ m2: Float8, _ m3: Float8) -> (Float8, Float8) {
        (m0 + m1 + m2, m1 - m2 - m3)
    }

    /// `y = Aᵀ M A + bias` per output channel and tile. One tile row is folded into four row buffers
    /// (top / bottom output row × even / odd column), then interleaved into the image rows, clipped to
    /// the image (odd sizes), written or added.
    func transformOutput(_ m: UnsafePointer<Float>, tiles: Int, tileRows: Range<Int>, tilesX: Int, height: Int, width: Int,
                         bias: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, accumulate: Bool, scratch: UnsafeMutablePointer<Float>) {
        let stride = Winograd3x3.rowStride(tilesX)
        let topEven = scratch, topOdd = scratch + stride, bottomEven = scratch + 2 * stride, bottomOdd = scratch + 3 * stride
        for o in 0..<outChannels {
            let plane = y + o * height * width
            let b = Float8(repeating: bias[o])
            for (rowIndex, ty) in tileRows.enumerated() {
                var tx = 0
                while tx < tilesX {
                    let t = rowIndex * tilesX + tx
                    @inline(__always) func at(_ xi: Int) -> Float8 { load8(m + (xi * outChannels + o) * tiles + t) }
                    // Aᵀ·M·A: fold each row of M, then fold the columns of the result. (Reads past the last
                    // tile of the chunk land in the buffer's padding; those lanes are never stored.)
                    let r0 = Winograd3x3.outputFold(at(0), at(1), at(2), at(3))
                    let r1 = Winograd3x3.outputFold(at(4), at(5), at(6), at(7))
                    let r2 = Winograd3x3.outputFold(at(8), at(9), at(10), at(11))
                    let r3 = Winograd3x3.outputFold(at(12), at(13), at(14), at(15))
                    let left = Winograd3x3.outputFold(r0.0, r1.0, r2.0, r3.0), right = Winograd3x3.outputFold(r0.1, r1.1, r2.1, r3.1)
                    store8(left.0 + b, topEven + tx)
                    store8(right.0 + b, topOdd + tx)
                    store8(left.1 + b, bottomEven + tx)
                    store8(right.1 + b, bottomOdd + tx)
                    tx += 8
                }
                let oy = 2 * ty
                Winograd3x3.interleave(topEven, topOdd, into: plane + oy * width, count: width, accumulate: accumulate)
                if oy + 1 < height {
                    Winograd3x3.interleave(bottomEven, bottomOdd, into: plane + (oy + 1) * width, count: width, accumulate: accumulate)
                }
            }
        }
    }

    /// `row[2k] = even[k]`, `row[2k + 1] = odd[k]` for the first `count` pixels (or `+=`).
    @inline(__always)
    static func interleave(_ even: UnsafePointer<Float>, _ odd: UnsafePointer<Float>, into row: UnsafeMutablePointer<Float>, count: Int,
                           accumulate: Bool) {
        let pairs = count / 2
        if accumulate {
            for k in 0..<pairs {
                row[2 * k] += even[k]
                row[2 * k + 1] += odd[k]
            }
            if count % 2 == 1 { row[count - 1] += even[pairs] }
        } else {
            for k in 0..<pairs {
                row[2 * k] = even[k]
                row[2 * k + 1] = odd[k]
            }
            if count % 2 == 1 { row[count - 1] = even[pairs] }
        }
    }
}
