import XCTest
@testable import Datasets

final class SHA256Tests: XCTestCase {
    /// FIPS 180-4 examples, and a message crossing several blocks in uneven pieces.
    func testKnownDigests() {
        func digest(_ pieces: [String]) -> String {
            var h = SHA256()
            for p in pieces { Array(p.utf8).withUnsafeBytes { h.update($0) } }
            return h.hexDigest()
        }
        XCTAssertEqual(digest([""]), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(digest(["abc"]), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(digest(["abcdbcdecdefdefgefghfghighij", "hijkijkljklmklmnlmnomnopnopq"]),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(digest((0..<141).map { _ in "aaaaaaa" } + ["aaaaaaaaaaaaa"]),
                       "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }
}

