#if canImport(Glibc)
import Glibc
#endif
import Checkpoint

/// Runs `body`; any error becomes one line `TOOL: error: ...` on stderr and exit status 1. Standard output
/// is line-buffered so that the log keeps its order with the progress lines on stderr when piped.
public func runReportingErrors(_ body: () throws -> Void) {
    setvbuf(stdout, nil, _IOLBF, 0)
    let tool = CommandLine.arguments.first.map { String($0.split(separator: "/").last ?? Substring($0)) } ?? "ckpt"
    do {
        try body()
    } catch let error as CheckpointError {
        fputs("\(tool): error: \(error.description)\n", stderr)
        exit(1)
    } catch {
        fputs("\(tool): error: \(error)\n", stderr)
        exit(1)
    }
}

/// Parses `f32|f16|bf16|f64` (also `fp32`, `float16`, ...).
public func parseDType(_ text: String) throws -> DType {
    let aliases: [String: DType] = ["fp32": .f32, "float32": .f32, "fp16": .f16, "float16": .f16, "half": .f16,
                                    "bfloat16": .bf16, "fp64": .f64, "float64": .f64]
    if let dtype = DType(rawValue: text) ?? aliases[text], [.f32, .f16, .bf16, .f64].contains(dtype) { return dtype }
    throw CheckpointError("unknown --dtype '\(text)' (expected f32, f16, bf16 or f64)")
}
