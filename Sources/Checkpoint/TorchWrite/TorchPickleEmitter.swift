/// Emits a Python pickle, protocol 2, opcode by opcode, with the same opcode choices as CPython's C
/// pickler (`_pickle.Pickler`), which is what `torch.save` runs. Only the opcodes a state dict of tensors
/// needs are here; every one of them is on torch's `weights_only` allowlist.
///
/// Memoisation is explicit: the caller decides which values CPython would memoise (everything except
/// ints, `None`, booleans and the empty tuple) and calls `memoize()` right after emitting them, exactly
/// where the C pickler writes `BINPUT`.
struct TorchPickleEmitter {
    private var out = TorchWriteBuffer()
    /// Number of memo slots handed out so far (the next `memoize()` uses this index).
    private(set) var memoCount = 0

    /// Starts a stream with `PROTO 2`.
    init() {
        out.u8(0x80)
        out.u8(2)
    }

    /// The pickle so far.
    var bytes: [UInt8] { out.bytes }

    /// `BINPUT` (index < 256) or `LONG_BINPUT`; returns the memo index given to the top of the stack.
    @discardableResult
    mutating func memoize() throws -> Int {
        let index = memoCount
        guard index <= Int(UInt32.max) else { throw CheckpointError("pickle memo exceeds 2^32 entries") }
        if index < 256 {
            out.u8(0x71)  // BINPUT
            out.u8(UInt8(index))
        } else {
            out.u8(0x72)  // LONG_BINPUT
            out.u32(UInt32(index))
        }
        memoCount += 1
        return index
    }

    /// `BINGET` (index < 256) or `LONG_BINGET`.
    mutating func get(_ index: Int) {
        if index < 256 {
            out.u8(0x68)  // BINGET
            out.u8(UInt8(index))
        } else {
            out.u8(0x6A)  // LONG_BINGET
            out.u32(UInt32(truncatingIfNeeded: index))
        }
    }

    /// `GLOBAL module\nname\n` (not memoised here).
    mutating func global(module: String, name: String) {
        out.u8(0x63)
        out.append(module.utf8)
        out.u8(0x0A)
        out.append(name.utf8)
        out.u8(0x0A)
    }

    /// `BINUNICODE`: uint32 length + UTF-8 (not memoised here).
    mutating func unicode(_ text: String) throws {
        let utf8 = Array(text.utf8)  // [length] UTF-8 bytes
        guard utf8.count <= Int(UInt32.max) else { throw CheckpointError("string of \(utf8.count) bytes is too long for a protocol-2 pickle") }
        out.u8(0x58)
        out.u32(UInt32(utf8.count))
        out.append(utf8)
    }

    /// An int as CPython pickles it: `BININT1` for 0...255, `BININT2` for 256...65535, `BININT` for the
    /// rest of the int32 range, `LONG1` (minimal two's complement, little-endian) beyond.
    mutating func int(_ value: Int) {
        if value >= 0 && value <= 0xFF {
            out.u8(0x4B)
            out.u8(UInt8(value))
        } else if value >= 0 && value <= 0xFFFF {
            out.u8(0x4D)
            out.u16(UInt16(value))
        } else if value >= Int(Int32.min) && value <= Int(Int32.max) {
            out.u8(0x4A)
            out.u32(UInt32(bitPattern: Int32(value)))
        } else {
            let magnitudeBits = Int.bitWidth - (value < 0 ? (~value).leadingZeroBitCount : value.leadingZeroBitCount)
            var length = (magnitudeBits >> 3) + 1
            var encoded: [UInt8] = []  // [length] two's-complement bytes, little-endian
            for index in 0..<length { encoded.append(UInt8(truncatingIfNeeded: value >> (8 * min(index, 7)))) }
            if value < 0, length > 1, encoded[length - 1] == 0xFF, encoded[length - 2] & 0x80 != 0 {
                length -= 1
                encoded.removeLast()
            }
            out.u8(0x8A)
            out.u8(UInt8(length))
            out.append(encoded)
        }
    }

    /// A tuple of ints as CPython pickles it: `EMPTY_TUPLE` (never memoised), `TUPLE1/2/3`, or
    /// `MARK … TUPLE`; non-empty tuples are memoised.
    mutating func intTuple(_ values: [Int]) throws {
        if values.isEmpty {
            emptyTuple()
            return
        }
        if values.count > 3 { mark() }
        for value in values { int(value) }
        switch values.count {
        case 1: out.u8(0x85)  // TUPLE1
        case 2: out.u8(0x86)  // TUPLE2
        case 3: out.u8(0x87)  // TUPLE3
        default: out.u8(0x74)  // TUPLE
        }
        try memoize()
    }

    mutating func mark() { out.u8(0x28) }
    /// `TUPLE`: the items since the last mark.
    mutating func tupleFromMark() { out.u8(0x74) }
    mutating func emptyTuple() { out.u8(0x29) }
    mutating func newFalse() { out.u8(0x89) }
    mutating func reduce() { out.u8(0x52) }
    mutating func binPersistentID() { out.u8(0x51) }
    mutating func setItem() { out.u8(0x73) }
    mutating func setItems() { out.u8(0x75) }
    mutating func stop() { out.u8(0x2E) }
    /// One opcode byte with no argument (NONE, NEWTRUE, EMPTY_LIST, APPEND, ...), or one argument byte.
    mutating func raw(_ byte: UInt8) { out.u8(byte) }
}
