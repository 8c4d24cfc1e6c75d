import CKernels
#if canImport(Glibc)
import Glibc
#endif

/// A read-only parameter tensor in f32, f16 or bf16, living in memory the runtime owns or in a mapped
/// checkpoint file. Half-precision weights are widened to f32 on use, a block of rows at a time.
public struct Weight: @unchecked Sendable {
    /// How the elements are stored.
    public enum Elements {
        case f32(UnsafePointer<Float>)
        case f16(UnsafePointer<UInt16>)
        case bf16(UnsafePointer<UInt16>)
        /// f32 in the panel layout of `dk_pack_weight` (`[out/48][in][48]`), for `Linear`'s AVX-512 / AVX2 GEMM.
        case packedF32(UnsafePointer<Float>)
        /// bf16 in the k-pair panel layout of `dk_pack_weight_bf16` (`[⌈out/48⌉][⌈in/2⌉][48][2]`), for `Linear`'s
        /// AVX512_BF16 GEMM (`ComputePrecision.bf16`).
        case packedBF16(UnsafePointer<UInt16>)
        /// bf16 rows in k pairs (`[⌈out/8⌉·8][2⌈rowLength/2⌉]`, `dk_pack_rows_bf16`): a convolution weight as the left
        /// operand of `Conv2D`'s AVX512_BF16 GEMM (`ComputePrecision.bf16`).
        case packedBF16Rows(UnsafePointer<UInt16>)
        /// A 3×3 convolution weight `[out, in, 3, 3]` as its 16 Winograd planes `U[ξ] = G g Gᵀ` (computed in f32,
        /// rounded to bf16 once), plane ξ `[⌈out/8⌉·8][2⌈in/2⌉]` as `dk_pack_rows_bf16`: `Winograd3x3`'s bf16 GEMMs.
        case winogradBF16(UnsafePointer<UInt16>)
    }

    public let shape: [Int]
    public let elements: Elements
    /// Keeps the memory alive (an owned allocation, or the checkpoint whose mapping holds the bytes).
    public let owner: AnyObject

    public init(shape: [Int], elements: Elements, owner: AnyObject) {
        self.shape = shape
        self.elements = elements
        self.owner = owner
    }

    /// A weight that owns a copy of `values`.
    public init(shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "\(values.count) values for shape \(shape)")
        let buffer = OwnedFloats(count: values.count)
        values.withUnsafeBufferPointer { buffer.pointer.update(from: $0.baseAddress!, count: values.count) }
        self.init(shape: shape, elements: .f32(UnsafePointer(buffer.pointer)), owner: buffer)
    }

    public var count: Int { shape.reduce(1, *) }
    /// Elements per leading-dimension row (`in` for a Linear `[out, in]`, `C·k·k` for a conv).
    public var rowLength: Int { shape.dropFirst().reduce(1, *) }
    public var isHalfPrecision: Bool {
        switch elements {
        case .f32, .packedF32: return false
        case .f16, .bf16, .packedBF16, .packedBF16Rows, .winogradBF16: return true
        }
    }

    /// Calls `body` with rows `rows` as contiguous f32 (`rows.count × rowLength`): a pointer into the
    /// weight itself for f32, else a temporary widened copy.
    public func withFloatRows<R>(_ rows: Range<Int>, _ body: (UnsafePointer<Float>) throws -> R) rethrows -> R {
        let start = rows.lowerBound * rowLength, n = rows.count * rowLength
        switch elements {
        case .f32(let p):
            return try body(p + start)
        case .f16(let p):
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1))  // [rows, rowLength] f32
            defer { scratch.deallocate() }
            HalfConversion.widenHalf(p + start, scratch, count: n)
            return try body(scratch)
        case .bf16(let p):
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1))  // [rows, rowLength] f32
            defer { scratch.deallocate() }
            HalfConversion.widenBFloat16(p + start, scratch, count: n)
            return try body(scratch)
        case .packedF32(let p):
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1))  // [rows, rowLength] f32
            defer { scratch.deallocate() }
            dk_unpack_weight_rows(p, rowLength, rows.lowerBound, rows.upperBound, scratch)
            return try body(scratch)
        case .packedBF16(let p):
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1))  // [rows, rowLength] f32
            defer { scratch.deallocate() }
            dk_unpack_weight_bf16_rows(p, rowLength, rows.lowerBound, rows.upperBound, scratch)
            return try body(scratch)
        case .packedBF16Rows(let p):
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1))  // [rows, rowLength] f32
            defer { scratch.deallocate() }
            let ld = (rowLength + 1) / 2 * 2
            for r in rows { HalfConversion.widenBFloat16(p + r * ld, scratch + (r - rows.lowerBound) * rowLength, count: rowLength) }
            return try body(scratch)
        case .winogradBF16(let p):
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1))  // [rows, in, 3, 3] f32
            defer { scratch.deallocate() }
            Winograd3x3.recoverKernels(p, outChannels: shape[0], inChannels: shape[1], rows: rows, into: scratch)
            return try body(scratch)
        }
    }

    /// The same weight packed for `Linear`'s AVX-512 / AVX2 GEMM (`dk_pack_weight`), when this CPU uses
    /// one of those units, the weight is f32 and its output count is a multiple of the 48-feature panel; else
    /// `self`. `releasingFilePages`: the source bytes are in a read-only file mapping, whose pages are
    /// given back after packing (`MADV_DONTNEED`: they stay in the page cache, not in this process), so
    /// memory stays at one copy of the weights. Never pass it for memory the process owns: it would be zeroed.
    public func packedForGEMM(releasingFilePages: Bool = false) -> Weight {
        guard VectorUnit.current != .portable, case .f32(let source) = elements, shape.count == 2,
              shape[0] % Int(DK_PANEL) == 0, shape[0] > 0, rowLength > 0 else { return self }
        let buffer = OwnedFloats(count: count)
        dk_pack_weight(source, shape[0], rowLength, rowLength, buffer.pointer)
        if releasingFilePages { MemoryRelease.dropPages(UnsafeRawPointer(source), bytes: count * 4) }
        return Weight(shape: shape, elements: .packedF32(UnsafePointer(buffer.pointer)), owner: buffer)
    }

    /// The same weight rounded to bf16 (torch's round to nearest even) and packed for `Linear`'s AVX512_BF16
    /// GEMM (`dk_pack_weight_bf16`), when this CPU has that unit (`dk_bf16_level`) and the weight is a matrix;
    /// else `self`. Any output count (the last panel is zero-padded) and any f32/f16/bf16 source (16-bit
    /// weights are widened first; f16 → bf16 then rounds once more, as torch's `.bfloat16()` does).
    /// `releasingFilePages` as in `packedForGEMM`.
    public func packedForBF16GEMM(releasingFilePages: Bool = false) -> Weight {
        guard dk_bf16_level() > 0, shape.count == 2, shape[0] > 0, rowLength > 0, !isPacked else { return self }
        let buffer = OwnedHalves(count: dk_packed_bf16_count(shape[0], rowLength))  // [⌈out/48⌉, ⌈in/2⌉, 48, 2] bf16
        withFloatRows(0..<shape[0]) { dk_pack_weight_bf16($0, shape[0], rowLength, rowLength, buffer.pointer) }
        if releasingFilePages { releaseSourcePages() }
        return Weight(shape: shape, elements: .packedBF16(UnsafePointer(buffer.pointer)), owner: buffer)
    }

    /// Gives back the pages of the (f32 / f16 / bf16) source elements in a read-only file mapping, once a
    /// packed copy has replaced them (`packedForGEMM`'s `releasingFilePages`).
    func releaseSourcePages() {
        switch elements {
        case .f32(let p): MemoryRelease.dropPages(UnsafeRawPointer(p), bytes: count * 4)
        case .f16(let p), .bf16(let p): MemoryRelease.dropPages(UnsafeRawPointer(p), bytes: count * 2)
        default: break
        }
    }

    /// How a packed weight is used: a Linear's `[out, in]` matrix, a convolution's `[out, in, k, k]` kernel as the
    /// left GEMM operand, or a 3×3 stride-1 convolution's kernel as its Winograd planes.
    public enum Role: Sendable {
        case linear, convolution, winograd3x3
    }

    /// The weight in the layout `precision` computes with. Linear: `packedForGEMM` for f32, `packedForBF16GEMM`
    /// for bf16. Convolutions: unchanged for f32 (`Conv2D` / `Winograd3x3` read f32 as it is), else
    /// `packedForBF16Convolution` / `packedForBF16Winograd`.
    public func packed(for precision: ComputePrecision, role: Role = .linear, releasingFilePages: Bool = false) -> Weight {
        switch (precision, role) {
        case (.f32, .linear): return packedForGEMM(releasingFilePages: releasingFilePages)
        case (.f32, _): return self
        case (.bf16, .linear): return packedForBF16GEMM(releasingFilePages: releasingFilePages)
        case (.bf16, .convolution): return packedForBF16Convolution(releasingFilePages: releasingFilePages)
        case (.bf16, .winograd3x3): return packedForBF16Winograd(releasingFilePages: releasingFilePages)
        }
    }

    /// True for weights in a packed GEMM layout (f32 or bf16, Linear or convolution).
    public var isPacked: Bool {
        switch elements {
        case .packedF32, .packedBF16, .packedBF16Rows, .winogradBF16: return true
        default: return false
        }
    }

    /// All elements as f32 (for small parameters: biases, norms, tables).
    public func floats() -> [Float] {
        withFloatRows(0..<(shape.first ?? 1)) { Array(UnsafeBufferPointer(start: $0, count: count)) }
    }
}

/// A 64-byte-aligned f32 allocation freed with its owner.
public final class OwnedFloats: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    public init(count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }
}

/// A 64-byte-aligned allocation of 16-bit elements (half-precision weights copied out of a file whose
/// bytes are not aligned for direct use).
public final class OwnedHalves: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<UInt16>
    public let count: Int

    public init(count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 2, alignment: 64)
        pointer = raw.bindMemory(to: UInt16.self, capacity: max(count, 1))
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }
}

/// Returning the pages of a read-only file mapping to the page cache.
enum MemoryRelease {
    /// `madvise(MADV_DONTNEED)` over the whole pages inside `[pointer, pointer + bytes)`; later reads of
    /// them fault the file's bytes back in.
    static func dropPages(_ pointer: UnsafeRawPointer, bytes: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (Int(bitPattern: pointer) + page - 1) / page * page
        let end = (Int(bitPattern: pointer) + bytes) / page * page
        guard end > start, let base = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(base, end - start, MADV_DONTNEED)
    }
}
