import Foundation
import XCTest

/// One rank failing must end the whole job within seconds, with a message naming the rank, never a
/// hang (the other rank sits in an allreduce/barrier loop that would run 60 s).
final class FailureTests: XCTestCase {
    /// Generous bound on 2 busy cores; measured ≈ 1–2 s (docs/distributed.md).
    static let limit = 15.0

    func testAbortEndsTheJobAndNamesTheRank() throws {
        let result = try MPIRun.run(ranks: 2, "mpi-selftest", ["fail", "abort", "1"])
        XCTAssertEqual(result.status, 7, "MPI_Abort's error code is mpirun's exit status\n" + result.output)
        XCTAssertTrue(result.stderr.contains("mpi-selftest: rank 1 of 2: error: deliberate failure (mpi-selftest fail abort)"), result.output)
        XCTAssertLessThan(result.seconds, Self.limit, result.output)
    }

    func testRankExitingWithoutFinalizeEndsTheJob() throws {
        let result = try MPIRun.run(ranks: 2, "mpi-selftest", ["fail", "exit", "1"])
        XCTAssertNotEqual(result.status, 0, result.output)
        XCTAssertNotEqual(result.status, 124, "timed out\n" + result.output)
        // Open MPI 4.1: "Process name: [[JOB,1],1]  Exit code: 3".
        XCTAssertNotNil(result.output.range(of: #"Process name: \[\[\d+,\d+\],1\]"#, options: .regularExpression), result.output)
        XCTAssertNotNil(result.output.range(of: #"Exit code:\s+3"#, options: .regularExpression), result.output)
        XCTAssertLessThan(result.seconds, Self.limit, result.output)
    }

    func testKilledRankEndsTheJob() throws {
        let result = try MPIRun.run(ranks: 2, "mpi-selftest", ["fail", "signal", "1"])
        XCTAssertNotEqual(result.status, 0, result.output)
        XCTAssertNotEqual(result.status, 124, "timed out\n" + result.output)
        XCTAssertNotNil(result.output.range(of: #"rank 1 with PID \d+ on node .* exited on signal 9"#, options: .regularExpression), result.output)
        XCTAssertLessThan(result.seconds, Self.limit, result.output)
    }
}
