import Diffusion

/// The randomness of FID sampling, keyed by global sample index so the images do not depend on how many
/// processes share the work or how the batches fall.
///
/// Sample `i` of a run with `global_seed` s gets its own PyTorch CPU generator seeded with
/// `seed_i = (mix64(s) + i) mod 2³²` — `mix64` being SplitMix64's finaliser
/// (`z ^= z >> 30; z *= 0xBF58476D1CE4E5B9; z ^= z >> 27; z *= 0x94D049BB133111EB; z ^= z >> 31`, all mod 2⁶⁴)
/// — and draws from it, in order, what official sample.py / sample_ddp.py draw for a batch of one:
/// `z = randn(1, C, L, L)`, `y = randint(0, num_classes, (1,))`, then at every sampling step
/// `randn_like(x)` for the 2 rows (sample, null-label copy) with guidance or the 1 row without. So
/// image `i` is the image sample_ddp.py makes with `--per-proc-batch-size 1`, one process and
/// `--global-seed seed_i` (up to float differences between the two runtimes).
///
/// sample_ddp.py itself seeds one generator per *rank* with `global_seed·world + rank` and draws whole
/// batches from it, so its images change with the number of processes and the batch size; this scheme
/// does not (`seed_i` is injective in i for i < 2³²; mt19937 uses the seed's low 32 bits).
public struct IndexedSampleNoise: NoiseSource {
    /// Global indices of the batch, in row order.
    public let indices: Range<Int>
    /// `[n]` class labels of the batch.
    public let labels: [Int]
    private let z: [Float]  // [n, C, L, L]
    private var generators: [TorchGenerator]
    private let perSample: Int
    private let guided: Bool

    /// The generator seed of sample `index` (documented above).
    public static func seed(globalSeed: UInt64, index: Int) -> UInt64 {
        var z = globalSeed
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return (z &+ UInt64(index)) & 0xFFFF_FFFF
    }

    /// Draws `z` and the label of every sample of `indices`.
    /// - Parameters: `perSample` = C·L·L latent values of one sample; `guided`: classifier-free guidance
    ///   (each step draws 2·perSample values per sample).
    public init(globalSeed: UInt64, indices: Range<Int>, perSample: Int, numClasses: Int, guided: Bool) {
        self.indices = indices
        self.perSample = perSample
        self.guided = guided
        var generators: [TorchGenerator] = []
        var z: [Float] = []
        var labels: [Int] = []
        z.reserveCapacity(indices.count * perSample)
        for index in indices {
            var g = TorchGenerator(seed: Self.seed(globalSeed: globalSeed, index: index))
            z += g.randn(count: perSample)
            labels.append(g.randint(below: numClasses))
            generators.append(g)
        }
        self.z = z
        self.labels = labels
        self.generators = generators
    }

    public mutating func initial(count: Int) throws -> [Float] {
        guard count == z.count else { throw SampleConfig.Failure(description: "sampler asked for \(count) initial values, the batch has \(z.count)") }
        return z
    }

    /// `[B, C, L, L]` with B = n (unguided) or 2n (rows n..<2n are the null-label copies).
    public mutating func step(_ step: Int, count: Int) throws -> [Float] {
        let n = indices.count, rows = guided ? 2 : 1
        guard count == rows * n * perSample else {
            throw SampleConfig.Failure(description: "sampler asked for \(count) noise values at step \(step), the batch has \(rows * n * perSample)")
        }
        var out = [Float](repeating: 0, count: count)  // [rows·n, C, L, L]
        for k in 0..<n {
            let drawn = generators[k].randn(count: rows * perSample)  // [rows, C, L, L] of sample k
            out.replaceSubrange((k * perSample)..<((k + 1) * perSample), with: drawn[0..<perSample])
            if guided {
                out.replaceSubrange(((n + k) * perSample)..<((n + k + 1) * perSample), with: drawn[perSample..<(2 * perSample)])
            }
        }
        return out
    }
}
