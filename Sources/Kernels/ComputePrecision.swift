import CKernels

/// The arithmetic of a model's large GEMMs (torch.autocast's split): `.bf16` rounds both operands to
/// bfloat16 and accumulates in f32 on AVX512_BF16 (`vdpbf16ps`); everything else (norms, softmax,
/// small layers, the sampler) stays f32 either way.
public enum ComputePrecision: String, CustomStringConvertible, Sendable {
    case f32, bf16

    /// True when this CPU runs the bf16 GEMM (AVX512_BF16 + AVX512BW/VL, not turned off by
    /// `DITPORT_VECTOR` / `DITPORT_BF16=off`).
    public static var bf16Available: Bool { dk_bf16_level() > 0 }

    /// The precision to compute in for a `dtype` setting (`fp32`, `fp16`, `bf16`) and, when it is not what
    /// was asked for, the one-line note saying so: bf16 on a CPU without AVX512_BF16 computes in f32.
    /// fp16 keeps its meaning (16-bit weights in memory, f32 compute).
    public static func resolve(dtype: String) -> (precision: ComputePrecision, note: String?) {
        guard dtype == "bf16" else { return (.f32, nil) }
        if bf16Available { return (.bf16, nil) }
        return (.f32, "note: dtype bf16: this CPU has no usable AVX512_BF16 (vdpbf16ps), computing in float32")
    }

    public var description: String { self == .bf16 ? "bf16 GEMMs, f32 accumulation" : "float32" }
}
