import CKernels
import Foundation
import XCTest
@testable import Kernels

/// The AVX512_BF16 GEMM (`dk_bf16gemm_packed` through `Linear.forward`): its f32 → bf16 rounding is torch's
/// bit for bit, and its results stay within the error bound bf16 operands and f32 accumulation imply.
final class BF16GEMMTests: XCTestCase {
    /// torch's `.bfloat16()` of fixtures/dtype/casts (fixtures/generate/gen_dtype_conversion.py: ties to even,
    /// f32 subnormals, ±inf, NaN payloads, overflow into inf, random magnitudes and bit patterns).
    static func torchCasts() throws -> (source: [Float], bf16: [UInt16]) {
        let base = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../fixtures/dtype")
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: base.appendingPathComponent("casts.expected.json"))) as! [String: Any]
        let bytes = try Data(contentsOf: base.appendingPathComponent("casts.expected.bin"))
        func entry(_ name: String) -> Data {
            let tensors = index["tensors"] as! [[String: Any]]
            let t = tensors.first { $0["name"] as! String == name }!
            let offset = t["offset"] as! Int, count = t["nbytes"] as! Int
            return bytes.subdata(in: offset..<(offset + count))
        }
        let source = entry("f32").withUnsafeBytes { Array($0.bindMemory(to: UInt32.self)) }.map { Float(bitPattern: $0) }
        let bf16 = entry("f32_to_bf16").withUnsafeBytes { Array($0.bindMemory(to: UInt16.self)) }
        return (source, bf16)
    }

    /// Both conversions — the portable one that packs weights and the AVX-512 one that converts activations
    /// inside the GEMM — give torch's bits for every fixture value (NaN → 0xFFFF like torch's vectorised cast),
    /// and packing then unpacking a weight returns exactly those values.
    func testRoundingIsTorchsBitForBit() throws {
        defer { dk_limit_bf16_level(1) }
        let (source, expected) = try Self.torchCasts()
        XCTAssertEqual(source.count, 3112)
        var paths = ["portable"]
        if dk_limit_bf16_level(1) > 0 { paths.insert("AVX-512", at: 0) }
        for path in paths {
            if path == "portable" { dk_limit_bf16_level(0) }
            var got = [UInt16](repeating: 0x1234, count: source.count)
            dk_f32_to_bf16(source, source.count, &got)
            let bad = (0..<source.count).filter { got[$0] != expected[$0] }
            XCTAssertTrue(bad.isEmpty, "\(path): \(bad.count) differ, e.g. " + bad.prefix(4).map {
                String(format: "%08x → %04x, torch %04x", source[$0].bitPattern, got[$0], expected[$0]) }.joined(separator: "; "))
        }
        // A 97 × 32 weight (3 panels, the last one partial) holding the values: unpacked = torch's bf16 widened.
        let n = 97, k = 32
        let packed = [UInt16](unsafeUninitializedCapacity: dk_packed_bf16_count(n, k)) { buffer, count in
            dk_pack_weight_bf16(source, n, k, k, buffer.baseAddress!)
            count = dk_packed_bf16_count(n, k)
        }
        var unpacked = [Float](repeating: 0, count: n * k)  // [97, 32] f32
        dk_unpack_weight_bf16_rows(packed, k, 0, n, &unpacked)
        let mismatched = (0..<(n * k)).filter { unpacked[$0].bitPattern != UInt32(expected[$0]) << 16 }
        XCTAssertTrue(mismatched.isEmpty, "\(mismatched.count) packed weights differ from torch's bf16, first at \(mismatched.first ?? -1)")
    }

    /// Random shapes with tails in m (not a multiple of the 8-row tile), k (odd, and above the 2304-value
    /// k block) and n (not a multiple of the 48-column panel), input row stride wider than the row, panels
    /// and rows split over 1, 2 and 7 workers. Every output element is checked against an f64 reference:
    /// 1. against the exact inputs: |Δ| ≤ (2·2⁻⁸ + 2⁻¹⁶)·S + (k + 1)·2⁻²⁴·S′, where S = Σ|a||b| + |bias| —
    ///    each bf16 operand has relative error ≤ 2⁻⁸ (8 significant bits, round to nearest: 1 + 2⁻⁸ lies halfway
    ///    to 1 + 2⁻⁷, the next bf16 after 1), so a product a′b′ = ab(1 + δa)(1 + δb) is off by ≤ (2·2⁻⁸ + 2⁻¹⁶)|ab|;
    ///    vdpbf16ps forms each bf16 product exactly in f32 and rounds once per addition (k of them, + 1 for the
    ///    bias), each ≤ 2⁻²⁴ relative, on partial sums ≤ S′ = Σ|a′||b′| + |bias| ≤ (1 + 2⁻⁷ + 2⁻¹⁶)·S (first order;
    ///    the 1 % margin covers the higher-order terms).
    /// 2. against the bf16-rounded inputs (torch's rounding, `dk_f32_to_bf16` checked above): |Δ| ≤ (k + 1)·2⁻²⁴·S′
    ///    — only accumulation error left, which shows the kernel rounds its operands as torch does.
    /// With GELU: the same bounds through GELU's Lipschitz constant 1.13 (max |gelu′|), plus 2e-6 for the
    /// epilogue's GELU formula itself (VectorUnitTests' bound for the shared `act512`).
    func testGEMMWithinBF16BoundOfF64Reference() throws {
        let workers = Parallel.threadCount
        defer { Parallel.threadCount = workers }
        var rng = TestRandom(seed: 15)
        guard ComputePrecision.bf16Available else {
            // No AVX512_BF16 here: bf16 packing is declined and dtype bf16 computes in f32 with a note.
            let w = Weight(shape: [48, 4], values: rng.floats(192))
            XCTAssertFalse(w.packedForBF16GEMM().isPacked)
            XCTAssertEqual(ComputePrecision.resolve(dtype: "bf16").precision, .f32)
            XCTAssertNotNil(ComputePrecision.resolve(dtype: "bf16").note)
            return
        }
        XCTAssertEqual(ComputePrecision.resolve(dtype: "bf16").precision, .bf16)
        // (rows, in, out, workers)
        for (rows, inF, outF, threads) in [(1, 1, 1, 1), (5, 7, 47, 2), (13, 129, 50, 2), (9, 2305, 97, 2), (67, 40, 144, 7),
                                           (3, 3, 48, 1), (200, 96, 96, 7), (16, 4610, 49, 2)] {
            Parallel.threadCount = threads
            let x = rng.floats(rows * inF), w = rng.floats(outF * inF, scale: 0.5), b = rng.floats(outF)
            let packed = Weight(shape: [outF, inF], values: w).packedForBF16GEMM()
            XCTAssertTrue(packed.isPacked)
            var xb = [UInt16](repeating: 0, count: x.count), wb = [UInt16](repeating: 0, count: w.count)
            dk_f32_to_bf16(x, x.count, &xb)
            dk_f32_to_bf16(w, w.count, &wb)
            func wide(_ bits: UInt16) -> Double { Double(Float(bitPattern: UInt32(bits) << 16)) }
            let u8 = 0x1p-8, u24 = 0x1p-24, accumulation = Double(inF + 1) * u24 * (1 + 0x1p-7 + 0x1p-16) * 1.01
            for activation in [Activation.none, .geluTanh] where activation == .none || rows == 13 {
                let stride = inF + 3
                var strided = [Float](repeating: .nan, count: rows * stride)  // [rows, in + 3] f32, NaN in the gap (never read)
                for r in 0..<rows { for i in 0..<inF { strided[r * stride + i] = x[r * inF + i] } }
                var got = [Float](repeating: .nan, count: rows * outF)  // [rows, out] f32
                strided.withUnsafeBufferPointer { xp in got.withUnsafeMutableBufferPointer { yp in
                    Linear.forward(xp.baseAddress!, rows: rows, weight: packed, bias: b, output: yp.baseAddress!,
                                   inputStride: stride, activation: activation)
                } }
                let lipschitz = activation == .none ? 1.0 : 1.13, formula = activation == .none ? 0.0 : 2e-6
                func act(_ v: Double) -> Double { activation == .none ? v : VectorUnitTests.gelu(v) }
                var worstExact = 0.0, worstRounded = 0.0
                for r in 0..<rows {
                    for o in 0..<outF {
                        var exact = Double(b[o]), rounded = Double(b[o]), magnitude = Double(abs(b[o]))
                        for i in 0..<inF {
                            exact += Double(x[r * inF + i]) * Double(w[o * inF + i])
                            rounded += wide(xb[r * inF + i]) * wide(wb[o * inF + i])
                            magnitude += abs(Double(x[r * inF + i]) * Double(w[o * inF + i]))
                        }
                        let value = Double(got[r * outF + o])
                        let boundExact = lipschitz * ((2 * u8 + u8 * u8) * magnitude + accumulation * magnitude) + formula
                        let boundRounded = lipschitz * accumulation * magnitude + formula
                        worstExact = max(worstExact, abs(value - act(exact)) / boundExact)
                        worstRounded = max(worstRounded, abs(value - act(rounded)) / boundRounded)
                        if value.isNaN { worstExact = .infinity }
                    }
                }
                let shape = "\(rows)×\(inF)→\(outF) \(activation), \(threads) workers"
                XCTAssertLessThanOrEqual(worstExact, 1, "vs exact inputs: \(shape)")
                XCTAssertLessThanOrEqual(worstRounded, 1, "vs bf16-rounded inputs: \(shape)")
            }
        }
    }

    /// With the unit turned off after packing, the packed bf16 weight still works (unpacked to f32 on use,
    /// so only the weight rounding remains: |Δ| ≤ 2⁻⁸·Σ|a||b| + f32 GEMM rounding, (k + 1)·2⁻²⁴·Σ|a||b| per
    /// the same argument), and new packing is declined so dtype bf16 falls back to f32 with its note.
    func testPackedWeightWithUnitOffFallsBackToF32() throws {
        defer { dk_limit_bf16_level(1) }
        guard ComputePrecision.bf16Available else { return XCTAssertNotNil(ComputePrecision.resolve(dtype: "bf16").note) }
        var rng = TestRandom(seed: 16)
        let rows = 6, inF = 33, outF = 50
        let x = rng.floats(rows * inF), w = rng.floats(outF * inF)
        let packed = Weight(shape: [outF, inF], values: w).packedForBF16GEMM()
        dk_limit_bf16_level(0)
        XCTAssertFalse(Weight(shape: [outF, inF], values: w).packedForBF16GEMM().isPacked)
        let resolved = ComputePrecision.resolve(dtype: "bf16")
        XCTAssertEqual(resolved.precision, .f32)
        XCTAssertEqual(resolved.note, "note: dtype bf16: this CPU has no usable AVX512_BF16 (vdpbf16ps), computing in float32")
        var got = [Float](repeating: .nan, count: rows * outF)  // [rows, out] f32
        x.withUnsafeBufferPointer { xp in got.withUnsafeMutableBufferPointer { yp in
            Linear.forward(xp.baseAddress!, rows: rows, weight: packed, bias: nil, output: yp.baseAddress!)
        } }
        for r in 0..<rows {
            for o in 0..<outF {
                var exact = 0.0, magnitude = 0.0
                for i in 0..<inF {
                    exact += Double(x[r * inF + i]) * Double(w[o * inF + i])
                    magnitude += abs(Double(x[r * inF + i]) * Double(w[o * inF + i]))
                }
                let bound = (0x1p-8 + Double(inF + 1) * 0x1p-24 * 1.01) * magnitude
                XCTAssertLessThanOrEqual(abs(Double(got[r * outF + o]) - exact), bound, "row \(r), output \(o)")
            }
        }
    }
}
