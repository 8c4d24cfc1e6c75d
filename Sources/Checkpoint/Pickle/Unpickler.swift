/// A pickle virtual machine that executes nothing.
///
/// It understands the opcodes of protocols 2–5 that appear in real checkpoints (plus the cheap text
/// forms INT/LONG/FLOAT/GET/PUT). Opcodes that would import or call code (GLOBAL, STACK_GLOBAL, REDUCE,
/// NEWOBJ, BUILD, BINPERSID) are handed to an `UnpicklerSemantics` allowlist that decodes them as data
/// or refuses them; INST, OBJ, NEWOBJ_EX, EXT*, PERSID and out-of-band buffers are always refused.
/// Lengths are checked against the remaining input before anything is allocated, and the stack, marks,
/// memo and value count are bounded (`UnpicklerLimits`). Every error names the absolute byte offset of
/// the offending opcode.
final class Unpickler {
    private var input: UnpicklerInput
    private let semantics: UnpicklerSemantics
    private let limits: UnpicklerLimits
    private let arena = UnpicklerArena()
    private var stack: [UnpickledValue] = []
    /// Stack heights at each open MARK.
    private var marks: [Int] = []
    private var memo: [UInt32: UnpickledValue] = [:]
    private var valuesCreated = 0
    /// Absolute offset of the opcode being executed.
    private var opcodeOffset = 0
    /// The protocol named by the last PROTO opcode (0 before any): Python 2 module names are mapped
    /// to Python 3 ones only below protocol 3, as CPython's `find_class` does.
    private var proto = 0

    private init(input: UnpicklerInput, semantics: UnpicklerSemantics, limits: UnpicklerLimits) {
        self.input = input
        self.semantics = semantics
        self.limits = limits
    }

    /// Runs the pickle in `bytes` (which starts at absolute file offset `baseOffset`) to STOP and passes
    /// the result and the absolute offset just after STOP to `body`. The value graph is only valid
    /// inside `body`; it is dismantled afterwards.
    static func load<R>(_ bytes: UnsafeRawBufferPointer, baseOffset: Int, semantics: UnpicklerSemantics,
                        limits: UnpicklerLimits = .standard,
                        _ body: (_ value: UnpickledValue, _ endOffset: Int) throws -> R) throws -> R {
        let machine = Unpickler(input: UnpicklerInput(bytes: bytes, baseOffset: baseOffset), semantics: semantics, limits: limits)
        defer { machine.teardown() }
        let value = try machine.run()
        return try body(value, machine.input.absolutePosition)
    }

    private func teardown() {
        arena.dismantle()
        stack = []
        memo = [:]
    }

    // MARK: - Main loop

    private func run() throws -> UnpickledValue {
        while true {
            opcodeOffset = input.absolutePosition
            let byte = try input.byte()
            guard let opcode = UnpicklerOpcode(rawValue: byte) else {
                throw fail("unknown pickle opcode 0x\(String(format2: byte))")
            }
            if opcode == .stop {
                guard marks.isEmpty, stack.count == 1 else {
                    throw fail("STOP with \(stack.count) values on the stack and \(marks.count) open MARKs")
                }
                // CPython's C unpickler (reading a file with peek) resumes right after STOP, the
                // pure-Python one after the whole frame: a stream with more pickles is ambiguous.
                guard input.unreadFrameBytes == 0 else {
                    throw fail("STOP inside a FRAME that still has \(input.unreadFrameBytes) unread bytes")
                }
                return stack[0]
            }
            try execute(opcode)
        }
    }

    private func execute(_ opcode: UnpicklerOpcode) throws {
        switch opcode {
        case .proto:
            let version = try input.u8()
            guard version <= 5 else { throw fail("unsupported pickle protocol \(version)") }
            proto = Int(version)
        case .frame:
            try input.openFrame(try input.u64(), opcodeOffset: opcodeOffset)
        case .stop:
            break
        case .mark:
            guard marks.count < limits.maxMarkDepth else { throw fail("more than \(limits.maxMarkDepth) nested MARKs") }
            marks.append(stack.count)
        case .pop:
            if stack.count > fence {
                stack.removeLast()
            } else if !marks.isEmpty {
                marks.removeLast()
            } else {
                throw fail("POP on an empty stack")
            }
        case .popMark:
            _ = try popMark()
        case .dup:
            try push(try peek())
        case .none: try push(.none)
        case .newTrue: try push(.bool(true))
        case .newFalse: try push(.bool(false))
        case .int, .long, .float, .binInt, .binInt1, .binInt2, .long1, .long4, .binFloat:
            try push(try readNumber(opcode))
        case .binString, .shortBinString, .binUnicode, .shortBinUnicode, .binUnicode8,
             .binBytes, .shortBinBytes, .binBytes8, .byteArray8:
            try push(try readStringOrBytes(opcode))
        case .emptyList: try pushNew(.list(UnpickledList([], offset: opcodeOffset)))
        case .emptyTuple: try pushNew(.tuple(UnpickledTuple([], offset: opcodeOffset)))
        case .emptyDict: try pushNew(.dict(UnpickledDict(offset: opcodeOffset)))
        case .emptySet: try pushNew(.set(UnpickledSet(offset: opcodeOffset)))
        case .list: try pushNew(.list(UnpickledList(try popMark(), offset: opcodeOffset)))
        case .tuple: try pushNew(.tuple(UnpickledTuple(try popMark(), offset: opcodeOffset)))
        case .tuple1, .tuple2, .tuple3:
            let count = Int(opcode.rawValue - UnpicklerOpcode.tuple1.rawValue) + 1
            try pushNew(.tuple(UnpickledTuple(try pop(count), offset: opcodeOffset)))
        case .dict:
            let dict = UnpickledDict(offset: opcodeOffset)
            try fill(dict, with: try popMark())
            try pushNew(.dict(dict))
        case .frozenSet:
            let set = UnpickledSet(offset: opcodeOffset, frozen: true)
            for item in try popMark() { try set.insert(item, at: opcodeOffset) }
            try pushNew(.set(set))
        case .append, .appends:
            let items = opcode == .append ? try pop(1) : try popMark()
            guard case .list(let list) = try peek() else { throw fail("APPEND(S) to a \(try peek().kind), not a list") }
            list.items.append(contentsOf: items)
        case .addItems:
            let items = try popMark()
            guard case .set(let set) = try peek(), !set.isFrozen else { throw fail("ADDITEMS to a \(try peek().kind), not a mutable set") }
            for item in items { try set.insert(item, at: opcodeOffset) }
        case .setItem, .setItems:
            let items = opcode == .setItem ? try pop(2) : try popMark()
            // CPython's SETITEMS with no items touches nothing (any value may sit below the MARK).
            if items.isEmpty { _ = try peek(); break }
            guard case .dict(let dict) = try peek() else { throw fail("SETITEM(S) on a \(try peek().kind), not a dict") }
            try fill(dict, with: items)
        case .get, .binGet, .longBinGet:
            let index = try readMemoIndex(opcode)
            guard let value = memo[index] else { throw fail("memo entry \(index) is read before it is written") }
            try push(value)
        case .put, .binPut, .longBinPut, .memoize:
            let index = opcode == .memoize ? UInt32(truncatingIfNeeded: memo.count) : try readMemoIndex(opcode)
            let value = try peek()
            if memo[index] == nil, memo.count >= limits.maxMemoEntries {
                throw fail("more than \(limits.maxMemoEntries) memo entries")
            }
            memo[index] = value
        case .global:
            let module = try input.line(limit: limits.maxLineLength, "GLOBAL module")
            let name = try input.line(limit: limits.maxLineLength, "GLOBAL name")
            try push(try resolveGlobal(module, name))
        case .stackGlobal:
            let parts = try pop(2)
            guard case .string(let module) = parts[0], case .string(let name) = parts[1] else {
                throw fail("STACK_GLOBAL needs two strings, got \(parts[0].kind) and \(parts[1].kind)")
            }
            try push(try resolveGlobal(module, name))
        case .reduce:
            let parts = try pop(2)
            guard case .tuple(let args) = parts[1] else { throw fail("REDUCE arguments are a \(parts[1].kind), not a tuple") }
            try pushNew(try semantics.reduce(parts[0], args, offset: opcodeOffset))
        case .newObj:
            let parts = try pop(2)
            guard case .tuple(let args) = parts[1] else { throw fail("NEWOBJ arguments are a \(parts[1].kind), not a tuple") }
            try pushNew(try semantics.newObject(parts[0], args, offset: opcodeOffset))
        case .build:
            let parts = try pop(2)
            try push(try semantics.build(parts[0], state: parts[1], offset: opcodeOffset))
        case .binPersID:
            let pid = try pop(1)[0]
            try pushNew(try semantics.persistentLoad(pid, offset: opcodeOffset))
        case .persID:
            throw fail("text persistent id (PERSID) refused (protocol 0); torch.load cannot read a protocol-0 torch.save file either")
        case .inst, .obj:
            throw fail("INST/OBJ opcodes (instance creation) refused")
        case .newObjEx:
            throw fail("NEWOBJ_EX (object creation with keyword arguments) refused")
        case .ext1, .ext2, .ext4:
            throw fail("copyreg extension codes (EXT1/EXT2/EXT4) refused")
        case .nextBuffer, .readonlyBuffer:
            throw fail("out-of-band pickle buffers (NEXT_BUFFER/READONLY_BUFFER) are not available")
        case .string:
            let text = try input.rawLine(limit: limits.maxLineLength, "STRING argument")
            guard let raw = UnpicklerText.quotedString(text) else {
                throw fail("STRING argument is not a quoted, correctly escaped string")
            }
            guard let string = String(validating: raw, as: UTF8.self) else { throw fail("STRING argument is not valid UTF-8") }
            try push(.string(string))
        case .unicode:
            let text = try input.rawLine(limit: limits.maxLineLength, "UNICODE argument")
            guard let string = UnpicklerText.rawUnicodeEscape(text) else {
                throw fail("UNICODE argument has a truncated or invalid \\u escape (or a lone surrogate)")
            }
            try push(.string(string))
        }
    }

    // MARK: - Stack

    /// The lowest stack index the current frame may pop (the last MARK).
    private var fence: Int { marks.last ?? 0 }

    private func push(_ value: UnpickledValue) throws {
        guard stack.count < limits.maxStackDepth else { throw fail("pickle stack deeper than \(limits.maxStackDepth) values") }
        valuesCreated += 1
        guard valuesCreated <= limits.maxValues else { throw fail("pickle creates more than \(limits.maxValues) values") }
        stack.append(value)
    }

    /// Pushes a value created by this opcode, handing its composite to the arena.
    private func pushNew(_ value: UnpickledValue) throws {
        arena.adopt(value)
        try push(value)
    }

    private func peek() throws -> UnpickledValue {
        guard stack.count > fence, let top = stack.last else { throw fail("pickle stack underflow") }
        return top
    }

    /// Pops the top `count` values (in stack order), never below the current MARK.
    private func pop(_ count: Int) throws -> [UnpickledValue] {
        guard stack.count - fence >= count else { throw fail("pickle stack underflow") }
        let items = Array(stack[(stack.count - count)...])
        stack.removeLast(count)
        return items
    }

    private func popMark() throws -> [UnpickledValue] {
        guard let mark = marks.popLast() else { throw fail("no MARK to pop to") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private func fill(_ dict: UnpickledDict, with items: [UnpickledValue]) throws {
        guard items.count % 2 == 0 else { throw fail("odd number of values (\(items.count)) for dict items") }
        var i = 0
        while i < items.count {
            try dict.set(items[i], items[i + 1], at: opcodeOffset)
            i += 2
        }
    }

    private func resolveGlobal(_ module: String, _ name: String) throws -> UnpickledValue {
        let renamed = proto < 3 ? Unpickler.python2Modules[module] ?? module : module
        return try semantics.global(module: renamed, name: name, offset: opcodeOffset)
    }

    // MARK: - Arguments

    private func readMemoIndex(_ opcode: UnpicklerOpcode) throws -> UInt32 {
        switch opcode {
        case .binGet, .binPut: return UInt32(try input.u8())
        case .longBinGet, .longBinPut: return try input.u32()
        default:
            let text = try input.rawLine(limit: limits.maxLineLength, "memo index")
            guard let index = UnpicklerText.memoIndex(text) else {
                throw fail("memo index '\(String(decoding: text.prefix(40), as: UTF8.self))' is not a decimal number in 0...\(UInt32.max)")
            }
            return index
        }
    }

    private func readNumber(_ opcode: UnpicklerOpcode) throws -> UnpickledValue {
        switch opcode {
        case .binInt: return .int(Int64(try input.i32()))
        case .binInt1: return .int(Int64(try input.u8()))
        case .binInt2: return .int(Int64(try input.u16()))
        case .binFloat: return .float(try input.bigEndianDouble())
        case .long1:
            let count = Int(try input.u8())
            return UnpicklerNumbers.long(try input.take(count, "LONG1"))
        case .long4:
            let count = Int(try input.i32())
            guard count >= 0 else { throw fail("negative LONG4 length \(count)") }
            return UnpicklerNumbers.long(try input.take(count, "LONG4"))
        case .int:
            let text = try input.rawLine(limit: limits.maxLineLength, "INT argument")
            guard let value = UnpicklerText.int(text) else {
                throw fail("INT argument '\(printable(text))' is not an integer both CPython unpicklers read alike")
            }
            return value
        case .long:
            let text = try input.rawLine(limit: limits.maxLineLength, "LONG argument")
            guard let value = UnpicklerText.long(text) else { throw fail("LONG argument '\(printable(text))' is not an integer") }
            return value
        default:
            let text = try input.rawLine(limit: limits.maxLineLength, "FLOAT argument")
            guard let value = UnpicklerText.float(text) else {
                throw fail("FLOAT argument '\(printable(text))' is not a number both CPython unpicklers read alike")
            }
            return .float(value)
        }
    }

    private func readStringOrBytes(_ opcode: UnpicklerOpcode) throws -> UnpickledValue {
        let length: Int
        switch opcode {
        case .shortBinString, .shortBinUnicode, .shortBinBytes:
            length = Int(try input.u8())
        case .binString:
            let signed = try input.i32()
            guard signed >= 0 else { throw fail("negative BINSTRING length \(signed)") }
            length = Int(signed)
        case .binUnicode, .binBytes:
            length = Int(try input.u32())
        default:
            length = try input.length(try input.u64(), "BINUNICODE8/BINBYTES8")
        }
        let dataOffset = input.absolutePosition
        let raw = try input.take(length, "string")
        switch opcode {
        case .byteArray8:
            return .byteArray(Array(raw))
        case .binBytes, .shortBinBytes, .binBytes8:
            return .bytes(Array(raw))
        default:
            return .string(try input.utf8(raw, at: dataOffset))
        }
    }

    /// CPython's `_compat_pickle.IMPORT_MAPPING` entries whose Python 3 module has allowlisted names
    /// (others map to modules that are refused either way).
    static let python2Modules = ["__builtin__": "builtins", "copy_reg": "copyreg",
                                 "UserDict": "collections", "UserList": "collections", "UserString": "collections"]

    private func printable(_ text: [UInt8]) -> String {
        String(decoding: text.prefix(40), as: UTF8.self).unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : String($0) }.joined()
    }

    private func fail(_ message: String) -> CheckpointError {
        CheckpointError(message, offset: opcodeOffset)
    }
}
