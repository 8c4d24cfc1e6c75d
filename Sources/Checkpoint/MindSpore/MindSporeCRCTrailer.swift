/// MindSpore's optional `crc_num` trailer (`save_checkpoint(crc_check=True)`): the last 17 bytes are
/// ASCII `crc_num` followed by a 10-byte big-endian CRC-32 of every preceding byte.
enum MindSporeCRCTrailer {
    static let marker = Array("crc_num".utf8)
    static let length = 17

    /// The stored CRC when the file ends with a trailer (detected as MindSpore does: bytes [-17, -10)
    /// spell `crc_num`), else nil.
    static func storedCRC(in file: MappedFile) throws -> UInt32? {
        guard file.count >= length else { return nil }
        let tail = file.bytes((file.count - length)..<file.count)
        guard tail.prefix(marker.count).elementsEqual(marker) else { return nil }
        let value = tail.suffix(10)  // [10] big-endian
        guard value.prefix(6).allSatisfy({ $0 == 0 }) else {
            throw CheckpointError("crc_num trailer value does not fit in 32 bits", offset: file.count - 10)
        }
        return value.suffix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// CRC-32 of `range`, computed in 64 MiB pieces whose pages are released as it goes (flat RSS).
    static func checksum(_ file: MappedFile, _ range: Range<Int>) -> UInt32 {
        var crc: UInt32 = 0
        var start = range.lowerBound
        let piece = 64 << 20
        while start < range.upperBound {
            let stop = min(range.upperBound, start + piece)
            crc = CRC32.update(crc, file.bytes(start..<stop))
            file.releasePages(start..<stop)
            start = stop
        }
        return crc
    }

    /// Verifies the trailer if present; returns where the protobuf stream ends.
    static func verify(_ file: MappedFile) throws -> Int {
        guard let stored = try storedCRC(in: file) else { return file.count }
        let bodyEnd = file.count - length
        let actual = checksum(file, 0..<bodyEnd)
        guard actual == stored else {
            throw CheckpointError("crc_num mismatch: the trailer says \(stored) but the content's CRC-32 is \(actual); the file is damaged", offset: bodyEnd)
        }
        return bodyEnd
    }
}
