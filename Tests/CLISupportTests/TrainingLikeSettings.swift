import CLISupport
import Foundation
import XCTest

/// A tool declared as dit-train-like settings are: every kind of type, an alias, a short flag, notes.
enum TrainingLikeSettings {
    static let tool = ToolSettings(
        tool: "demo-train",
        abstract: "A declared-settings example.",
        examples: ["demo-train -c configs/training/demo.yaml --data_path data/digits --use_ema True"],
        declarations: [
            SettingDeclaration("data_path", .string, default: .string("data"), help: "Folder of training images.", aliases: ["dataset_path"]),
            SettingDeclaration("learning_rate", .double, default: .double(1e-4), help: "AdamW learning rate."),
            SettingDeclaration("weight_decay", .double, default: .double(0), help: "AdamW weight decay."),
            SettingDeclaration("epochs", .int, default: .int(10), help: "Passes over the data."),
            SettingDeclaration("use_ema", .bool, default: .bool(false), help: "Keep an EMA copy of the weights."),
            SettingDeclaration("dtype", .choice(["fp32", "fp16", "bf16"]), default: .string("fp32"), help: "Weight precision."),
            SettingDeclaration("class_labels", .intList, default: .intList([1, 2]), help: "Labels to sample."),
            SettingDeclaration("table", .stringList, default: .stringList([]), help: "Rename tables."),
            SettingDeclaration("resume", .string, default: .none, help: "Checkpoint to resume from."),
            SettingDeclaration("model_name", .string, default: .string("DiT-XL/2"), help: "DiT configuration.", short: "m"),
            SettingDeclaration("num_heads", .int, default: .none, help: "Attention heads."),
        ],
        acceptedWithNote: ["device_target": "device_target is ignored on CPU", "jit_level": "MindSpore graph options are ignored",
                           "mode": "MindSpore graph options are ignored"]
    )

    /// Writes `text` to a fresh YAML file and returns its path.
    static func yamlFile(_ text: String, in test: XCTestCase) throws -> String {
        let path = NSTemporaryDirectory() + "settings-\(UUID().uuidString).yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    static func resolve(_ arguments: [String]) throws -> ResolvedSettings {
        guard case .settings(let settings) = try tool.evaluate(arguments) else { throw SettingsError("unexpected help") }
        return settings
    }
}

/// The one-line message of a thrown SettingsError ("" when something else was thrown).
func settingsMessage(_ body: () throws -> Any) -> String {
    do {
        _ = try body()
        return "(no error)"
    } catch let error as SettingsError {
        return error.description
    } catch {
        return ""
    }
}
