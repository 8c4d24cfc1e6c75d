#if canImport(Glibc)
import Glibc
#endif
import Distributed
import Foundation

/// One rank fails while the others are inside collectives; the job must end within seconds.
struct Failures {
    let communicator: Communicator

    func run(_ mode: String, failingRank: Int) {
        communicator.barrier()
        if communicator.rank == failingRank {
            usleep(300_000)  // the others are waiting in an allreduce by now
            switch mode {
            case "abort": communicator.abort("deliberate failure (mpi-selftest fail abort)", code: 7)
            case "exit": exit(3)  // without MPI_Finalize
            case "signal": kill(getpid(), SIGKILL)
            default: communicator.abort("unknown failure mode '\(mode)'", code: 2)
            }
        }
        var values = [Float](repeating: 1, count: 1024)  // [1024] f32
        let start = Date()
        while Date().timeIntervalSince(start) < 60 {
            communicator.allreduceSum(&values)
            communicator.barrier()
        }
        communicator.abort("still running 60 s after rank \(failingRank) failed", code: 9)
    }
}
