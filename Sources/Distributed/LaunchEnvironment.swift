import Foundation

/// What the environment says about an MPI launcher, read before `MPI_Init` (afterwards Open MPI adds
/// `PMIX_RANK` even to a process started alone, distributed.md §2).
///
/// Recognised: Open MPI's `mpirun` (`OMPI_COMM_WORLD_SIZE`, `OMPI_COMM_WORLD_RANK`,
/// `OMPI_COMM_WORLD_LOCAL_SIZE`), MPICH's hydra (`PMI_SIZE`, `PMI_RANK`, `MPI_LOCALNRANKS`) and PMIx
/// launchers such as `srun --mpi=pmix` (`PMIX_RANK`; the size is only known after `MPI_Init`).
public struct LaunchEnvironment: Equatable {
    /// The variable that identified the launcher, e.g. `OMPI_COMM_WORLD_SIZE=2`; nil without one.
    public let evidence: String?
    /// Job size and rank when the launcher exports them.
    public let worldSize: Int?
    public let rank: Int?
    /// Processes of the job on this host (to share the cores between them).
    public let localSize: Int?

    public init(evidence: String?, worldSize: Int?, rank: Int?, localSize: Int?) {
        self.evidence = evidence
        self.worldSize = worldSize
        self.rank = rank
        self.localSize = localSize
    }

    /// The variables a launcher is recognised by, in the order they are checked.
    public static let launcherVariables = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"]

    /// Reads `environment` (the process's by default).
    public static func detect(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> LaunchEnvironment {
        func int(_ key: String) -> Int? { environment[key].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } }
        if let size = int("OMPI_COMM_WORLD_SIZE") {
            return LaunchEnvironment(evidence: "OMPI_COMM_WORLD_SIZE=\(size)", worldSize: size, rank: int("OMPI_COMM_WORLD_RANK"),
                                     localSize: int("OMPI_COMM_WORLD_LOCAL_SIZE"))
        }
        if let size = int("PMI_SIZE") {
            return LaunchEnvironment(evidence: "PMI_SIZE=\(size)", worldSize: size, rank: int("PMI_RANK"), localSize: int("MPI_LOCALNRANKS"))
        }
        if let rank = int("PMIX_RANK") {
            return LaunchEnvironment(evidence: "PMIX_RANK=\(rank)", worldSize: nil, rank: rank, localSize: nil)
        }
        return LaunchEnvironment(evidence: nil, worldSize: nil, rank: nil, localSize: nil)
    }

    /// True when a launcher started this process.
    public var isLaunched: Bool { evidence != nil }
}
