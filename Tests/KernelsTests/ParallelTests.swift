import Foundation
import XCTest
@testable import Kernels

final class ParallelTests: XCTestCase {
    /// `forGrid` covers every (row, column) exactly once, keeps row cuts on the alignment, uses no more
    /// pieces than workers, and splits rows only when the columns are too few for the workers.
    func testGridCoversEveryCellOnceAndSplitsRowsOnlyWhenColumnsAreFew() {
        let workers = Parallel.threadCount
        defer { Parallel.threadCount = workers }
        for (threads, rows, columns) in [(1, 512, 24), (2, 512, 24), (2, 512, 8), (7, 200, 2), (16, 512, 24), (16, 512, 96),
                                         (16, 20, 3), (3, 1, 1), (4, 64, 1)] {
            Parallel.threadCount = threads
            let lock = NSLock()
            var hits = [Int](repeating: 0, count: rows * columns)
            var pieces: [(Range<Int>, Range<Int>)] = []
            Parallel.forGrid(rows: rows, columns: columns, rowAlignment: 8, minimumRows: 64, columnsPerWorker: 8) { r, c in
                lock.lock()
                pieces.append((r, c))
                for row in r { for column in c { hits[row * columns + column] += 1 } }
                lock.unlock()
            }
            let shape = "\(threads) workers, \(rows) × \(columns)"
            XCTAssertEqual(Set(hits), [1], shape)
            XCTAssertLessThanOrEqual(pieces.count, threads, shape)
            XCTAssertTrue(pieces.allSatisfy { $0.0.lowerBound % 8 == 0 }, shape)
            let rowSplit = Set(pieces.map { $0.0 }).count > 1
            XCTAssertEqual(rowSplit, columns < 8 * threads && rows >= 128 && threads > 1, shape)
        }
    }
}
