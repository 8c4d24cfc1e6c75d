import Foundation
import Models
import Parity

/// The committed parity fixtures (fixtures/parity, written by fixtures/generate/make_reference.py).
enum ParityFixtures {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("fixtures/parity").path
    }()

    static func path(_ name: String) -> String { root + "/" + name }

    struct Case {
        let bundle: String
        let weights: String
        let naming: String
        let fp16: Bool
    }

    /// The (bundle, weights) pairs of manifest.json.
    static func cases() throws -> [Case] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path("manifest.json")))
        let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        return (json["cases"] as! [[String: Any]]).map {
            Case(bundle: $0["bundle"] as! String, weights: $0["weights"] as! String, naming: $0["naming"] as! String, fp16: $0["fp16"] as! Bool)
        }
    }

    static func loadDiT(_ weights: String, fp16: Bool = false, bundle: ReferenceBundle) throws -> (DiT, LoadedWeights) {
        var options = LoadOptions()
        options.keepHalfPrecision = fp16
        let loaded = try ModelLoader.load(path(weights), family: .dit, options: options)
        return (try DiT(weights: loaded.weights, config: loaded.conversion.dit!, heads: bundle.metadataInt("num_heads")), loaded)
    }

    static func loadVAE(_ weights: String, fp16: Bool = false, bundle: ReferenceBundle) throws -> (AutoencoderKL, LoadedWeights) {
        var options = LoadOptions()
        options.keepHalfPrecision = fp16
        let loaded = try ModelLoader.load(path(weights), family: .vae, options: options)
        return (try AutoencoderKL(weights: loaded.weights, config: loaded.conversion.vae!, groups: bundle.metadataInt("norm_num_groups")!), loaded)
    }
}
