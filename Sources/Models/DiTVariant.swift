import NameMaps

/// The twelve DiT configurations of the paper (`DiT_models` in the official `models.py`).
public enum DiTVariant {
    /// (depth, hidden size, heads) per size name.
    static let sizes: [String: (depth: Int, hidden: Int, heads: Int)] = [
        "S": (12, 384, 6), "B": (12, 768, 12), "L": (24, 1024, 16), "XL": (28, 1152, 16),
    ]

    /// Every name, `DiT-XL/2` … `DiT-S/8`.
    public static let names: [String] = ["XL", "L", "B", "S"].flatMap { s in [2, 4, 8].map { "DiT-\(s)/\($0)" } }

    /// The configuration `name` (`DiT-XL/2`, also `XL/2`) at `imageSize` (256 or 512: latent = image / 8).
    public static func config(_ name: String, imageSize: Int, numClasses: Int = 1000, learnSigma: Bool = true) throws -> DiTConfig {
        let bare = name.hasPrefix("DiT-") ? String(name.dropFirst(4)) : name
        let parts = bare.split(separator: "/")
        guard parts.count == 2, let size = sizes[String(parts[0])], let patch = Int(parts[1]), [2, 4, 8].contains(patch) else {
            throw ModelError("unknown DiT model '\(name)' (known: \(names.joined(separator: ", ")))")
        }
        guard imageSize > 0, imageSize % (8 * patch) == 0 else {
            throw ModelError("image size \(imageSize) is not a multiple of \(8 * patch) (8 × patch size)")
        }
        return DiTConfig(hiddenSize: size.hidden, depth: size.depth, patchSize: patch, inChannels: 4, inputSize: imageSize / 8,
                         numClasses: numClasses, learnSigma: learnSigma, numHeads: size.heads)
    }
}
