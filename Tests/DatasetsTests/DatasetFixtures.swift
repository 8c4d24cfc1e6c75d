import Checkpoint
import Foundation
import TestSupport

/// fixtures/datasets, made by fixtures/generate/gen_datasets.py (Pillow, torchvision, albumentations/opencv, diffusers).
enum DatasetFixtures {
    static let root = ToolRunner.packageRoot.appendingPathComponent("fixtures/datasets").path
    static let vae = ToolRunner.packageRoot.appendingPathComponent("fixtures/digits/vae-digits").path

    static func path(_ relative: String) -> String { root + "/" + relative }

    /// expected.json
    static let manifest: [String: Any] = {
        let data = try! Data(contentsOf: URL(fileURLWithPath: path("expected.json")))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }()

    static var imageSize: Int { manifest["image_size"] as! Int }

    /// expected.safetensors, by tensor name.
    static let expected: [String: Tensor] = {
        let checkpoint = try! Checkpoint(path: path("expected.safetensors"))
        var out: [String: Tensor] = [:]
        for named in try! checkpoint.tensors() { out[named.name] = named.tensor }
        return out
    }()

    static func bytes(_ name: String) -> [UInt8] { try! expected[name]!.contiguousBytes() }

    static func floats(_ name: String) -> [Float] {
        try! expected[name]!.withContiguousBytes { Array($0.bindMemory(to: Float.self)) }
    }

    static func shape(_ name: String) -> [Int] { expected[name]!.shape }

    /// Image file names of the photograph set, sorted.
    static var imageNames: [String] { (manifest["images"] as! [String: Any]).keys.sorted() }
}

/// Count and largest absolute difference of two byte arrays.
func byteDifferences(_ a: [UInt8], _ b: [UInt8]) -> (count: Int, max: Int) {
    precondition(a.count == b.count)
    var count = 0, largest = 0
    for i in 0..<a.count where a[i] != b[i] {
        count += 1
        largest = max(largest, abs(Int(a[i]) - Int(b[i])))
    }
    return (count, largest)
}
