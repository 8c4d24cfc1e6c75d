/// A value on the non-executing unpickler's stack or in its memo.
///
/// Mutable containers are classes so the memo has Python's reference semantics (`BINPUT` on a dict
/// before `SETITEMS` fills it, then `BINGET` later sees the filled dict). Every composite lives in an
/// `UnpicklerArena` that dismantles the graph iteratively, so deep or cyclic graphs from hostile files
/// never recurse during deallocation.
enum UnpickledValue {
    case none
    case bool(Bool)
    case int(Int64)
    /// An integer that does not fit Int64: two's-complement little-endian bytes.
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    /// A `bytearray` (BYTEARRAY8): the same bytes, but mutable in Python, so unhashable — never a dict key
    /// or set member (CPython: `TypeError: unhashable type: 'bytearray'`).
    case byteArray([UInt8])
    /// A symbol that passed the allowlist (`torch.float16`, `collections.OrderedDict`): never called.
    case global(UnpickledGlobal)
    case list(UnpickledList)
    case tuple(UnpickledTuple)
    case dict(UnpickledDict)
    case set(UnpickledSet)
    /// A data object decoded by the format layer (storages, tensor recipes, Namespace, numpy arrays).
    case custom(UnpickledCustom)

    /// Short description for error messages.
    var kind: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int, .bigInt: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .byteArray: return "bytearray"
        case .global(let g): return "global '\(g.fullName)'"
        case .list: return "list"
        case .tuple: return "tuple"
        case .dict: return "dict"
        case .set: return "set"
        case .custom(let c): return c.typeName
        }
    }

    /// The composite object behind this value, if any (for arena bookkeeping).
    var object: UnpickledComposite? {
        switch self {
        case .list(let o): return o
        case .tuple(let o): return o
        case .dict(let o): return o
        case .set(let o): return o
        case .custom(let o): return o
        default: return nil
        }
    }
}

extension UnpickledValue {
    /// The bytes of a `bytes` or `bytearray` value (numpy's protocol-5 buffers are bytearrays).
    var byteContents: [UInt8]? {
        switch self {
        case .bytes(let b), .byteArray(let b): return b
        default: return nil
        }
    }
}

/// A `module.name` symbol, after the Python 2 → 3 module renames.
struct UnpickledGlobal: Equatable {
    let module: String
    let name: String
    var fullName: String { module + "." + name }
}

/// Any reference-typed unpickled value; `releaseChildren` breaks its links for teardown.
protocol UnpickledComposite: AnyObject {
    /// The values this object refers to (dict keys and values, list items, object arguments and state).
    var childValues: [UnpickledValue] { get }
    func releaseChildren()
}

/// A format-specific data object produced by the semantics layer (never by executing code).
protocol UnpickledCustom: UnpickledComposite {
    /// Name used in error messages (`tensor`, `argparse.Namespace`, ...).
    var typeName: String { get }
    /// Absolute byte offset of the opcode that created it.
    var offset: Int { get }
}

final class UnpickledList: UnpickledComposite {
    var items: [UnpickledValue]
    let offset: Int
    init(_ items: [UnpickledValue], offset: Int) { self.items = items; self.offset = offset }
    var childValues: [UnpickledValue] { items }
    func releaseChildren() { items = [] }
}

final class UnpickledTuple: UnpickledComposite {
    private(set) var items: [UnpickledValue]
    let offset: Int
    init(_ items: [UnpickledValue], offset: Int) { self.items = items; self.offset = offset }
    var childValues: [UnpickledValue] { items }
    func releaseChildren() { items = [] }
}

final class UnpickledDict: UnpickledComposite {
    private(set) var entries: [(key: UnpickledValue, value: UnpickledValue)] = []
    private var index: [UnpickledKey: Int] = [:]
    let offset: Int
    init(offset: Int) { self.offset = offset }

    /// Python `d[key] = value`: replaces the value of an equal key in place, else appends.
    func set(_ key: UnpickledValue, _ value: UnpickledValue, at opcodeOffset: Int) throws {
        let hashKey = try UnpickledKey(key, at: opcodeOffset)
        if let existing = index[hashKey] {
            entries[existing].value = value
        } else {
            index[hashKey] = entries.count
            entries.append((key, value))
        }
    }

    /// The value under a string key, if present.
    subscript(key: String) -> UnpickledValue? {
        index[.string(key)].map { entries[$0].value }
    }

    var childValues: [UnpickledValue] { entries.flatMap { [$0.key, $0.value] } }
    func releaseChildren() { entries = []; index = [:] }
}

final class UnpickledSet: UnpickledComposite {
    private(set) var items: [UnpickledValue] = []
    private(set) var index: Set<UnpickledKey> = []
    let offset: Int
    /// A frozenset (FROZENSET, `builtins.frozenset`): hashable, and ADDITEMS cannot extend it.
    let isFrozen: Bool
    init(offset: Int, frozen: Bool = false) { self.offset = offset; self.isFrozen = frozen }

    func insert(_ value: UnpickledValue, at opcodeOffset: Int) throws {
        if index.insert(try UnpickledKey(value, at: opcodeOffset)).inserted { items.append(value) }
    }

    var childValues: [UnpickledValue] { items }
    func releaseChildren() { items = []; index = [] }
}

/// Python hash equality for the values that can be dict keys or set members. `True == 1`, `1.0 == 1`
/// as in Python; objects compare by identity; lists, dicts and sets are unhashable.
enum UnpickledKey: Hashable {
    case none
    case int(Int64)
    case bigInt([UInt8])
    case float(UInt64)
    case string(String)
    case bytes([UInt8])
    case global(String)
    case tuple([UnpickledKey])
    case frozenSet(Set<UnpickledKey>)
    case identity(ObjectIdentifier)

    init(_ value: UnpickledValue, at offset: Int, depth: Int = 0) throws {
        guard depth < 64 else { throw CheckpointError("dict key nested deeper than 64 tuples", offset: offset) }
        switch value {
        case .none: self = .none
        case .bool(let b): self = .int(b ? 1 : 0)
        case .int(let i): self = .int(i)
        case .bigInt(let bytes): self = .bigInt(bytes)
        case .float(let f):
            if f == f.rounded(), f >= -9.223_372_036_854_775_808e18, f < 9.223_372_036_854_775_808e18 {
                self = .int(Int64(f))
            } else {
                self = .float(f.bitPattern)
            }
        case .string(let s): self = .string(s)
        case .bytes(let b): self = .bytes(b)
        case .global(let g): self = .global(g.fullName)
        case .tuple(let t): self = .tuple(try t.items.map { try UnpickledKey($0, at: offset, depth: depth + 1) })
        case .custom(let c): self = .identity(ObjectIdentifier(c))
        case .set(let set) where set.isFrozen: self = .frozenSet(set.index)
        case .list, .dict, .set, .byteArray:
            throw CheckpointError("unhashable \(value.kind) used as a dict key or set member", offset: offset)
        }
    }
}

/// Owns every composite created while unpickling, and dismantles them without recursion.
final class UnpicklerArena {
    private var objects: [UnpickledComposite] = []

    func adopt(_ value: UnpickledValue) {
        if let object = value.object { objects.append(object) }
    }

    /// Cuts every link between composites; afterwards each object is freed on its own.
    func dismantle() {
        for object in objects { object.releaseChildren() }
        objects = []
    }
}
