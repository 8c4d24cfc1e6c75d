import CLISupport
import Kernels

/// What a run's GEMMs compute in, from `dtype` (MindONE R2) or `use_fp16` (R1): torch.autocast's bf16 split
/// (`ComputePrecision.bf16`: the blocks' qkv, proj, fc1, fc2 and attention's products, forward and backward,
/// with bf16 operands and f32 accumulation; master weights, gradients, AdamW, EMA, loss, norms, adaLN and the
/// embedders in f32) or float32.
///
/// MindONE's `fp16` is AMP O2 in float16 with a loss scaler; a CPU has no fast float16 GEMM, so `fp16` takes
/// the bf16 path — same 16-bit operands, f32 accumulation, and bf16 keeps f32's exponent range, so no loss
/// scaling is needed — and says so. Without AVX512_BF16 both compute in float32 with a note.
enum PrecisionSettings {
    static let declarations: [SettingDeclaration] = [
        SettingDeclaration("dtype", .choice(["fp32", "fp16", "bf16"]), default: .none,
                           help: "GEMM precision: fp32; bf16 = bf16 GEMMs with f32 accumulation and f32 master weights (AVX512_BF16); fp16 (MindONE's AMP) computes as bf16 on a CPU."),
        SettingDeclaration("use_fp16", .bool, default: .bool(false), help: "MindONE R1's switch: True = dtype fp16 (when dtype is not given)."),
    ]

    /// The precision and the note line to print when it is not literally what was asked.
    static func resolve(_ settings: ResolvedSettings) -> (precision: ComputePrecision, note: String?) {
        let asked = settings.optionalString("dtype") ?? (settings.bool("use_fp16") ? "fp16" : "fp32")
        let key = settings.isGiven("dtype") ? "dtype \(asked)" : "use_fp16 True"
        switch asked {
        case "bf16":
            return ComputePrecision.resolve(dtype: "bf16")
        case "fp16":
            guard ComputePrecision.bf16Available else {
                return (.f32, "note: \(key): this CPU has neither a float16 GEMM nor AVX512_BF16 (vdpbf16ps), computing in float32")
            }
            return (.bf16, "note: \(key): a CPU has no float16 GEMM; computing as dtype bf16 (bf16 GEMMs, f32 accumulation and master weights; no loss scaling needed)")
        default:
            return (.f32, nil)
        }
    }
}
