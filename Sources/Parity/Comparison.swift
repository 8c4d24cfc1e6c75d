import Kernels

/// When a tensor passes: `max|actual − expected| ≤ atol + rtol · max|expected|`.
public struct Tolerance: Equatable, CustomStringConvertible {
    public var atol: Double
    public var rtol: Double

    public init(atol: Double, rtol: Double) {
        self.atol = atol
        self.rtol = rtol
    }

    /// The DiT criterion: max |Δ| ≤ 1e-5 · max |ref|.
    public static let dit = Tolerance(atol: 0, rtol: 1e-5)
    /// The VAE criterion: max |Δ| ≤ 5e-5.
    public static let vae = Tolerance(atol: 5e-5, rtol: 0)

    /// DiT with `ComputePrecision.bf16` against the f32 reference: `bf16(gemmsInSequence:)` with G = 6·depth — per
    /// block the value passes qkv, q·kᵀ, P·v, proj, fc1 and fc2, all bf16 — rtol = 4·√G·2⁻⁹. Not a worst-case bound (that one is vacuous through LayerNorm and
    /// softmax); the estimate in `bf16Derivation`, checked against measured errors in docs/parity.md.
    public static func ditBF16(depth: Int) -> Tolerance { bf16(gemmsInSequence: ditBF16GEMMsPerBlock * depth) }

    /// The bf16 GEMMs one value passes through in a DiT block: qkv, q·kᵀ, P·v, proj, fc1, fc2.
    public static let ditBF16GEMMsPerBlock = 6

    /// VAE with `ComputePrecision.bf16` against the f32 reference: `bf16(gemmsInSequence:)` with G = `layers`,
    /// `AutoencoderKL.bf16ChainLength` (the bf16 convolutions and attention projections one value passes through
    /// in sequence: 36 for SD's VAE decoder, and for the tiny test VAE). GroupNorm before every convolution keeps
    /// the activations' scale, as DiT's residual stream does, so the same estimate applies; a Winograd layer rounds
    /// the transformed operands U and V, whose products are somewhat larger than the direct ones, which the
    /// estimate's 3.3× margin absorbs (measured on the tiny VAE: max errors 0.07–0.44 of this tolerance, docs/parity.md).
    public static func vaeBF16(layers: Int) -> Tolerance { bf16(gemmsInSequence: layers) }

    /// rtol = 4·√G·2⁻⁹ = √G·2⁻⁷ of max|ref| for G bf16 GEMM layers in sequence (`bf16Derivation`).
    public static func bf16(gemmsInSequence g: Int) -> Tolerance {
        Tolerance(atol: 0, rtol: 4 * Double(g).squareRoot() * 0x1p-9)
    }

    /// How the bf16 tolerances are derived, in one line for the tool's output.
    public static let bf16Derivation = "each bf16 operand is rounded to nearest with 8 significant bits (relative error |δ| ≤ 2⁻⁸, rms 0.42·2⁻⁸ for log-uniform mantissas), so a product of two has rms relative error 0.6·2⁻⁸ ≈ 1.2·2⁻⁹ and a GEMM output's error that rms of its own rms (independent errors, random-sign sums); G GEMMs in sequence on a scale-preserving stream (DiT's residual stream, the VAE's GroupNorms) add them in quadrature (√G), and the largest of the tensor's errors is taken as ≤ 3.3× that rms relative to max|ref|: rtol = √G·2⁻⁷ (an estimate, not a worst-case bound)"

    public var description: String { "atol \(atol), rtol \(rtol) (of max|ref|)" }
}

/// How one produced tensor compares with its reference.
public struct Comparison {
    public let name: String
    public let shape: [Int]
    /// max |actual − expected|.
    public let maxAbs: Double
    /// max |actual − expected| / max |expected| (scale-relative, so near-zero elements do not dominate).
    public let maxRel: Double
    /// Cosine similarity of the two flattened tensors.
    public let cosine: Double
    public let maxReference: Double
    public let passed: Bool
    /// Set when the shapes differ (then the numbers are meaningless).
    public let shapeMismatch: String?

    /// Compares `actual` with `expected`; a nil `actual` (the model produced nothing under that name)
    /// fails like a shape mismatch.
    public init(name: String, actual: FloatTensor?, expected: FloatTensor, tolerance: Tolerance) {
        self.name = name
        self.shape = expected.shape
        guard let actual, actual.shape == expected.shape else {
            shapeMismatch = actual.map { "shape \($0.shape), expected \(expected.shape)" } ?? "not produced by the model"
            (maxAbs, maxRel, cosine, maxReference, passed) = (.infinity, .infinity, 0, 0, false)
            return
        }
        shapeMismatch = nil
        var worst = 0.0, reference = 0.0, dot = 0.0, na = 0.0, nb = 0.0
        var finite = true
        for (a, b) in zip(actual.values, expected.values) {
            let (x, y) = (Double(a), Double(b))
            if !x.isFinite { finite = false }
            worst = max(worst, abs(x - y))
            reference = max(reference, abs(y))
            dot += x * y
            na += x * x
            nb += y * y
        }
        maxAbs = finite ? worst : .infinity
        maxReference = reference
        maxRel = reference > 0 ? maxAbs / reference : (maxAbs == 0 ? 0 : .infinity)
        cosine = (na > 0 && nb > 0) ? dot / (na.squareRoot() * nb.squareRoot()) : (na == nb ? 1 : 0)
        passed = finite && maxAbs <= tolerance.atol + tolerance.rtol * reference
    }
}
