/// A linear, frame-exact walk over one pickle's opcodes (like `pickletools.genops`) that collects every
/// global named in text (GLOBAL, INST) and counts the opcodes that name globals indirectly
/// (STACK_GLOBAL, EXT*). It builds no objects, so it reaches opcodes the data VM refuses.
struct PickleOpcodeWalker {
    struct Result {
        var textGlobals: [(name: String, offset: Int)] = []
        var stackGlobals = 0
        var extensionCodes = 0
        /// Absolute offset just after STOP.
        var end = 0
    }

    /// Walks to STOP, filling `result` as it goes (so what was seen before an error is kept).
    static func walk(_ bytes: UnsafeRawBufferPointer, baseOffset: Int, into result: inout Result) throws {
        var input = UnpicklerInput(bytes: bytes, baseOffset: baseOffset)
        var proto = 0
        while true {
            let offset = input.absolutePosition
            let byte = try input.byte()
            guard let opcode = UnpicklerOpcode(rawValue: byte) else {
                throw CheckpointError("unknown pickle opcode 0x\(String(format2: byte))", offset: offset)
            }
            switch opcode {
            case .stop:
                result.end = input.absolutePosition
                return
            case .proto: proto = Int(try input.u8())
            case .frame: try input.openFrame(try input.u64(), opcodeOffset: offset)
            case .global, .inst:
                let module = try input.line(limit: 1 << 12, "GLOBAL module")
                let name = try input.line(limit: 1 << 12, "GLOBAL name")
                let renamed = proto < 3 ? Unpickler.python2Modules[module] ?? module : module
                result.textGlobals.append((renamed + "." + name, offset))
            case .stackGlobal: result.stackGlobals += 1
            case .ext1: _ = try input.u8(); result.extensionCodes += 1
            case .ext2: _ = try input.u16(); result.extensionCodes += 1
            case .ext4: _ = try input.u32(); result.extensionCodes += 1
            case .binInt1, .binGet, .binPut: _ = try input.u8()
            case .binInt2: _ = try input.u16()
            case .binInt, .longBinGet, .longBinPut: _ = try input.u32()
            case .binFloat: _ = try input.u64()
            case .shortBinString, .shortBinUnicode, .shortBinBytes, .long1:
                _ = try input.take(Int(try input.u8()), "string")
            case .binString, .binUnicode, .binBytes, .long4:
                _ = try input.take(Int(Int32(bitPattern: try input.u32())), "string")
            case .binUnicode8, .binBytes8, .byteArray8:
                _ = try input.take(try input.length(try input.u64(), "8-byte length"), "string")
            case .int, .long, .float, .string, .unicode, .get, .put, .persID:
                _ = try input.rawLine(limit: 1 << 16, "text argument")
            default:
                break  // opcodes without arguments
            }
        }
    }
}
