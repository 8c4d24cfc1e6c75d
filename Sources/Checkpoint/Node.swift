/// The object tree stored in a checkpoint, as plain data. PyTorch pickles become this tree without
/// executing anything; flat formats (safetensors, `.ckpt`, HDF5) are a single `dict` of tensors.
public indirect enum Node {
    case none
    case bool(Bool)
    case int(Int64)
    /// An integer too large for Int64: two's-complement little-endian bytes, as pickled.
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case list([Node])
    case tuple([Node])
    case set([Node])
    /// Ordered entries (Python dicts and OrderedDicts keep insertion order).
    case dict([(key: Node, value: Node)])
    /// A torch tensor or parameter.
    case tensor(Tensor)
    /// A numpy array (kept apart from torch tensors: it is data, not a model weight).
    case array(Tensor)
    /// A symbol such as a dtype (`torch.float16`) or a class that was referenced but never called.
    case global(String)
    /// A data-only object such as `argparse.Namespace`, `torch.device`, `torch.Size`: its class name,
    /// constructor arguments and state, none of it executed.
    case object(type: String, args: [Node], state: Node?)

    /// The value under a string key of a dict (or of an object's dict state, e.g. Namespace attributes).
    public subscript(key: String) -> Node? {
        switch self {
        case .dict(let entries):
            return entries.first(where: { if case .string(key) = $0.key { return true } else { return false } })?.value
        case .object(_, _, let state?):
            return state[key]
        default:
            return nil
        }
    }

    /// The value at a dotted path (`"ema"`, `"model.state_dict"`); list elements by decimal index.
    public func value(atPath path: String) -> Node? {
        var node: Node? = self
        for part in path.split(separator: ".", omittingEmptySubsequences: false).map(String.init) {
            guard let current = node else { return nil }
            switch current {
            case .list(let items), .tuple(let items):
                guard let index = Int(part), items.indices.contains(index) else { return nil }
                node = items[index]
            default:
                node = current[part]
            }
        }
        return node
    }

    /// The key as a path component: strings as is, ints in decimal, anything else by its summary.
    public var keyText: String {
        switch self {
        case .string(let s): return s
        case .int(let i): return String(i)
        default: return summary
        }
    }

    /// A one-line, human-readable description (used by `ckpt inspect`).
    public var summary: String {
        switch self {
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .bigInt(let bytes): return "int(\(bytes.count) bytes)"
        case .float(let f): return String(f)
        case .string(let s): return "'\(s)'"
        case .bytes(let b): return "bytes[\(b.count)]"
        case .list(let items): return "list[\(items.count)]"
        case .tuple(let items): return "(" + items.map(\.summary).joined(separator: ", ") + (items.count == 1 ? ",)" : ")")
        case .set(let items): return "set[\(items.count)]"
        case .dict(let entries): return "dict[\(entries.count)]"
        case .tensor(let t): return "tensor \(t.dtype) \(t.shape)"
        case .array(let t): return "ndarray \(t.dtype) \(t.shape)"
        case .global(let name): return name
        case .object(let type, let args, _): return "\(type)(\(args.map(\.summary).joined(separator: ", ")))"
        }
    }

    /// Every torch tensor in the tree, depth first, named by dotted key paths below this node.
    /// Non-tensor leaves are skipped; numpy arrays are not model tensors and are skipped too.
    public func flattenedTensors(prefix: String = "") -> [(name: String, tensor: Tensor)] {
        var out: [(name: String, tensor: Tensor)] = []
        func join(_ key: String) -> String { prefix.isEmpty ? key : prefix + "." + key }
        switch self {
        case .tensor(let t):
            out.append((prefix, t))
        case .dict(let entries):
            for (key, value) in entries { out += value.flattenedTensors(prefix: join(key.keyText)) }
        case .list(let items), .tuple(let items):
            for (i, value) in items.enumerated() { out += value.flattenedTensors(prefix: join(String(i))) }
        case .object(_, _, let state?):
            out += state.flattenedTensors(prefix: prefix)
        default:
            break
        }
        return out
    }

    /// True when this is a dict whose values are all tensors (a plain state dict).
    public var isTensorDict: Bool {
        guard case .dict(let entries) = self, !entries.isEmpty else { return false }
        return entries.allSatisfy { if case .tensor = $0.value, case .string = $0.key { return true } else { return false } }
    }
}
