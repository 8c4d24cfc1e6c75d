import Distributed
import Foundation
import TestSupport
import XCTest

/// Launcher detection before MPI_Init and the refusals of `--use_parallel`.
final class LaunchTests: XCTestCase {
    func testLaunchersAreRecognisedByTheirVariables() {
        XCTAssertEqual(LaunchEnvironment.detect(["OMPI_COMM_WORLD_SIZE": "4", "OMPI_COMM_WORLD_RANK": "2", "OMPI_COMM_WORLD_LOCAL_SIZE": "2"]),
                       LaunchEnvironment(evidence: "OMPI_COMM_WORLD_SIZE=4", worldSize: 4, rank: 2, localSize: 2))
        XCTAssertEqual(LaunchEnvironment.detect(["PMI_SIZE": "3", "PMI_RANK": "0", "MPI_LOCALNRANKS": "3"]),
                       LaunchEnvironment(evidence: "PMI_SIZE=3", worldSize: 3, rank: 0, localSize: 3))
        XCTAssertEqual(LaunchEnvironment.detect(["PMIX_RANK": "1"]), LaunchEnvironment(evidence: "PMIX_RANK=1", worldSize: nil, rank: 1, localSize: nil))
        XCTAssertFalse(LaunchEnvironment.detect(["PATH": "/usr/bin", "OMPI_MCA_btl": "self,vader"]).isLaunched)
    }

    func testDecisions() throws {
        let none = LaunchEnvironment.detect([:])
        let two = LaunchEnvironment.detect(["OMPI_COMM_WORLD_SIZE": "2", "OMPI_COMM_WORLD_RANK": "0"])
        let one = LaunchEnvironment.detect(["OMPI_COMM_WORLD_SIZE": "1", "OMPI_COMM_WORLD_RANK": "0"])
        XCTAssertEqual(try DistributedLaunch.decide(useParallel: false, environment: none, tool: "t"), .singleProcess)
        XCTAssertEqual(try DistributedLaunch.decide(useParallel: true, environment: two, tool: "t"), .mpi)
        XCTAssertEqual(try DistributedLaunch.decide(useParallel: true, environment: one, tool: "t"), .mpi)
        XCTAssertEqual(try DistributedLaunch.decide(useParallel: false, environment: one, tool: "t"), .singleProcess)
        XCTAssertThrowsError(try DistributedLaunch.decide(useParallel: true, environment: none, tool: "t"))
        XCTAssertThrowsError(try DistributedLaunch.decide(useParallel: false, environment: two, tool: "t"))
        XCTAssertEqual(DistributedLaunch.threadsPerProcess(cores: 2, localSize: 2), 1)
        XCTAssertEqual(DistributedLaunch.threadsPerProcess(cores: 2, localSize: 4), 1)
        XCTAssertEqual(DistributedLaunch.threadsPerProcess(cores: 8, localSize: 3), 2)
        XCTAssertEqual(DistributedLaunch.threadsPerProcess(cores: 8, localSize: nil), 8)
    }

    func testShardLayout() {
        let layout = ShardLayout(count: 10, world: 3)
        XCTAssertEqual((0..<3).map { layout.range(of: $0) }, [0..<4, 4..<7, 7..<10])
        XCTAssertEqual(ShardLayout(count: 2, world: 4).counts, [1, 1, 0, 0])
        XCTAssertEqual(ShardLayout(count: 8, world: 2).counts, [4, 4])
    }

    func testSingleProcessCollectivesAreTheIdentity() {
        let single = SingleProcessCommunicator()
        var x: [Float] = [1, 2, 3]
        single.allreduceSum(&x)
        single.broadcast(&x, root: 0)
        XCTAssertEqual(x, [1, 2, 3])
        XCTAssertEqual(single.allreduceSum(2.5), 2.5)
        XCTAssertTrue(single.agree(on: 7))
        var shard = [Float](repeating: 0, count: 3)
        x.withUnsafeBufferPointer { b in shard.withUnsafeMutableBufferPointer { single.reduceScatterSum(b, layout: ShardLayout(count: 3, world: 1), into: $0) } }
        XCTAssertEqual(shard, x)
        let reducer = BucketedAllreduce(communicator: single, count: 3, bucketBytes: 4)
        XCTAssertEqual(reducer.buckets, [2..<3, 1..<2, 0..<1], "buckets issued from the end of the vector")
        x.withUnsafeMutableBufferPointer { b in
            reducer.begin(b)
            reducer.ready(from: 2)
            XCTAssertEqual(reducer.startedBuckets, 1)
            reducer.finish()
        }
        XCTAssertEqual(x, [1, 2, 3])
    }

    /// The tools refuse `--use_parallel True` without a launcher: one line, exit status 2, nothing written.
    func testUseParallelWithoutLauncherIsRefused() throws {
        let dir = try temporaryDirectory()
        let sample = try MPIRun.alone("dit-sample", ["-c", "configs/inference/digits.yaml", "--num_fid_samples", "2", "--sample_dir", dir,
                                                     "--use_parallel", "True"], directory: ToolRunner.packageRoot.path)
        XCTAssertEqual(sample.status, 2, sample.output)
        XCTAssertEqual(sample.stderr, "dit-sample: error: use_parallel is True but no MPI launcher started this process (none of OMPI_COMM_WORLD_SIZE, PMI_SIZE, PMIX_RANK is set); run it as: mpirun -n 2 dit-sample ... --use_parallel True\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
        let selftest = try MPIRun.alone("mpi-selftest", ["bench"])
        XCTAssertEqual(selftest.status, 2, selftest.output)
        XCTAssertEqual(selftest.stderr.split(separator: "\n").count, 1, selftest.stderr)
    }

    /// Under mpirun with two processes but without `--use_parallel True` each would do the whole job.
    func testSeveralProcessesWithoutUseParallelAreRefused() throws {
        let dir = try temporaryDirectory()
        let result = try MPIRun.run(ranks: 2, "dit-sample", ["-c", "configs/inference/digits.yaml", "--num_fid_samples", "2", "--sample_dir", dir],
                                    directory: ToolRunner.packageRoot.path)
        XCTAssertNotEqual(result.status, 0, result.output)
        XCTAssertTrue(result.stderr.contains("dit-sample: error: started by an MPI launcher as one of 2 processes (OMPI_COMM_WORLD_SIZE=2) but use_parallel is False"), result.output)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
    }
}
