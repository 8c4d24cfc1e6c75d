/// A forward cursor over pickle bytes. Every read is checked against the remaining input before any
/// allocation, and errors carry the absolute file offset (`baseOffset` + position).
///
/// Reads are FRAME-exact, as CPython's pure-Python `_Unframer` (Lib/pickle.py): inside a frame, every
/// read must lie wholly in the frame; a read that starts exactly at the frame's end leaves the frame
/// and reads the bytes after it. A read that would cross the frame's end is refused here — CPython's
/// pure-Python unpickler refuses it ("pickle exhausted before end of frame") while the C unpickler
/// reading a file without `peek` (io.BytesIO, which torch.load uses for data.pkl) silently drops the
/// rest of the frame and reads on after it, so any other reading would disagree with one of them.
struct UnpicklerInput {
    let bytes: UnsafeRawBufferPointer
    /// Absolute file offset of `bytes[0]`.
    let baseOffset: Int
    private(set) var position = 0
    /// Position just past the current frame, while one is open.
    private(set) var frameEnd: Int?
    /// Absolute offset of the current FRAME opcode (for messages).
    private var frameOpcodeOffset = 0

    init(bytes: UnsafeRawBufferPointer, baseOffset: Int) {
        self.bytes = bytes
        self.baseOffset = baseOffset
    }

    /// Absolute file offset of the next byte.
    var absolutePosition: Int { baseOffset + position }
    var remaining: Int { bytes.count - position }

    /// Unread bytes of the current frame (0 outside frames).
    var unreadFrameBytes: Int { frameEnd.map { $0 - position } ?? 0 }

    /// Checks that a read of `count` bytes (or of a line, `count == nil`, up to `lineEnd`) stays within
    /// the current frame, and leaves a frame that has been read to its end.
    private mutating func enterRead(_ count: Int, _ what: @autoclosure () -> String) throws {
        guard let end = frameEnd else { return }
        if position == end {
            if count > 0 { frameEnd = nil }
            return
        }
        guard count <= end - position else {
            throw CheckpointError("\(what()) (\(count) bytes) crosses the end of the FRAME opened at byte \(frameOpcodeOffset), which ends at byte \(baseOffset + end) (CPython's pure-Python unpickler refuses this; its C unpickler reads past it differently)",
                                  offset: absolutePosition)
        }
    }

    /// FRAME: opens a frame of `length` bytes starting here. Refused while the current frame has unread
    /// bytes (CPython: "beginning of a new frame before end of current frame") and when the frame runs
    /// past the end of the input (CPython's C unpickler: "pickle data was truncated").
    mutating func openFrame(_ raw: UInt64, opcodeOffset: Int) throws {
        if let end = frameEnd, end > position {
            throw CheckpointError("FRAME opened while the FRAME at byte \(frameOpcodeOffset) still has \(end - position) unread bytes (a nested frame; CPython refuses it)",
                                  offset: opcodeOffset)
        }
        guard raw <= UInt64(remaining) else {
            throw CheckpointError("FRAME length \(raw) runs past the end of the pickle (\(remaining) bytes left)", offset: opcodeOffset)
        }
        frameEnd = position + Int(raw)
        frameOpcodeOffset = opcodeOffset
    }

    mutating func byte() throws -> UInt8 {
        try enterRead(1, "opcode")
        guard position < bytes.count else {
            throw CheckpointError("pickle ends without STOP (truncated)", offset: absolutePosition)
        }
        defer { position += 1 }
        return bytes[position]
    }

    /// `count` raw bytes; `count` is checked against the remaining input first.
    mutating func take(_ count: Int, _ what: String) throws -> UnsafeRawBufferPointer {
        guard count >= 0, count <= remaining else {
            throw CheckpointError("\(what) length \(count) runs past the end of the pickle (\(remaining) bytes left)", offset: absolutePosition)
        }
        try enterRead(count, what)
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
    }

    /// A length given as an unsigned 64-bit field, checked against the remaining input.
    mutating func length(_ raw: UInt64, _ what: String) throws -> Int {
        guard raw <= UInt64(remaining) else {
            throw CheckpointError("\(what) length \(raw) runs past the end of the pickle (\(remaining) bytes left)", offset: absolutePosition)
        }
        return Int(raw)
    }

    mutating func u8() throws -> UInt8 { try byte() }

    mutating func u16() throws -> UInt16 {
        let raw = try take(2, "2-byte argument")
        return UInt16(littleEndian: raw.loadUnaligned(as: UInt16.self))
    }

    mutating func u32() throws -> UInt32 {
        let raw = try take(4, "4-byte argument")
        return UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self))
    }

    mutating func i32() throws -> Int32 { Int32(bitPattern: try u32()) }

    mutating func u64() throws -> UInt64 {
        let raw = try take(8, "8-byte argument")
        return UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
    }

    /// An 8-byte big-endian IEEE-754 double (BINFLOAT).
    mutating func bigEndianDouble() throws -> Double {
        let raw = try take(8, "BINFLOAT argument")
        return Double(bitPattern: UInt64(bigEndian: raw.loadUnaligned(as: UInt64.self)))
    }

    /// A newline-terminated text argument (without the newline), at most `limit` bytes long, as UTF-8.
    mutating func line(limit: Int, _ what: String) throws -> String {
        let start = position
        let raw = try lineBytes(limit: limit, what)
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw CheckpointError("\(what) is not valid UTF-8", offset: baseOffset + start)
        }
        return text
    }

    /// The bytes of a newline-terminated argument (without the newline); the read stays in its frame.
    private mutating func lineBytes(limit: Int, _ what: String) throws -> UnsafeRawBufferPointer {
        if let frame = frameEnd, position == frame { frameEnd = nil }
        let start = position
        var end = start
        while true {
            if let frame = frameEnd, end >= frame {
                throw CheckpointError("\(what) crosses the end of the FRAME opened at byte \(frameOpcodeOffset), which ends at byte \(baseOffset + frame) (CPython's pure-Python unpickler refuses this)",
                                      offset: baseOffset + start)
            }
            guard end < bytes.count else {
                throw CheckpointError("\(what) has no terminating newline", offset: baseOffset + start)
            }
            if bytes[end] == 0x0A { break }
            end += 1
            guard end - start <= limit else {
                throw CheckpointError("\(what) is longer than \(limit) bytes", offset: baseOffset + start)
            }
        }
        position = end + 1
        return UnsafeRawBufferPointer(rebasing: bytes[start..<end])
    }

    /// A newline-terminated argument as raw bytes (without the newline), at most `limit` bytes long.
    mutating func rawLine(limit: Int, _ what: String) throws -> [UInt8] {
        Array(try lineBytes(limit: limit, what))
    }

    /// Decodes UTF-8 text of a string opcode, refusing invalid sequences.
    func utf8(_ raw: UnsafeRawBufferPointer, at offset: Int) throws -> String {
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw CheckpointError("string is not valid UTF-8", offset: offset)
        }
        return text
    }
}
