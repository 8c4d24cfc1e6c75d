import CKernels

/// Convolution weights rounded to bf16 and packed once at load for the AVX512_BF16 GEMM with the weight on the
/// left (`dk_bf16gemm_weight_left`): `C[out, pixels] = W[out, depth] · columns[depth, pixels]`.
extension Weight {
    /// The kernel `[out, in, k, k]` rounded to bf16 (torch's round to nearest even) into rows of k pairs
    /// (`.packedBF16Rows`, `dk_pack_rows_bf16`) for `Conv2D`'s bf16 GEMM, when this CPU has AVX512_BF16
    /// (`dk_bf16_level`) and the weight is not packed yet; else `self`. Any f32/f16/bf16 source (16-bit
    /// weights are widened first). `releasingFilePages` as in `packedForGEMM`.
    public func packedForBF16Convolution(releasingFilePages: Bool = false) -> Weight {
        guard dk_bf16_level() > 0, shape.count == 4, shape[0] > 0, rowLength > 0, !isPacked else { return self }
        let buffer = OwnedHalves(count: dk_packed_bf16_rows_count(shape[0], rowLength))  // [⌈out/8⌉·8, 2⌈in·k·k/2⌉] bf16
        withFloatRows(0..<shape[0]) { dk_pack_rows_bf16($0, shape[0], rowLength, rowLength, buffer.pointer) }
        if releasingFilePages { releaseSourcePages() }
        return Weight(shape: shape, elements: .packedBF16Rows(UnsafePointer(buffer.pointer)), owner: buffer)
    }

    /// A 3×3 kernel `[out, in, 3, 3]` as its 16 Winograd planes `U[ξ] = G g Gᵀ`, transformed in f32 exactly as the
    /// f32 `Winograd3x3` does, then each plane rounded to bf16 once into rows of k pairs (`.winogradBF16`), when
    /// this CPU has AVX512_BF16 and the weight is not packed yet; else `self`. The f32 planes live only while
    /// they are rounded (one layer at a time). `releasingFilePages` as in `packedForGEMM`.
    public func packedForBF16Winograd(releasingFilePages: Bool = false) -> Weight {
        guard dk_bf16_level() > 0, shape.count == 4, shape[2] == 3, shape[3] == 3, shape[0] > 0, shape[1] > 0, !isPacked else { return self }
        let (out, inC) = (shape[0], shape[1])
        let plane = Winograd3x3.bf16PlaneCount(outChannels: out, inChannels: inC)
        let buffer = OwnedHalves(count: 16 * plane)  // [16, ⌈out/8⌉·8, 2⌈in/2⌉] bf16
        let planes = Winograd3x3.transformKernels(self)  // [16, out, in] f32
        for xi in 0..<16 { dk_pack_rows_bf16(planes.pointer + xi * out * inC, out, inC, inC, buffer.pointer + xi * plane) }
        if releasingFilePages { releaseSourcePages() }
        return Weight(shape: shape, elements: .winogradBF16(UnsafePointer(buffer.pointer)), owner: buffer)
    }

    /// The bf16 rows of a `.packedBF16Rows` weight when the bf16 GEMM can run now (else nil: compute in f32).
    var bf16Rows: UnsafePointer<UInt16>? {
        if case .packedBF16Rows(let p) = elements, dk_bf16_level() > 0 { return p }
        return nil
    }
}
