#if canImport(Glibc)
import Glibc
#endif

/// Choosing the communicator of a tool run from `--use_parallel` and the launcher environment.
public enum DistributedLaunch {
    /// Why a run cannot start as asked (one line, exit status 2).
    public struct Refusal: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    /// What to do: run alone, or initialise MPI.
    public enum Decision: Equatable {
        case singleProcess
        case mpi
    }

    /// The decision for `useParallel` in `environment`, or the reason to refuse:
    /// - `use_parallel True` without a launcher: refused (MindONE's `init()` without mpirun fails the
    ///   same way) — a lone process would silently train or sample everything by itself;
    /// - a launcher with more than one process but `use_parallel False`: refused — every process would do
    ///   the whole job into the same output;
    /// - otherwise MPI when `useParallel`, a single process when not.
    /// - Parameter example: the launch command the refusal suggests (default `mpirun -n 2 TOOL ... --use_parallel True`).
    public static func decide(useParallel: Bool, environment: LaunchEnvironment, tool: String, example: String? = nil) throws -> Decision {
        if useParallel {
            guard environment.isLaunched else {
                throw Refusal(description: "use_parallel is True but no MPI launcher started this process (none of "
                              + LaunchEnvironment.launcherVariables.joined(separator: ", ")
                              + " is set); run it as: " + (example ?? "mpirun -n 2 \(tool) ... --use_parallel True"))
            }
            return .mpi
        }
        if let size = environment.worldSize, size > 1 {
            throw Refusal(description: "started by an MPI launcher as one of \(size) processes (\(environment.evidence ?? "")) but use_parallel is False: "
                          + "every process would do the whole job into the same output; pass --use_parallel True")
        }
        return .singleProcess
    }

    /// The communicator for this run: MPI (initialised here) or this process alone. On a refusal prints
    /// `TOOL: error: ...` once (from the launcher's rank 0, or when the rank is unknown) and exits 2.
    ///
    /// The tool must end a successful run with `communicator.finalize()` and report errors with
    /// `communicator.abort(_:)`. A rank that exits without either makes mpirun end the whole job (and
    /// name the rank) — which is why no `atexit` finalizer is installed: `MPI_Finalize` waits for the
    /// other ranks, so calling it from an error exit while they sit in a collective would hang the job.
    public static func start(useParallel: Bool, tool: String, example: String? = nil, environment: LaunchEnvironment = .detect()) -> Communicator {
        do {
            switch try decide(useParallel: useParallel, environment: environment, tool: tool, example: example) {
            case .singleProcess: return SingleProcessCommunicator(tool: tool)
            case .mpi: return MPICommunicator(tool: tool)
            }
        } catch {
            if (environment.rank ?? 0) == 0 { fputs("\(tool): error: \(error)\n", stderr) }
            exit(2)
        }
    }

    /// Worker threads each process should use when `localSize` processes share `cores` cores (at least 1).
    public static func threadsPerProcess(cores: Int, localSize: Int?) -> Int {
        max(1, cores / max(1, localSize ?? 1))
    }
}
