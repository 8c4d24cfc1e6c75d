/// Turns the unpickled value graph into a `Node` tree.
///
/// Cycles (a container reachable from itself) are errors; shared references are expanded, with the
/// total node count bounded so a small pickle of doubly-referenced lists cannot expand exponentially.
/// Nesting depth is bounded too, which keeps this recursion (and the tree's deallocation) shallow.
/// Format-specific values (`.custom`) are converted by `customConverter`, which may call back into
/// `convert` for values they contain.
final class UnpickledTreeConverter {
    typealias CustomConverter = (_ value: UnpickledCustom, _ path: String, _ converter: UnpickledTreeConverter, _ depth: Int) throws -> Node

    private let limits: UnpicklerLimits
    private let customConverter: CustomConverter
    private var onPath = Set<ObjectIdentifier>()
    private var nodeCount = 0

    init(limits: UnpicklerLimits = .standard, customConverter: @escaping CustomConverter) {
        self.limits = limits
        self.customConverter = customConverter
    }

    /// Converts the root value after `checkShape` has proven the expansion small, shallow and acyclic.
    func convertRoot(_ value: UnpickledValue) throws -> Node {
        try checkShape(value)
        return try convert(value, path: "")
    }

    /// Measures the expanded tree without building it: each object is sized once (memoised by identity),
    /// so a small pickle that references one list from many places is refused before any node is made.
    /// Also refuses cycles and excessive nesting.
    func checkShape(_ root: UnpickledValue) throws {
        var sizes: [ObjectIdentifier: Int] = [:]
        var path = Set<ObjectIdentifier>()
        let limit = limits.maxTreeNodes
        func size(_ value: UnpickledValue, depth: Int) throws -> Int {
            guard let object = value.object else { return 1 }
            let identity = ObjectIdentifier(object)
            if let known = sizes[identity] { return known }
            guard depth < limits.maxNestingDepth else {
                throw CheckpointError("containers nested deeper than \(limits.maxNestingDepth) levels",
                                      offset: UnpickledTreeConverter.offset(of: object))
            }
            guard path.insert(identity).inserted else {
                throw CheckpointError("the object graph contains a cycle (a \(value.kind) contains itself)",
                                      offset: UnpickledTreeConverter.offset(of: object))
            }
            defer { path.remove(identity) }
            var total = 1
            for child in object.childValues {
                total += try size(child, depth: depth + 1)
                guard total <= limit else {
                    throw CheckpointError("object tree expands to more than \(limit) nodes (shared references?)",
                                          offset: UnpickledTreeConverter.offset(of: object))
                }
            }
            sizes[identity] = total
            return total
        }
        _ = try size(root, depth: 0)
    }

    /// Converts `value`, found at dotted `path` (used in error messages), `depth` containers deep.
    func convert(_ value: UnpickledValue, path: String, depth: Int = 0) throws -> Node {
        nodeCount += 1
        guard nodeCount <= limits.maxTreeNodes else {
            throw CheckpointError("object tree expands to more than \(limits.maxTreeNodes) nodes (shared references?)", tensor: path.isEmpty ? nil : path)
        }
        guard depth <= limits.maxNestingDepth else {
            throw CheckpointError("containers nested deeper than \(limits.maxNestingDepth) levels", tensor: path.isEmpty ? nil : path,
                                  offset: value.object.flatMap(UnpickledTreeConverter.offset(of:)))
        }
        switch value {
        case .none: return .none
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .bigInt(let bytes): return .bigInt(bytes)
        case .float(let f): return .float(f)
        case .string(let s): return .string(s)
        case .bytes(let b), .byteArray(let b): return .bytes(b)
        case .global(let g): return .global(g.fullName)
        default: break
        }
        guard let object = value.object else { return .none }
        let identity = ObjectIdentifier(object)
        guard onPath.insert(identity).inserted else {
            throw CheckpointError("the object graph contains a cycle (a \(value.kind) contains itself)", tensor: path.isEmpty ? nil : path,
                                  offset: UnpickledTreeConverter.offset(of: object))
        }
        defer { onPath.remove(identity) }
        switch value {
        case .list(let list):
            return .list(try list.items.enumerated().map { try convert($1, path: join(path, String($0)), depth: depth + 1) })
        case .tuple(let tuple):
            return .tuple(try tuple.items.enumerated().map { try convert($1, path: join(path, String($0)), depth: depth + 1) })
        case .set(let set):
            return .set(try set.items.enumerated().map { try convert($1, path: join(path, String($0)), depth: depth + 1) })
        case .dict(let dict):
            return .dict(try dict.entries.map { entry in
                let key = try convert(entry.key, path: path, depth: depth + 1)
                return (key: key, value: try convert(entry.value, path: join(path, key.keyText), depth: depth + 1))
            })
        case .custom(let custom):
            return try customConverter(custom, path, self, depth)
        default:
            return .none
        }
    }

    func join(_ path: String, _ component: String) -> String {
        path.isEmpty ? component : path + "." + component
    }

    private static func offset(of object: UnpickledComposite) -> Int? {
        switch object {
        case let list as UnpickledList: return list.offset
        case let tuple as UnpickledTuple: return tuple.offset
        case let dict as UnpickledDict: return dict.offset
        case let set as UnpickledSet: return set.offset
        case let custom as UnpickledCustom: return custom.offset
        default: return nil
        }
    }
}
