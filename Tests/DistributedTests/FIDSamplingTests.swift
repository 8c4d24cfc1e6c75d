import CZlib
import Foundation
import TestSupport
import XCTest

/// `dit-sample --num_fid_samples` on the bundled digits model: two MPI processes write the same bytes
/// as one process, the `.npz` holds exactly the PNGs, and a rerun resumes by skipping written batches.
final class FIDSamplingTests: XCTestCase {
    /// 5 images in batches of 2 → batches [0, 1], [2, 3], [4]: rank 0 makes batches 0 and 2, rank 1 batch 1.
    static let count = 5
    static let folderName = "DiT-digits-dit-digits-size-64-vae-vae-digits-cfg-4.0-seed-0"

    func arguments(_ sampleDir: String) -> [String] {
        ["-c", "configs/inference/digits.yaml", "--num_fid_samples", String(Self.count), "--per-proc-batch-size", "2",
         "--num-sampling-steps", "4", "--sample_dir", sampleDir]
    }

    /// One worker thread per process in both runs (the thread split is fixed, distributed.md §3.6).
    let environment = ["DITPORT_THREADS": "1"]

    func bytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

    static func u16(_ b: [UInt8], _ at: Int) -> Int { Int(b[at]) | Int(b[at + 1]) << 8 }
    static func u32(_ b: [UInt8], _ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(b[at + $1]) << (8 * UInt32($1)) } }

    /// Decodes an 8-bit RGB PNG with filter-0 rows (PNGWriter's output) to `[H, W, 3]` bytes, with zlib.
    static func decodePNG(_ path: String) throws -> (width: Int, height: Int, pixels: [UInt8]) {
        let png = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func be(_ at: Int) -> Int { (0..<4).reduce(0) { $0 << 8 | Int(png[at + $1]) } }
        var offset = 8, width = 0, height = 0
        var idat: [UInt8] = []
        while offset + 8 <= png.count {
            let length = be(offset)
            let type = String(decoding: png[(offset + 4)..<(offset + 8)], as: UTF8.self)
            if type == "IHDR" { width = be(offset + 8); height = be(offset + 12) }
            if type == "IDAT" { idat += png[(offset + 8)..<(offset + 8 + length)] }
            offset += 12 + length
        }
        var raw = [UInt8](repeating: 0, count: height * (1 + 3 * width))
        var size = uLong(raw.count)
        guard uncompress(&raw, &size, idat, uLong(idat.count)) == Z_OK else { throw CocoaError(.fileReadCorruptFile) }
        var pixels: [UInt8] = []
        let stride = 1 + 3 * width
        for row in 0..<height {
            let start: Int = row * stride
            XCTAssertEqual(raw[start], 0, "filter type of row \(row)")
            pixels += raw[(start + 1)..<(start + stride)]
        }
        return (width, height, pixels)
    }

    /// The archive read with the ZIP and .npy specifications (no project code): one STORED member
    /// `arr_0.npy` whose CRC matches, a `|u1` header of shape [N, 64, 64, 3], then the PNGs' pixels in order.
    func checkArchive(_ path: String, folder: String) throws {
        let npz = try bytes(path)
        XCTAssertEqual(Array(npz[0..<4]), [0x50, 0x4B, 0x03, 0x04])
        XCTAssertEqual(Self.u16(npz, 8), 0, "STORED")
        let nameLength = Self.u16(npz, 26), extraLength = Self.u16(npz, 28)
        XCTAssertEqual(String(decoding: npz[30..<(30 + nameLength)], as: UTF8.self), "arr_0.npy")
        let start = 30 + nameLength + extraLength
        let size = Int(npz[(30 + nameLength + 4)..<(30 + nameLength + 12)].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        let member = Array(npz[start..<(start + size)])
        XCTAssertEqual(Self.u32(npz, 14), member.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }, "CRC-32 of the member")
        XCTAssertEqual(Array(member[0..<8]), [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        let headerLength = Self.u16(member, 8)
        XCTAssertEqual((10 + headerLength) % 64, 0)
        let header = String(decoding: member[10..<(10 + headerLength)], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix("{'descr': '|u1', 'fortran_order': False, 'shape': (\(Self.count), 64, 64, 3), }"), header)
        var expected: [UInt8] = []
        for i in 0..<Self.count {
            let png = try Self.decodePNG(folder + "/" + String(format: "%06d.png", i))
            XCTAssertEqual([png.width, png.height], [64, 64])
            expected += png.pixels
        }
        XCTAssertEqual(member.count - 10 - headerLength, expected.count)
        XCTAssertTrue(Array(member[(10 + headerLength)...]) == expected, "arr_0 holds the PNGs in index order")
    }

    func pngNames(_ folder: String) throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: folder).sorted() }

    func testTwoProcessesWriteTheSameBytesAsOne() throws {
        let root = ToolRunner.packageRoot.path
        let one = try temporaryDirectory(), two = try temporaryDirectory()
        let single = try MPIRun.alone("dit-sample", arguments(one), environment: environment, directory: root)
        XCTAssertEqual(single.status, 0, single.output)
        XCTAssertTrue(single.stdout.contains("sampled 5 image(s)"), single.stdout)
        let parallel = try MPIRun.run(ranks: 2, "dit-sample", arguments(two) + ["--use_parallel", "True"], environment: environment, directory: root)
        XCTAssertEqual(parallel.status, 0, parallel.output)
        XCTAssertTrue(parallel.stdout.contains("over 2 process(es)"), parallel.stdout)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: one).sorted(), [Self.folderName, Self.folderName + ".npz"])
        let expectedNames = (0..<Self.count).map { String(format: "%06d.png", $0) }
        XCTAssertEqual(try pngNames(one + "/" + Self.folderName), expectedNames)
        XCTAssertEqual(try pngNames(two + "/" + Self.folderName), expectedNames)
        for name in expectedNames {
            XCTAssertEqual(try bytes("\(one)/\(Self.folderName)/\(name)"), try bytes("\(two)/\(Self.folderName)/\(name)"), name)
        }
        XCTAssertTrue(try bytes("\(one)/\(Self.folderName).npz") == bytes("\(two)/\(Self.folderName).npz"), ".npz of -n 2 and of one process")
        try checkArchive("\(two)/\(Self.folderName).npz", folder: "\(two)/\(Self.folderName)")
        // Distinct labels/noise per index: no two images alike.
        let images = try expectedNames.map { try bytes("\(one)/\(Self.folderName)/\($0)") }
        XCTAssertEqual(Set(images.map { $0.hashValue }).count, Self.count)
    }

    func testInterruptedRunResumesBySkippingWrittenBatches() throws {
        let root = ToolRunner.packageRoot.path
        let dir = try temporaryDirectory()
        let folder = dir + "/" + Self.folderName
        let first = try MPIRun.alone("dit-sample", arguments(dir), environment: environment, directory: root)
        XCTAssertEqual(first.status, 0, first.output)
        let archive = try bytes(folder + ".npz")
        // As if interrupted: the archive not yet written, batch 0 half done, batch 2 not started.
        try FileManager.default.removeItem(atPath: folder + ".npz")
        try FileManager.default.removeItem(atPath: folder + "/000001.png")
        try FileManager.default.removeItem(atPath: folder + "/000004.png")
        let kept = try FileManager.default.attributesOfItem(atPath: folder + "/000002.png")[.systemFileNumber] as? Int
        let second = try MPIRun.run(ranks: 2, "dit-sample", arguments(dir) + ["--use_parallel", "True"], environment: environment, directory: root)
        XCTAssertEqual(second.status, 0, second.output)
        XCTAssertTrue(second.stdout.contains("sampled 3 image(s), skipped 2 already written"), second.stdout)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: folder + "/000002.png")[.systemFileNumber] as? Int, kept,
                       "the complete batch [2, 3] was not rewritten")
        XCTAssertTrue(try bytes(folder + ".npz") == archive, "resumed archive equals the uninterrupted one")
    }

    func testWrongSizedPNGIsNamed() throws {
        // A folder whose PNG was replaced by a wrong-sized image: the archive step names the file.
        let root = ToolRunner.packageRoot.path
        let dir = try temporaryDirectory()
        let folder = dir + "/" + Self.folderName
        XCTAssertEqual(try MPIRun.alone("dit-sample", arguments(dir), environment: environment, directory: root).status, 0)
        try FileManager.default.removeItem(atPath: folder + ".npz")
        try FileManager.default.copyItem(atPath: root + "/docs/digits-swift-grid.png", toPath: folder + "/000003.png.tmp")
        try FileManager.default.removeItem(atPath: folder + "/000003.png")
        try FileManager.default.moveItem(atPath: folder + "/000003.png.tmp", toPath: folder + "/000003.png")
        let result = try MPIRun.alone("dit-sample", arguments(dir), environment: environment, directory: root)
        XCTAssertEqual(result.status, 1, result.output)
        let lines = result.stderr.split(separator: "\n").filter { !$0.hasPrefix("batches") }  // the progress bar
        XCTAssertEqual(lines.count, 1, result.stderr)
        XCTAssertEqual(lines.first.map(String.init), "dit-sample: error: \(folder)/000003.png: 332×134 image, expected 64×64 (image_size)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + ".npz"), "no partial archive")
    }
}
