#if canImport(Glibc)
import Glibc
#endif
import Checkpoint

/// Runs `body`; a `CheckpointError` becomes one line on stderr and exit status 1.
func runReportingErrors(_ body: () throws -> Void) {
    do {
        try body()
    } catch let error as CheckpointError {
        fputs("ckpt: error: \(error.description)\n", stderr)
        exit(1)
    } catch {
        fputs("ckpt: error: \(error)\n", stderr)
        exit(1)
    }
}

/// Parses `f32|f16|bf16|f64` (also `fp32`, `float16`, ...).
func parseDType(_ text: String) throws -> DType {
    let aliases: [String: DType] = ["fp32": .f32, "float32": .f32, "fp16": .f16, "float16": .f16, "half": .f16,
                                    "bfloat16": .bf16, "fp64": .f64, "float64": .f64]
    if let dtype = DType(rawValue: text) ?? aliases[text], [.f32, .f16, .bf16, .f64].contains(dtype) { return dtype }
    throw CheckpointError("unknown --dtype '\(text)' (expected f32, f16, bf16 or f64)")
}
