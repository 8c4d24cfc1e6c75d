import CKernels

/// Which vector unit the pointwise kernels use: AVX-512 or AVX2/FMA versions in C (`CKernels`, chosen at
/// run time), else the portable `SIMD8<Float>` Swift code (SSE2 on the baseline x86-64 target).
public enum VectorUnit: Int, CustomStringConvertible {
    case portable = 0, avx2 = 1, avx512 = 2

    /// The unit in use (`DITPORT_VECTOR=avx2|portable` lowers it; read once).
    public static var current: VectorUnit { VectorUnit(rawValue: Int(dk_vector_level())) ?? .portable }

    /// Lowers the unit used from now on to at most `unit` (never above the CPU's); returns the result.
    @discardableResult
    public static func limit(to unit: VectorUnit) -> VectorUnit {
        VectorUnit(rawValue: Int(dk_limit_vector_level(Int32(unit.rawValue)))) ?? .portable
    }

    public var description: String { ["portable SIMD", "AVX2", "AVX-512"][rawValue] }
}

/// The activation fused into a linear layer's epilogue.
public enum Activation: Int32 {
    case none = 0, geluTanh = 1, silu = 2
}
