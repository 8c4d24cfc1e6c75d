import Diffusion
import Foundation
import Imaging
import Sampling
import XCTest

/// FID sampling's pieces against what torch and official sample_ddp.py compute
/// (fixtures/generate/gen_sample_ddp.py, torch 2.15 CPU).
final class FIDFixtureTests: XCTestCase {
    struct Dump {
        struct Entry { let shape: [Int]; let bytes: [UInt8] }
        let entries: [String: Entry]
        let values: [String: Any]
        init() throws {
            var root = URL(fileURLWithPath: #filePath)
            for _ in 0..<3 { root.deleteLastPathComponent() }
            let base = root.appendingPathComponent("fixtures/sample_ddp/draws").path
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: base + ".expected.json"))) as! [String: Any]
            let blob = [UInt8](try Data(contentsOf: URL(fileURLWithPath: base + ".expected.bin")))
            var entries: [String: Entry] = [:]
            for e in json["tensors"] as! [[String: Any]] {
                let offset = e["offset"] as! Int, count = e["nbytes"] as! Int
                entries[e["name"] as! String] = Entry(shape: e["shape"] as! [Int], bytes: Array(blob[offset..<(offset + count)]))
            }
            self.entries = entries
            values = json["values"] as! [String: Any]
        }
        func floats(_ name: String) -> [Float] {
            entries[name]!.bytes.withUnsafeBytes { raw in (0..<(raw.count / 4)).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) } }
        }
        func int64s(_ name: String) -> [Int] {
            entries[name]!.bytes.withUnsafeBytes { raw in (0..<(raw.count / 8)).map { Int(raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) } }
        }
    }

    func assertBits(_ got: [Float], _ want: [Float], _ what: String) {
        XCTAssertEqual(got.count, want.count, what)
        XCTAssertTrue(zip(got, want).allSatisfy { $0.bitPattern == $1.bitPattern }, what)
    }

    /// Sample i's draws are torch's for `manual_seed(seed_i)` and a batch of one, bit for bit.
    func testPerIndexDrawsAreTorchsForTheSampleSeed() throws {
        let dump = try Dump()
        let perSample = 4 * 8 * 8
        for globalSeed in [0, 3] {
            for index in [0, 1, 4, 70000] {
                XCTAssertEqual(Int(IndexedSampleNoise.seed(globalSeed: UInt64(globalSeed), index: index)), dump.values["seed.s\(globalSeed).i\(index)"] as? Int)
                for (guided, classes) in [(true, 10), (false, 1000)] {
                    let key = "s\(globalSeed).i\(index).\(guided ? "cfg" : "plain")"
                    // The sample alone, and inside a batch with its neighbours: the same values.
                    for batch in [index..<(index + 1), max(0, index - 1)..<(index + 2)] {
                        var noise = IndexedSampleNoise(globalSeed: UInt64(globalSeed), indices: batch, perSample: perSample, numClasses: classes, guided: guided)
                        let row = index - batch.lowerBound, n = batch.count
                        XCTAssertEqual(noise.labels[row], dump.int64s(key + ".y")[0], key)
                        let z = try noise.initial(count: n * perSample)
                        assertBits(Array(z[(row * perSample)..<((row + 1) * perSample)]), dump.floats(key + ".z"), key + ".z")
                        for step in 0..<2 {
                            let drawn = try noise.step(step, count: (guided ? 2 : 1) * n * perSample)
                            let want = dump.floats(key + ".noise\(step)")
                            assertBits(Array(drawn[(row * perSample)..<((row + 1) * perSample)]), Array(want[0..<perSample]), key + ".noise\(step) row 0")
                            if guided {
                                assertBits(Array(drawn[((n + row) * perSample)..<((n + row + 1) * perSample)]), Array(want[perSample...]), key + ".noise\(step) null row")
                            }
                        }
                    }
                }
            }
        }
    }

    func testPixelsAreSampleDDPsClampAndTruncation() throws {
        let dump = try Dump()
        let input = dump.floats("pixels.input")
        let want = dump.entries["pixels.output"]!.bytes
        let got = input.map(ImageGrid.sampleDDPPixel)
        XCTAssertEqual(got.count, want.count)
        for i in 0..<got.count where got[i] != want[i] {
            XCTFail("x = \(input[i]): \(got[i]), torch \(want[i])")
        }
    }

    func testFolderNamesAreSampleDDPs() throws {
        let dump = try Dump()
        for k in 0..<6 {
            let c = dump.values["folder.\(k)"] as! [String: Any]
            let name = FIDSampleLayout.folderName(model: c["model"] as! String, checkpoint: c["ckpt"] as? String, imageSize: c["image_size"] as! Int,
                                                  vae: c["vae"] as! String, cfgScale: (c["cfg_scale"] as! NSNumber).doubleValue,
                                                  seed: UInt64(c["seed"] as! Int))
            XCTAssertEqual(name, c["folder"] as? String)
        }
        XCTAssertEqual(FIDSampleLayout.vaeName(checkpoint: "models/sd-vae-ft-ema.ckpt"), "ema")
        XCTAssertEqual(FIDSampleLayout.vaeName(checkpoint: "stabilityai/sd-vae-ft-mse"), "mse")
        XCTAssertEqual(FIDSampleLayout.vaeName(checkpoint: "fixtures/digits/vae-digits"), "vae-digits")
    }

    func testBatchesAreSharedOutRoundRobin() {
        let layout = FIDSampleLayout(count: 5, batch: 2, sampleDir: "s", folderName: "f")
        XCTAssertEqual(layout.batchCount, 3)
        XCTAssertEqual((0..<3).map(layout.indices(ofBatch:)), [0..<2, 2..<4, 4..<5])
        XCTAssertEqual(layout.batches(rank: 0, world: 2), [0, 2])
        XCTAssertEqual(layout.batches(rank: 1, world: 2), [1])
        XCTAssertEqual(layout.batches(rank: 3, world: 4), [])
        XCTAssertEqual(layout.pngPath(7), "s/f/000007.png")
        XCTAssertEqual(FIDSampleLayout(count: 2_000_000, batch: 1, sampleDir: "s", folderName: "f").pngPath(1_234_567), "s/f/1234567.png")
        XCTAssertEqual(layout.archivePath, "s/f.npz")
    }
}
