import XCTest
@testable import Checkpoint

/// The PCLMULQDQ CRC-32 must equal zlib's for every length, alignment and starting value.
final class CRC32Tests: XCTestCase {
    private func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    func testMatchesZlibForEveryShortLengthAndAlignment() {
        let bytes = randomBytes(300 + 16, seed: 1)
        bytes.withUnsafeBytes { all in
            for start in 0..<16 {
                for length in 0...300 {
                    let piece = UnsafeRawBufferPointer(rebasing: all[start..<(start + length)])
                    for initial: UInt32 in [0, 0xFFFF_FFFF, 0x1234_5678] {
                        XCTAssertEqual(CRC32.update(initial, piece), CRC32.zlibUpdate(initial, piece), "start \(start) length \(length)")
                    }
                }
            }
        }
    }

    func testMatchesZlibForLargeBuffers() {
        let bytes = randomBytes((8 << 20) + 7, seed: 2)
        bytes.withUnsafeBytes { all in
            for (start, length) in [(0, 8 << 20), (3, (8 << 20) + 4), (1, 1_000_003), (5, 65_536 + 15)] {
                let piece = UnsafeRawBufferPointer(rebasing: all[start..<(start + length)])
                XCTAssertEqual(CRC32.update(0, piece), CRC32.zlibUpdate(0, piece), "start \(start) length \(length)")
            }
        }
    }

    func testKnownValueAndChaining() {
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
        let bytes = randomBytes(100_000, seed: 3)
        let whole = CRC32.checksum(bytes)
        let split = 40_001
        let a = CRC32.checksum(Array(bytes[..<split]))
        let b = CRC32.checksum(Array(bytes[split...]))
        XCTAssertEqual(bytes.withUnsafeBytes { CRC32.update(a, UnsafeRawBufferPointer(rebasing: $0[split...])) }, whole)
        XCTAssertEqual(CRC32.combine(a, b, lengthB: bytes.count - split), whole)
    }
}
