import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ZipArchive {
    /// Size of one verification piece.
    static let checksumPieceBytes = 8 << 20

    /// Checks the CRC-32 of every stored record whose CRC is non-zero. The records are cut into 8 MiB
    /// pieces, hashed on up to two threads with their pages released right after (RSS stays near
    /// 2 × 8 MiB), and the piece CRCs are combined per record.
    func verifyChecksums() throws {
        var pieces: [(entry: Int, range: Range<Int>)] = []  // [≈ stored bytes / 8 MiB + records]
        for (index, entry) in entries.enumerated() where entry.isStored && entry.crc32 != 0 {
            var start = entry.dataRange.lowerBound
            repeat {
                let end = min(start + Self.checksumPieceBytes, entry.dataRange.upperBound)
                pieces.append((index, start..<end))
                start = end
            } while start < entry.dataRange.upperBound
        }
        guard !pieces.isEmpty else { return }
        let crcs = Self.pieceChecksums(file, pieces.map(\.range))
        var computed: [Int: UInt32] = [:]
        for (piece, crc) in zip(pieces, crcs) {
            computed[piece.entry] = computed[piece.entry].map { CRC32.combine($0, crc, lengthB: piece.range.count) } ?? crc
        }
        for (index, entry) in entries.enumerated() {
            guard let crc = computed[index], crc != entry.crc32 else { continue }
            throw CheckpointError("CRC-32 mismatch in zip record '\(entry.name)': stored \(hex(entry.crc32)), computed \(hex(crc))",
                                  offset: entry.dataRange.lowerBound)
        }
    }

    /// The CRC-32 of each range, computed in parallel. Workers read through the mapping (measured: 0.37 s
    /// for the 2.7 GB DiT file, against 0.58 s with `pread` into a buffer, whose copy cost as much as
    /// the hashing) and hand each range's pages back right after.
    private static func pieceChecksums(_ file: MappedFile, _ ranges: [Range<Int>]) -> [UInt32] {
        let workers = max(1, min(2, ranges.count, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
        var crcs = [UInt32](repeating: 0, count: ranges.count)  // [ranges.count]
        crcs.withUnsafeMutableBufferPointer { out in
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                for k in stride(from: worker, to: ranges.count, by: workers) {
                    out[k] = CRC32.update(0, file.bytes(ranges[k]))
                    file.releasePages(ranges[k])
                }
            }
        }
        return crcs
    }
}
