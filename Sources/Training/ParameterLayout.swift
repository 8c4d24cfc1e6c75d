import NameMaps

/// One parameter tensor inside the flat training buffers: its official name (facebookresearch/DiT
/// `models.py`), shape, and where its elements sit.
public struct ParameterView: Equatable {
    /// Official name, e.g. `blocks.3.attn.qkv.weight`.
    public let name: String
    public let shape: [Int]
    /// First element in the flat buffers (parameters, gradients, moments, EMA all share the layout).
    public let offset: Int
    public let count: Int
    /// False for the frozen `pos_embed` of the official recipe (its gradient stays zero, AdamW skips it).
    public let trainable: Bool

    public init(name: String, shape: [Int], offset: Int, trainable: Bool) {
        self.name = name
        self.shape = shape
        self.offset = offset
        self.count = shape.reduce(1, *)
        self.trainable = trainable
    }

    /// The element range of this tensor in a flat buffer.
    public var range: Range<Int> { offset..<(offset + count) }
}

/// The layout of a DiT's parameters in one flat f32 buffer, in the order of the official
/// `model.named_parameters()` (which equals `state_dict()` order): `pos_embed`, `x_embedder.proj.*`,
/// `t_embedder.mlp.{0,2}.*`, `y_embedder.embedding_table.weight`, per block `attn.qkv`, `attn.proj`,
/// `mlp.fc1`, `mlp.fc2`, `adaLN_modulation.1` (weight then bias each), then `final_layer.linear.*` and
/// `final_layer.adaLN_modulation.1.*`. Parameters, gradients, optimizer moments and EMA weights all use
/// this one layout, so a view is valid in every buffer.
public struct ParameterLayout: Equatable {
    public let config: DiTConfig
    public let views: [ParameterView]
    /// Total elements of one flat buffer.
    public let count: Int
    private let index: [String: Int]

    /// The layout of `config`. `trainPosEmbed`: false = official (frozen sin-cos table), true = MindONE.
    public init(config: DiTConfig, trainPosEmbed: Bool = false) {
        let d = config.hiddenSize, p = config.patchSize, c = config.inChannels
        let mlp = 4 * d  // official mlp_ratio 4.0
        var shapes: [(String, [Int], Bool)] = [
            ("pos_embed", [1, config.tokens, d], trainPosEmbed),
            ("x_embedder.proj.weight", [d, c, p, p], true), ("x_embedder.proj.bias", [d], true),
            ("t_embedder.mlp.0.weight", [d, 256], true), ("t_embedder.mlp.0.bias", [d], true),
            ("t_embedder.mlp.2.weight", [d, d], true), ("t_embedder.mlp.2.bias", [d], true),
            ("y_embedder.embedding_table.weight", [config.numClasses + 1, d], true),
        ]
        for i in 0..<config.depth {
            let b = "blocks.\(i)."
            shapes += [
                (b + "attn.qkv.weight", [3 * d, d], true), (b + "attn.qkv.bias", [3 * d], true),
                (b + "attn.proj.weight", [d, d], true), (b + "attn.proj.bias", [d], true),
                (b + "mlp.fc1.weight", [mlp, d], true), (b + "mlp.fc1.bias", [mlp], true),
                (b + "mlp.fc2.weight", [d, mlp], true), (b + "mlp.fc2.bias", [d], true),
                (b + "adaLN_modulation.1.weight", [6 * d, d], true), (b + "adaLN_modulation.1.bias", [6 * d], true),
            ]
        }
        let outputs = p * p * config.outChannels
        shapes += [
            ("final_layer.linear.weight", [outputs, d], true), ("final_layer.linear.bias", [outputs], true),
            ("final_layer.adaLN_modulation.1.weight", [2 * d, d], true), ("final_layer.adaLN_modulation.1.bias", [2 * d], true),
        ]
        var offset = 0
        var views: [ParameterView] = []
        for (name, shape, trainable) in shapes {
            let view = ParameterView(name: name, shape: shape, offset: offset, trainable: trainable)
            views.append(view)
            offset += view.count
        }
        self.config = config
        self.views = views
        self.count = offset
        self.index = Dictionary(uniqueKeysWithValues: views.enumerated().map { ($1.name, $0) })
    }

    /// Views `views` only, moved to start at element 0: the layout of one process's shard (ZeRO-1), so
    /// the optimizers, clipping and EMA run unchanged on shard-sized buffers.
    public func shard(views range: Range<Int>) -> ParameterLayout {
        let start = range.isEmpty ? 0 : views[range.lowerBound].offset
        let moved = views[range].map { ParameterView(name: $0.name, shape: $0.shape, offset: $0.offset - start, trainable: $0.trainable) }
        return ParameterLayout(config: config, views: moved)
    }

    private init(config: DiTConfig, views: [ParameterView]) {
        self.config = config
        self.views = views
        self.count = views.reduce(0) { $0 + $1.count }
        self.index = Dictionary(uniqueKeysWithValues: views.enumerated().map { ($1.name, $0) })
    }

    /// The view named `name` (official naming), or nil.
    public func view(named name: String) -> ParameterView? { index[name].map { views[$0] } }

    public static func == (a: ParameterLayout, b: ParameterLayout) -> Bool { a.config == b.config && a.views == b.views }
}
