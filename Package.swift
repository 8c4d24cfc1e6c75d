// swift-tools-version:5.9
import PackageDescription

/// Portable, verifiable diffusion-transformer checkpoints.
///
/// System libraries (installed by `scripts/setup-system.sh`): zlib (CRC-32), libhdf5 (HDF5 files), OpenBLAS,
/// libjpeg-turbo and libpng (image datasets), Open MPI (distributed training and sampling).
let package = Package(
    name: "DiTPort",
    products: [
        .library(name: "Checkpoint", targets: ["Checkpoint"]),
        .library(name: "NameMaps", targets: ["NameMaps"]),
        .library(name: "Diffusion", targets: ["Diffusion"]),
        .executable(name: "ckpt", targets: ["ckpt"]),
        .executable(name: "dit-convert", targets: ["dit-convert"]),
        .executable(name: "vae-convert", targets: ["vae-convert"]),
        .executable(name: "dit-sample", targets: ["dit-sample"]),
        .library(name: "Kernels", targets: ["Kernels"]),
        .library(name: "Models", targets: ["Models"]),
        .library(name: "Parity", targets: ["Parity"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .executable(name: "dit-parity", targets: ["dit-parity"]),
        .executable(name: "dit-bench", targets: ["dit-bench"]),
        .executable(name: "dit-extract", targets: ["dit-extract"]),
        .executable(name: "dit-train", targets: ["dit-train"]),
        .library(name: "Distributed", targets: ["Distributed"]),
        .executable(name: "mpi-selftest", targets: ["mpi-selftest"]),
        .library(name: "DistributedTraining", targets: ["DistributedTraining"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        // CRC-32 with PCLMULQDQ (per-function target attributes, CPU checked at run time) and
        // copy_file_range/sync_file_range wrappers.
        .target(name: "CCheckpointSupport"),
        // No unsafe flags: the library must stay usable as a dependency, and bounds/overflow traps stay on
        // in the parsers as a second line of defence.
        .target(name: "Checkpoint", dependencies: ["CZlib", "CHDF5", "CCheckpointSupport"]),
        .target(name: "NameMaps", dependencies: ["Checkpoint"], resources: [.copy("Tables")]),
        .target(name: "Diffusion"),
        .target(name: "Imaging", dependencies: ["Checkpoint", "CZlib"]),
        .target(name: "Sampling", dependencies: ["Diffusion", "Imaging", "Checkpoint", "NameMaps", "Models", "Kernels", "CLISupport", "Distributed", "Datasets"]),
        .executableTarget(name: "dit-sample", dependencies: ["Sampling", "Models", "Kernels", "CLISupport", "Distributed"]),
        // MPI (Open MPI 4.1 via pkg-config ompi-c; docs/distributed.md): the C API behind a shim header, and the
        // Communicator (single process or MPI_COMM_WORLD), launcher detection, bucketed non-blocking allreduce.
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        .target(name: "Distributed", dependencies: ["CMPI"]),
        // Run under mpirun by DistributedTests and scripts/bench/allreduce.sh: collectives, failure modes, timings.
        .executableTarget(name: "mpi-selftest", dependencies: ["Distributed"]),
        // Data-parallel training over a Communicator: replicated (CommunicatorReducer) and ZeRO-1 (ZeROUpdate).
        .target(name: "DistributedTraining", dependencies: ["Distributed", "Training", "Kernels"]),
        .executableTarget(name: "mpi-train-selftest", dependencies: ["DistributedTraining", "Distributed", "Training", "Datasets", "NameMaps"]),
        // Shared by the executables: declared settings (YAML, both flag spellings, --help), progress line,
        // error reporting, the dit-convert/vae-convert command.
        .target(name: "CLISupport", dependencies: ["Checkpoint", "NameMaps", "Yams"]),
        .executableTarget(name: "dit-convert", dependencies: ["CLISupport"]),
        .executableTarget(name: "vae-convert", dependencies: ["CLISupport"]),
        .executableTarget(name: "ckpt", dependencies: ["CLISupport"]),
        // Runtime: CPU kernels (GEMM through OpenBLAS and CKernels), DiT and AutoencoderKL, the parity harness, its tools.
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        // AVX-512 / AVX2 kernels: packed-weight GEMM, pointwise ops, few-row linear (function-level target
        // attributes, CPU checked at run time).
        .target(name: "CKernels"),
        .target(name: "Kernels", dependencies: ["COpenBLAS", "CKernels"]),
        .target(name: "Models", dependencies: ["Kernels", "Checkpoint", "NameMaps"]),
        .target(name: "Parity", dependencies: ["Models", "Kernels", "Checkpoint", "Training"]),
        // Training: flat parameter/gradient/optimizer buffers, the DiT backward, optimizers, the training loop.
        .target(name: "Training", dependencies: ["Models", "Kernels", "CKernels", "Diffusion", "Checkpoint", "NameMaps", "Datasets"]),
        // Datasets: JPEG (libjpeg-turbo) / PNG (libpng) decoding, Pillow/OpenCV-exact crops, ImageFolder and
        // MindONE CSV layouts, the latent cache, the batch plan.
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        // setjmp-based error recovery for both libraries (their default handlers exit or longjmp).
        .target(name: "CImageCodecs", dependencies: ["CJPEG", "CPNG"]),
        .target(name: "Datasets", dependencies: ["CImageCodecs", "CJPEG", "CPNG", "Checkpoint", "Diffusion", "Imaging", "Kernels", "Models"]),
        .executableTarget(name: "dit-extract", dependencies: ["Datasets", "Models", "Kernels", "CLISupport"]),
        .executableTarget(name: "dit-train", dependencies: ["Training", "DistributedTraining", "Distributed", "Datasets", "Models", "Sampling", "Imaging", "Kernels", "NameMaps", "CLISupport"]),
        .executableTarget(name: "dit-parity", dependencies: ["Parity", "Training", "CLISupport"]),
        .executableTarget(name: "dit-bench", dependencies: ["Models", "Training", "CLISupport"]),
        // Shared by the test targets: running the executables, scratch folders, a deterministic PRNG.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Models", "Checkpoint", "Diffusion", "dit-extract", "TestSupport"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "TestSupport"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Kernels", "Checkpoint", "NameMaps"]),
        .testTarget(name: "ParityTests", dependencies: ["Parity", "Models", "Kernels", "Checkpoint", "dit-parity", "dit-bench", "TestSupport"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Parity", "Models", "Kernels", "Diffusion", "Checkpoint", "NameMaps", "TestSupport", "dit-parity", "dit-train", "dit-extract", "vae-convert", "dit-sample"]),
        .testTarget(name: "CheckpointTests", dependencies: ["Checkpoint", "TestSupport"]),
        .testTarget(name: "NameMapsTests", dependencies: ["NameMaps", "Checkpoint"]),
        .testTarget(name: "DigitsTests", dependencies: ["Sampling", "Models", "Kernels", "Checkpoint", "NameMaps", "Parity", "TestSupport", "dit-train", "dit-extract"]),
        .testTarget(name: "DiffusionTests", dependencies: ["Diffusion", "Imaging", "CZlib", "Sampling", "CLISupport"]),
        .testTarget(name: "CLISupportTests", dependencies: ["CLISupport"]),
        .testTarget(name: "DistributedTests", dependencies: ["Distributed", "Sampling", "Diffusion", "Imaging", "Checkpoint", "CZlib", "mpi-selftest", "dit-sample", "TestSupport", "NameMaps",
                                                       "DistributedTraining", "Training", "Datasets", "mpi-train-selftest", "dit-train"]),
        .testTarget(name: "CLITests", dependencies: ["ckpt", "dit-convert", "vae-convert", "dit-sample", "dit-parity", "dit-bench", "CZlib", "TestSupport"]),
        // libFuzzer targets (scripts/fuzz.sh); built normally they replay files given on the command line.
        .executableTarget(name: "fuzz-pickle-differential", dependencies: ["Checkpoint"], path: "Sources/fuzz-pickle-differential"),
        .target(name: "FuzzSupport", dependencies: ["Checkpoint"]),
    ] + ["torch-zip", "torch-legacy", "mindspore", "safetensors", "hdf5"].map {
        .executableTarget(name: "fuzz-\($0)", dependencies: ["Checkpoint", "FuzzSupport"], path: "Sources/fuzz-\($0)")
    }
)
