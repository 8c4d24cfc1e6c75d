import Checkpoint
import Kernels

/// Parameters by canonical name (official DiT names / diffusers VAE names), ready for the kernels.
///
/// f32 tensors that are contiguous and 4-byte aligned in a memory-mapped file are used in place (no
/// copy: resident memory is the pages touched). Everything else is copied once into aligned memory:
/// f16/bf16 stay 16-bit when `keepHalfPrecision` (widened block by block on use) and are widened to
/// f32 otherwise; f64 is rounded to f32.
public final class ModelWeights {
    public private(set) var tensors: [String: Weight]
    /// Canonical names in the order the checkpoint (or config) listed them.
    public let names: [String]

    public init(tensors: [String: Weight], names: [String]) {
        self.tensors = tensors
        self.names = names
    }

    /// Materialises `named` (canonical names, coverage already checked).
    public convenience init(_ named: [NamedTensor], keepHalfPrecision: Bool) throws {
        var tensors: [String: Weight] = [:]
        for entry in named {
            do {
                tensors[entry.name] = try ModelWeights.weight(entry.tensor, keepHalfPrecision: keepHalfPrecision)
            } catch let error as CheckpointError {
                var error = error
                if error.tensor == nil { error.tensor = entry.name }
                throw error
            }
        }
        self.init(tensors: tensors, names: named.map(\.name))
    }

    /// The weight `name`, checked against `shape` when given.
    public func weight(_ name: String, shape: [Int]? = nil) throws -> Weight {
        guard let w = tensors[name] else { throw ModelError("missing weight '\(name)'") }
        if let shape, w.shape != shape { throw ModelError("weight '\(name)' has shape \(w.shape), expected \(shape)") }
        return w
    }

    /// The weight `name` packed for the GEMM of `precision` and `role` (`Weight.packed(for:role:)`): for a Linear,
    /// f32 for the AVX-512 / AVX2 one (`Weight.packedForGEMM`), bf16 for the AVX512_BF16 one (`Weight.packedForBF16GEMM`);
    /// for a convolution, unchanged in f32, else its bf16 rows or Winograd planes. The packed copy replaces the original here, so
    /// the original's memory goes once nothing else holds it (pages of a mapped file are given back at once)
    /// and a second model built from these weights reuses the packed one (a packed weight is never repacked:
    /// build models of different precisions from separately loaded weights).
    public func packedWeight(_ name: String, shape: [Int]? = nil, precision: ComputePrecision = .f32, role: Weight.Role = .linear) throws -> Weight {
        let original = try weight(name, shape: shape)
        let packed = original.packed(for: precision, role: role, releasingFilePages: original.owner is MappedStorage)
        tensors[name] = packed
        return packed
    }

    /// A small parameter (bias, norm, table) as f32 values.
    public func floats(_ name: String, count: Int? = nil) throws -> [Float] {
        let w = try weight(name)
        if let count, w.count != count { throw ModelError("weight '\(name)' has \(w.count) elements, expected \(count)") }
        return w.floats()
    }

    /// Bytes held by the parameters as stored for compute (f32 = 4, f16/bf16 = 2 per element, packing padding not counted).
    public var storedBytes: Int {
        tensors.values.reduce(0) { $0 + $1.count * ($1.isHalfPrecision ? 2 : 4) }
    }

    static func weight(_ tensor: Tensor, keepHalfPrecision: Bool) throws -> Weight {
        let count = tensor.elementCount
        if count == 0 { return Weight(shape: tensor.shape, values: []) }
        switch tensor.dtype {
        case .f32:
            if let mapped = tensor.storage as? MappedStorage, tensor.isContiguous {
                // Zero copy: the pointer stays valid while `mapped` (and so its file mapping) lives.
                let pointer = try tensor.withContiguousBytes { $0.baseAddress }
                if let pointer, Int(bitPattern: pointer) % 4 == 0 {
                    return Weight(shape: tensor.shape, elements: .f32(pointer.assumingMemoryBound(to: Float.self)), owner: mapped)
                }
            }
            let owned = OwnedFloats(count: count)
            try tensor.withContiguousBytes { UnsafeMutableRawPointer(owned.pointer).copyMemory(from: $0.baseAddress!, byteCount: count * 4) }
            tensor.releaseCache()
            return Weight(shape: tensor.shape, elements: .f32(UnsafePointer(owned.pointer)), owner: owned)
        case .f16, .bf16:
            let isHalf = tensor.dtype == .f16
            if keepHalfPrecision {
                if let mapped = tensor.storage as? MappedStorage, tensor.isContiguous {
                    let pointer = try tensor.withContiguousBytes { $0.baseAddress }
                    if let pointer, Int(bitPattern: pointer) % 2 == 0 {
                        let p = pointer.assumingMemoryBound(to: UInt16.self)
                        return Weight(shape: tensor.shape, elements: isHalf ? .f16(p) : .bf16(p), owner: mapped)
                    }
                }
                let owned = OwnedHalves(count: count)
                try tensor.withContiguousBytes { UnsafeMutableRawPointer(owned.pointer).copyMemory(from: $0.baseAddress!, byteCount: count * 2) }
                let p = UnsafePointer(owned.pointer)
                return Weight(shape: tensor.shape, elements: isHalf ? .f16(p) : .bf16(p), owner: owned)
            }
            let owned = OwnedFloats(count: count)
            try tensor.withContiguousBytes { bytes in
                var source = bytes.baseAddress!
                var unaligned: OwnedHalves? = nil  // [count] u16, only when the file offset is odd
                if Int(bitPattern: source) % 2 != 0 {
                    unaligned = OwnedHalves(count: count)
                    UnsafeMutableRawPointer(unaligned!.pointer).copyMemory(from: source, byteCount: count * 2)
                    source = UnsafeRawPointer(unaligned!.pointer)
                }
                let halves = source.assumingMemoryBound(to: UInt16.self)
                if isHalf {
                    HalfConversion.widenHalf(halves, owned.pointer, count: count)
                } else {
                    HalfConversion.widenBFloat16(halves, owned.pointer, count: count)
                }
                withExtendedLifetime(unaligned) {}
            }
            tensor.releaseCache()
            return Weight(shape: tensor.shape, elements: .f32(UnsafePointer(owned.pointer)), owner: owned)
        case .f64:
            return try weight(tensor.converted(to: .f32), keepHalfPrecision: keepHalfPrecision)
        default:
            throw CheckpointError("a \(tensor.dtype) tensor cannot be a model weight (expected f32, f16, bf16 or f64)")
        }
    }
}
