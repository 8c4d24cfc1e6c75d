import XCTest
@testable import Kernels

final class LinearAlgebraTests: XCTestCase {
    /// y = x·Wᵀ + b against a float64 loop, for shapes that take both parallel splits (over outputs and
    /// over rows), with and without bias, and with f16/bf16 weights widened on use.
    func testLinearMatchesReferenceForAllSplitsAndDtypes() {
        var rng = TestRandom(seed: 1)
        for (rows, inF, outF) in [(3, 17, 300), (64, 40, 24), (1, 8, 5), (9, 33, 129)] {
            let x = rng.floats(rows * inF), w = rng.floats(outF * inF, scale: 0.5), b = rng.floats(outF)
            for useBias in [true, false] {
                var want = [Double](repeating: 0, count: rows * outF)
                for r in 0..<rows {
                    for o in 0..<outF {
                        var acc = useBias ? Double(b[o]) : 0
                        for i in 0..<inF { acc += Double(x[r * inF + i]) * Double(w[o * inF + i]) }
                        want[r * outF + o] = acc
                    }
                }
                var got = [Float](repeating: .nan, count: rows * outF)
                x.withUnsafeBufferPointer { xp in got.withUnsafeMutableBufferPointer { yp in
                    Linear.forward(xp.baseAddress!, rows: rows, weight: Weight(shape: [outF, inF], values: w), bias: useBias ? b : nil, output: yp.baseAddress!)
                } }
                XCTAssertLessThan(maxAbsDifference(got, want), 1e-5, "\(rows)×\(inF)→\(outF) bias \(useBias)")
            }
        }
    }

    func testHalfPrecisionWeightsAreWidenedOnUse() {
        var rng = TestRandom(seed: 2)
        let rows = 5, inF = 24, outF = 140
        let x = rng.floats(rows * inF)
        let halves = rng.floats(outF * inF).map { Float16($0).bitPattern }
        let bf16 = rng.floats(outF * inF).map { UInt16($0.bitPattern >> 16) }
        for (bits, widen) in [(halves, { (h: UInt16) in Float(Float16(bitPattern: h)) }), (bf16, { Float(bitPattern: UInt32($0) << 16) })] {
            let isHalf = bits == halves
            let owner = OwnedHalves(count: bits.count)
            owner.pointer.update(from: bits, count: bits.count)
            let weight = Weight(shape: [outF, inF], elements: isHalf ? .f16(UnsafePointer(owner.pointer)) : .bf16(UnsafePointer(owner.pointer)), owner: owner)
            let exact = Weight(shape: [outF, inF], values: bits.map(widen))
            var a = [Float](repeating: 0, count: rows * outF), b = a
            x.withUnsafeBufferPointer { xp in
                a.withUnsafeMutableBufferPointer { Linear.forward(xp.baseAddress!, rows: rows, weight: weight, bias: nil, output: $0.baseAddress!) }
                b.withUnsafeMutableBufferPointer { Linear.forward(xp.baseAddress!, rows: rows, weight: exact, bias: nil, output: $0.baseAddress!) }
            }
            XCTAssertEqual(a, b, isHalf ? "f16" : "bf16")
            XCTAssertEqual(weight.floats(), exact.floats())
        }
    }

    /// Attention on a fused qkv buffer against a float64 softmax(q·kᵀ/√d)·v, on every vector unit (the
    /// softmax differs) and in several query blocks, for small heads, DiT's head dims (64, 72), token
    /// counts that are no multiple of a block, and a single (batch, head) pair.
    func testFusedQKVAttentionMatchesReference() {
        var rng = TestRandom(seed: 3)
        defer { VectorUnit.limit(to: .avx512) }
        for (batch, tokens, heads, headDim) in [(2, 19, 3, 8), (1, 61, 2, 72), (1, 50, 1, 64), (2, 100, 1, 40)] {
            let dim = heads * headDim
            let qkv = rng.floats(batch * tokens * 3 * dim)  // [batch, tokens, 3·dim] f32
            var want = [Double](repeating: 0, count: batch * tokens * dim)
            for b in 0..<batch {
                for h in 0..<heads {
                    func at(_ t: Int, _ part: Int, _ d: Int) -> Double { Double(qkv[(b * tokens + t) * 3 * dim + part * dim + h * headDim + d]) }
                    for i in 0..<tokens {
                        var scores = (0..<tokens).map { j in (0..<headDim).reduce(0.0) { $0 + at(i, 0, $1) * at(j, 1, $1) } / Double(headDim).squareRoot() }
                        let m = scores.max()!
                        scores = scores.map { Foundation.exp($0 - m) }
                        let s = scores.reduce(0, +)
                        for d in 0..<headDim {
                            want[(b * tokens + i) * dim + h * headDim + d] = (0..<tokens).reduce(0.0) { $0 + scores[$1] / s * at($1, 2, d) }
                        }
                    }
                }
            }
            let shape = "\(batch)×\(tokens) tokens, \(heads) heads of \(headDim)"
            for unit in [VectorUnit.avx512, .avx2, .portable] {
                VectorUnit.limit(to: unit)
                for block in [256, 4] {
                    var got = [Float](repeating: .nan, count: want.count)
                    qkv.withUnsafeBufferPointer { q in got.withUnsafeMutableBufferPointer { o in
                        let stride = 3 * dim
                        Attention.attend(q: .init(q.baseAddress!, batchStride: tokens * stride, rowStride: stride),
                                         k: .init(q.baseAddress! + dim, batchStride: tokens * stride, rowStride: stride),
                                         v: .init(q.baseAddress! + 2 * dim, batchStride: tokens * stride, rowStride: stride),
                                         output: o.baseAddress!, outputBatchStride: tokens * dim, outputRowStride: dim,
                                         batch: batch, queries: tokens, keys: tokens, heads: heads, headDim: headDim,
                                         scale: 1 / Float(headDim).squareRoot(), blockQueries: block)
                    } }
                    XCTAssertLessThan(maxAbsDifference(got, want), 2e-6, "\(unit), \(shape), query block \(block)")
                }
                var fused = [Float](repeating: .nan, count: want.count)
                qkv.withUnsafeBufferPointer { q in fused.withUnsafeMutableBufferPointer {
                    Attention.fusedQKV(q.baseAddress!, batch: batch, tokens: tokens, heads: heads, headDim: headDim, output: $0.baseAddress!)
                } }
                XCTAssertLessThan(maxAbsDifference(fused, want), 2e-6, "\(unit), \(shape), fusedQKV")
            }
        }
    }

    func testSoftmaxRowsSumToOneAndMatch() {
        var x: [Float] = [1, 2, 3, -1000, 0, 0, 0, 0, 0, 5, 88, 89]
        let copy = x.map(Double.init)
        x.withUnsafeMutableBufferPointer { Softmax.rows($0.baseAddress!, rows: 1, length: 12) }
        let m = copy.max()!
        let e = copy.map { Foundation.exp($0 - m) }, s = e.reduce(0, +)
        XCTAssertLessThan(maxAbsDifference(x, e.map { $0 / s }), 1e-7)
        XCTAssertEqual(x.reduce(0, +), 1, accuracy: 1e-6)
    }
}
