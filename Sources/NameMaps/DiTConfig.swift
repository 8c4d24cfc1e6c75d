import Checkpoint

/// A DiT configuration (official `models.py` constructor arguments), detected from weights.
public struct DiTConfig: Equatable, CustomStringConvertible {
    public var hiddenSize: Int
    public var depth: Int
    public var patchSize: Int
    public var inChannels: Int
    /// Latent side length (`input_size`; image size / 8).
    public var inputSize: Int
    public var numClasses: Int
    public var learnSigma: Bool
    /// Attention heads: not stored in the weights; known for the paper's sizes (S 6, B 12, L/XL 16).
    public var numHeads: Int?

    public init(hiddenSize: Int, depth: Int, patchSize: Int, inChannels: Int = 4, inputSize: Int, numClasses: Int = 1000,
                learnSigma: Bool = true, numHeads: Int? = nil) {
        self.hiddenSize = hiddenSize
        self.depth = depth
        self.patchSize = patchSize
        self.inChannels = inChannels
        self.inputSize = inputSize
        self.numClasses = numClasses
        self.learnSigma = learnSigma
        self.numHeads = numHeads ?? DiTConfig.paperHeads[hiddenSize]
    }

    static let paperHeads = [384: 6, 768: 12, 1024: 16, 1152: 16]
    static let paperNames = ["28x1152": "XL", "24x1024": "L", "12x768": "B", "12x384": "S"]

    public var outChannels: Int { learnSigma ? 2 * inChannels : inChannels }
    public var tokens: Int { (inputSize / patchSize) * (inputSize / patchSize) }

    /// `DiT-XL/2` for the paper's sizes, otherwise nil.
    public var paperName: String? { DiTConfig.paperNames["\(depth)x\(hiddenSize)"].map { "DiT-\($0)/\(patchSize)" } }

    public var description: String {
        "\(paperName ?? "DiT (custom)"): depth \(depth), hidden \(hiddenSize), patch \(patchSize), \(inChannels) channels, "
            + "\(inputSize)×\(inputSize) latent (\(inputSize * 8) px), \(numClasses) classes, learn_sigma \(learnSigma)"
            + (numHeads.map { ", \($0) heads" } ?? "")
    }

    /// Reads the configuration from official-named tensors. `inputSize` is taken from `pos_embed` when
    /// present, else from `fallbackInputSize`.
    public static func detect(_ tensors: [String: Tensor], fallbackInputSize: Int?) throws -> DiTConfig {
        func shape(_ name: String) throws -> [Int] {
            guard let t = tensors[name] else { throw NameTableError("cannot detect the DiT config: '\(name)' is missing") }
            return t.shape
        }
        let proj = try shape("x_embedder.proj.weight")
        guard proj.count == 4, proj[2] == proj[3] else { throw NameTableError("x_embedder.proj.weight has shape \(proj), expected [D, C, p, p]") }
        var depth = 0
        while tensors["blocks.\(depth).attn.qkv.weight"] != nil { depth += 1 }
        let table = try shape("y_embedder.embedding_table.weight")
        let final = try shape("final_layer.linear.weight")
        let patch = proj[2]
        let learnSigma = final.first == patch * patch * proj[1] * 2
        var inputSize = fallbackInputSize
        if let pos = tensors["pos_embed"]?.shape, pos.count == 3 {
            let side = Int(Double(pos[1]).squareRoot().rounded())
            guard side * side == pos[1] else { throw NameTableError("pos_embed has \(pos[1]) tokens, not a square grid") }
            inputSize = side * patch
        }
        guard let inputSize else {
            throw NameTableError("the latent size is unknown (no pos_embed in the source): pass --image-size 256 or 512")
        }
        return DiTConfig(hiddenSize: proj[0], depth: depth, patchSize: patch, inChannels: proj[1], inputSize: inputSize,
                         numClasses: max(table.first ?? 1, 1) - 1, learnSigma: learnSigma)
    }

    /// Every parameter of the official model, in `state_dict()` order, with its shape.
    public func expectedParameters() -> [(name: String, shape: [Int])] {
        let d = hiddenSize, p = patchSize
        var out: [(name: String, shape: [Int])] = [
            ("pos_embed", [1, tokens, d]), ("x_embedder.proj.weight", [d, inChannels, p, p]), ("x_embedder.proj.bias", [d]),
            ("t_embedder.mlp.0.weight", [d, 256]), ("t_embedder.mlp.0.bias", [d]),
            ("t_embedder.mlp.2.weight", [d, d]), ("t_embedder.mlp.2.bias", [d]),
            ("y_embedder.embedding_table.weight", [numClasses + 1, d]),
        ]
        for i in 0..<depth {
            let b = "blocks.\(i)."
            out += [(b + "attn.qkv.weight", [3 * d, d]), (b + "attn.qkv.bias", [3 * d]),
                    (b + "attn.proj.weight", [d, d]), (b + "attn.proj.bias", [d]),
                    (b + "mlp.fc1.weight", [4 * d, d]), (b + "mlp.fc1.bias", [4 * d]),
                    (b + "mlp.fc2.weight", [d, 4 * d]), (b + "mlp.fc2.bias", [d]),
                    (b + "adaLN_modulation.1.weight", [6 * d, d]), (b + "adaLN_modulation.1.bias", [6 * d])]
        }
        out += [("final_layer.linear.weight", [p * p * outChannels, d]), ("final_layer.linear.bias", [p * p * outChannels]),
                ("final_layer.adaLN_modulation.1.weight", [2 * d, d]), ("final_layer.adaLN_modulation.1.bias", [2 * d])]
        return out
    }
}
