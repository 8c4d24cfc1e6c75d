import CKernels
import XCTest
@testable import Kernels

/// The element-wise optimizer and EMA kernels (optimizer_kernels.c) give the same bits on the AVX-512 path
/// (masked 16-lane vectors) and the portable C path, for lengths with every tail (the data-parallel and ZeRO
/// equivalence of the training loop rests on it; agreement with torch and MindSpore themselves is
/// TrainingLoopParityTests'). Each test would fail on a dropped tail lane, a contracted product or a
/// swapped operand order.
final class OptimizerKernelTests: XCTestCase {
    override func tearDown() { VectorUnit.limit(to: .avx512) }

    /// Runs `body` once on the portable path and once on AVX-512 (when the CPU has it) from the same inputs.
    private func bothPaths(_ body: () -> [[Float]]) -> (portable: [[UInt32]], vector: [[UInt32]])? {
        guard VectorUnit.limit(to: .avx512) == .avx512 else { return nil }
        let vector = body().map { $0.map(\.bitPattern) }
        VectorUnit.limit(to: .portable)
        let portable = body().map { $0.map(\.bitPattern) }
        VectorUnit.limit(to: .avx512)
        return (portable, vector)
    }

    func testTorchAdamWVectorAndPortableAgreeBitwise() throws {
        var rng = TestRandom(seed: 21)
        for n in [1, 15, 16, 17, 100, 1031] {
            let p0 = rng.floats(n), g = rng.floats(n, scale: 0.1), m0 = rng.floats(n, scale: 0.01), v0 = rng.floats(n).map { $0 * $0 * 1e-3 }
            for decay in [0, 1] {
                var c = dk_adamw_torch_constants(decay: 0.9999, apply_decay: Int32(decay), w1: 0.1, b2: 0.999, w2: 0.001,
                                                 s2: 0.04471017, neg_step: -1e-3, eps: 1e-8)
                let result = try XCTUnwrap(bothPaths {
                    var p = p0, m = m0, v = v0
                    dk_adamw_torch(&p, g, &m, &v, n, &c)
                    return [p, m, v]
                }, "no AVX-512 unit")
                XCTAssertTrue(result.portable == result.vector, "n \(n) decay \(decay): the paths differ")
                XCTAssertTrue(result.vector[0] != p0.map(\.bitPattern), "parameters unchanged")
            }
        }
    }

    func testMindSporeAdamWeightDecayVectorAndPortableAgreeBitwise() throws {
        var rng = TestRandom(seed: 22)
        for n in [3, 16, 33, 999] {
            let p0 = rng.floats(n), g = rng.floats(n, scale: 0.1), m0 = rng.floats(n, scale: 0.01), v0 = rng.floats(n).map { $0 * $0 * 1e-3 }
            for decay in [0, 1] {
                var c = dk_adamw_mindspore_constants(b1: 0.9, w1: 1 - Float(0.9), b2: 0.999, w2: 1 - Float(0.999), eps: 1e-6, lr: 1e-4,
                                                     weight_decay: 0.01, apply_decay: Int32(decay))
                let result = try XCTUnwrap(bothPaths {
                    var p = p0, m = m0, v = v0
                    dk_adamw_mindspore(&p, g, &m, &v, n, &c)
                    return [p, m, v]
                }, "no AVX-512 unit")
                XCTAssertTrue(result.portable == result.vector, "n \(n) decay \(decay): the paths differ")
            }
        }
    }

    /// Both EMA forms on both paths; the fused (torch) and rounded (MindSpore) forms must differ somewhere on
    /// 1000 random values at decay 0.7 (where p·(1 − d) is not negligible next to ema·d), or one of them is not
    /// computing what it says.
    func testEMAFormsVectorAndPortableAgreeBitwise() throws {
        var rng = TestRandom(seed: 23)
        let n = 1000
        let e0 = rng.floats(n), p = rng.floats(n)
        var forms: [[UInt32]] = []
        for fused in [Int32(1), 0] {
            let result = try XCTUnwrap(bothPaths {
                var e = e0
                dk_ema_update(&e, p, n, 0.7, 1 - Float(0.7), fused)
                return [e]
            }, "no AVX-512 unit")
            XCTAssertTrue(result.portable == result.vector, "fused \(fused): the paths differ")
            forms.append(result.vector[0])
        }
        XCTAssertTrue(zip(forms[0], forms[1]).contains { $0 != $1 }, "fused and separately rounded EMA gave identical bits on 1000 values")
    }
}
