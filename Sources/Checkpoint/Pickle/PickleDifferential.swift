/// The pickle VM's side of the differential fuzz target (Sources/fuzz-pickle-differential,
/// scripts/pickle_differential.py, docs/fuzzing.md): runs the VM with inert semantics — allowlisted
/// globals become symbols, REDUCE / NEWOBJ / BINPERSID become call records that BUILD appends state to,
/// nothing is called — and prints the object graph in a canonical text form the Python oracle prints
/// identically for CPython's unpicklers. Mutable objects (lists, dicts, calls) are numbered by first
/// visit so shared references and cycles compare exactly; sets are printed sorted by value.
public enum PickleDifferential {
    /// The canonical form of `bytes` read as one pickle, or `!` and the error message.
    public static func canonical(_ bytes: UnsafeRawBufferPointer) -> String {
        do {
            return try Unpickler.load(bytes, baseOffset: 0, semantics: DifferentialSemantics()) { value, _ in
                var printer = CanonicalPrinter()
                printer.print(value, depth: 0)
                return printer.out
            }
        } catch let error as CheckpointError {
            return "!" + error.message
        } catch {
            return "!\(error)"
        }
    }
}

/// A call the VM did not make: kind R (REDUCE), N (NEWOBJ) or P (persistent id), plus BUILD states.
final class DifferentialCall: UnpickledCustom {
    let kind: Character
    let callable: UnpickledValue
    let args: UnpickledValue
    var states: [UnpickledValue] = []
    let offset: Int
    init(kind: Character, callable: UnpickledValue, args: UnpickledValue, offset: Int) {
        self.kind = kind
        self.callable = callable
        self.args = args
        self.offset = offset
    }
    var typeName: String { "call" }
    var childValues: [UnpickledValue] { [callable, args] + states }
    func releaseChildren() { states = [] }
}

final class DifferentialSemantics: UnpicklerSemantics {
    func global(module: String, name: String, offset: Int) throws -> UnpickledValue {
        guard TorchPickleAllowlist.role(module: module, name: name) != nil else {
            throw CheckpointError("refused global '\(module).\(name)'", offset: offset)
        }
        return .global(UnpickledGlobal(module: module, name: name))
    }

    func reduce(_ callable: UnpickledValue, _ args: UnpickledTuple, offset: Int) throws -> UnpickledValue {
        switch callable {
        case .global, .custom(is DifferentialCall): return .custom(DifferentialCall(kind: "R", callable: callable, args: .tuple(args), offset: offset))
        default: throw CheckpointError("REDUCE on a \(callable.kind)", offset: offset)
        }
    }

    func newObject(_ cls: UnpickledValue, _ args: UnpickledTuple, offset: Int) throws -> UnpickledValue {
        guard case .global = cls else { throw CheckpointError("NEWOBJ of a \(cls.kind)", offset: offset) }
        return .custom(DifferentialCall(kind: "N", callable: cls, args: .tuple(args), offset: offset))
    }

    func build(_ target: UnpickledValue, state: UnpickledValue, offset: Int) throws -> UnpickledValue {
        guard case .custom(let call as DifferentialCall) = target else {
            // A plain value has no __setstate__: CPython's default BUILD. Both unpicklers leave the target
            // as it is when the state is None, or (None, {}) (no dict state, an empty slot-state dict);
            // every other state fails in one of them (no __dict__, "state is not a dictionary", ...).
            if Self.isEmptyDefaultState(state) { return target }
            throw CheckpointError("BUILD on a \(target.kind)", offset: offset)
        }
        call.states.append(state)
        return target
    }

    /// None, or the pair (None, {}): the states CPython's default BUILD accepts on any object.
    static func isEmptyDefaultState(_ state: UnpickledValue) -> Bool {
        switch state {
        case .none: return true
        case .tuple(let pair) where pair.items.count == 2:
            guard case .none = pair.items[0], case .dict(let slots) = pair.items[1] else { return false }
            return slots.entries.isEmpty
        default: return false
        }
    }

    func persistentLoad(_ pid: UnpickledValue, offset: Int) throws -> UnpickledValue {
        .custom(DifferentialCall(kind: "P", callable: .none, args: pid, offset: offset))
    }
}

/// Prints values as scripts/pickle_differential.py's `canonical()` does.
struct CanonicalPrinter {
    var out = ""
    private var ids: [ObjectIdentifier: Int] = [:]
    static let maxDepth = 200
    static let maxLength = 1 << 20

    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        var s = ""
        s.reserveCapacity(bytes.count * 2)
        for b in bytes { s.append(digits[Int(b >> 4)]); s.append(digits[Int(b & 0xF)]) }
        return s
    }

    /// Minimal two's-complement little-endian bytes of an Int64.
    private static func intBytes(_ value: Int64) -> [UInt8] {
        var bytes = (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * Int64($0))) }
        while bytes.count > 1 {
            let last = bytes[bytes.count - 1], previous = bytes[bytes.count - 2]
            if (last == 0 && previous & 0x80 == 0) || (last == 0xFF && previous & 0x80 != 0) { bytes.removeLast() } else { break }
        }
        return bytes
    }

    /// Identity number of a mutable object: `#n` on first visit (returns true), `@n` afterwards.
    private mutating func visit(_ object: AnyObject, _ tag: String) -> Bool {
        let key = ObjectIdentifier(object)
        if let known = ids[key] { out += "@\(known)"; return false }
        ids[key] = ids.count
        out += tag + "#\(ids.count - 1)"
        return true
    }

    mutating func print(_ value: UnpickledValue, depth: Int) {
        guard out.utf8.count < CanonicalPrinter.maxLength else { return }
        guard depth < CanonicalPrinter.maxDepth else { out += "~"; return }
        switch value {
        case .none: out += "N"
        case .bool(let b): out += b ? "T" : "F"
        case .int(let i): out += "i" + CanonicalPrinter.hex(CanonicalPrinter.intBytes(i))
        case .bigInt(let bytes): out += "i" + CanonicalPrinter.hex(bytes)
        case .float(let f): out += "f" + String(f.bitPattern, radix: 16)
        case .string(let s): out += "s" + CanonicalPrinter.hex(Array(s.utf8))
        case .bytes(let b), .byteArray(let b): out += "b" + CanonicalPrinter.hex(b)
        case .global(let g): out += "g" + g.fullName
        case .tuple(let t):
            out += "("
            for item in t.items { print(item, depth: depth + 1); out += "," }
            out += ")"
        case .list(let list):
            guard visit(list, "L") else { return }
            out += "["
            for item in list.items { print(item, depth: depth + 1); out += "," }
            out += "]"
        case .dict(let dict):
            guard visit(dict, "D") else { return }
            out += "{"
            for entry in dict.entries { print(entry.key, depth: depth + 1); out += ":"; print(entry.value, depth: depth + 1); out += "," }
            out += "}"
        case .set(let set):
            var parts: [String] = []
            for item in set.items {
                var inner = CanonicalPrinter()
                inner.print(item, depth: depth + 1)
                parts.append(inner.out)
            }
            out += (set.isFrozen ? "z" : "S") + "{" + parts.sorted().joined(separator: ",") + "}"
        case .custom(let call as DifferentialCall):
            guard visit(call, "C") else { return }
            out += String(call.kind) + "("
            print(call.callable, depth: depth + 1)
            out += ";"
            print(call.args, depth: depth + 1)
            out += ";"
            for state in call.states { print(state, depth: depth + 1); out += "," }
            out += ")"
        case .custom(let other):
            out += "?" + other.typeName
        }
    }
}
