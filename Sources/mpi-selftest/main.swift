import Distributed
import Foundation

/// `mpi-selftest`: exercises `Distributed` under a real launcher, for DistributedTests and
/// scripts/bench/allreduce.sh.
///
///     mpirun -n 2 mpi-selftest collectives DIR [--exact]   # every collective; results in DIR/*.R (raw little-endian)
///     mpirun -n 2 mpi-selftest fail abort|exit|signal RANK  # RANK fails while the others wait in collectives
///     mpirun -n 2 mpi-selftest bench                        # allreduce times (JSON lines on rank 0's stdout)
///     mpirun -n 2 mpi-selftest overlap                      # non-blocking allreduce against computation
///
/// Inputs of `collectives` (DistributedTests recomputes them): element i of rank r is
/// `SelftestInput.value(rank: r, index: i, exact:)`.
let arguments = Array(CommandLine.arguments.dropFirst())
let communicator = DistributedLaunch.start(useParallel: true, tool: "mpi-selftest", example: "mpirun -n 2 mpi-selftest \(arguments.joined(separator: " "))")
guard let mode = arguments.first else { communicator.abort("usage: mpi-selftest collectives DIR [--exact] | fail MODE RANK | bench | overlap", code: 2) }
switch mode {
case "collectives":
    guard arguments.count >= 2 else { communicator.abort("collectives needs an output folder", code: 2) }
    Collectives(communicator: communicator, folder: arguments[1], exact: arguments.contains("--exact")).run()
case "fail":
    guard arguments.count == 3, let rank = Int(arguments[2]) else { communicator.abort("fail needs MODE RANK", code: 2) }
    Failures(communicator: communicator).run(arguments[1], failingRank: rank)
case "bench":
    Bench(communicator: communicator).bandwidth()
case "overlap":
    Bench(communicator: communicator).overlap()
default:
    communicator.abort("unknown mode '\(mode)'", code: 2)
}
communicator.finalize()
