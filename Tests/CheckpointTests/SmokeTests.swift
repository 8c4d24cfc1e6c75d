import XCTest
@testable import Checkpoint

final class SmokeTests: XCTestCase {
    func testContiguousStrides() {
        XCTAssertEqual(Tensor.contiguousStrides([2, 3, 4]), [12, 4, 1])
    }
}
