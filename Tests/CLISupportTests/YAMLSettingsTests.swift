import CLISupport
import XCTest

final class YAMLSettingsTests: XCTestCase {
    func testKeysOfAMindOneStyleFileAreRead() throws {
        let path = try TrainingLikeSettings.yamlFile("""
            # training
            data_path: "datasets/imagenet"
            learning_rate: 1.e-6
            weight_decay: "2e-2"
            epochs: 3
            use_ema: True
            dtype: "fp16"
            class_labels: [207, 360, 387]
            model_name: DiT-B/4
            """, in: self)
        let settings = try TrainingLikeSettings.resolve(["-c", path])
        XCTAssertEqual(settings.string("data_path"), "datasets/imagenet")
        XCTAssertEqual(settings.double("learning_rate"), 1e-6)
        XCTAssertEqual(settings.double("weight_decay"), 0.02, "a quoted number is a number for a double setting")
        XCTAssertEqual(settings.int("epochs"), 3)
        XCTAssertTrue(settings.bool("use_ema"))
        XCTAssertEqual(settings.string("dtype"), "fp16")
        XCTAssertEqual(settings.intList("class_labels"), [207, 360, 387])
        XCTAssertEqual(settings.string("model_name"), "DiT-B/4")
        XCTAssertNil(settings.optionalString("resume"))
        XCTAssertNil(settings.optionalInt("num_heads"))
        XCTAssertEqual(settings.origin(of: "epochs"), path)
        XCTAssertEqual(settings.origin(of: "resume"), "default")
        XCTAssertEqual(settings.configFile, path)
        XCTAssertEqual(settings.assignments.map(\.key), ["data_path", "learning_rate", "weight_decay", "epochs", "use_ema", "dtype", "class_labels", "model_name"],
                       "assignments keep the file's order")
    }

    func testMindOneFloatSpellingsAndNumericStrings() throws {
        for (text, expected) in [("1.e-6", 1e-6), ("1e-4", 1e-4), ("\"1.e-6\"", 1e-6), ("'5e-5'", 5e-5), ("0.5", 0.5), ("2", 2.0), (".25", 0.25), ("3.", 3.0)] {
            let settings = try TrainingLikeSettings.tool.resolve(yaml: "learning_rate: \(text)\n", source: "lr.yaml")
            XCTAssertEqual(settings.double("learning_rate"), expected, text)
        }
        let quotedInt = try TrainingLikeSettings.tool.resolve(yaml: "epochs: \"12\"\n", source: "e.yaml")
        XCTAssertEqual(quotedInt.int("epochs"), 12)
    }

    func testPythonBooleansInYAML() throws {
        for (text, expected) in [("True", true), ("False", false), ("true", true), ("false", false), ("\"True\"", true), ("'false'", false)] {
            XCTAssertEqual(try TrainingLikeSettings.tool.resolve(yaml: "use_ema: \(text)\n", source: "b.yaml").bool("use_ema"), expected, text)
        }
    }

    func testBadValuesNameFileKeyAndValue() throws {
        XCTAssertEqual(settingsMessage { try TrainingLikeSettings.tool.resolve(yaml: "epochs: many\n", source: "e.yaml") },
                       "e.yaml: epochs: expected an integer, got 'many'")
        XCTAssertEqual(settingsMessage { try TrainingLikeSettings.tool.resolve(yaml: "use_ema: maybe\n", source: "b.yaml") },
                       "b.yaml: use_ema: expected True or False, got 'maybe'")
        XCTAssertEqual(settingsMessage { try TrainingLikeSettings.tool.resolve(yaml: "dtype: fp8\n", source: "d.yaml") },
                       "d.yaml: dtype: expected one of fp32, fp16, bf16, got 'fp8'")
        XCTAssertEqual(settingsMessage { try TrainingLikeSettings.tool.resolve(yaml: "class_labels: [1, x]\n", source: "l.yaml") },
                       "l.yaml: class_labels: expected a list of integers, got '[1, \"x\"]'")
        XCTAssertEqual(settingsMessage { try TrainingLikeSettings.tool.resolve(yaml: "- a\n- b\n", source: "s.yaml") },
                       "s.yaml: expected a mapping of keys to values")
        XCTAssertTrue(settingsMessage { try TrainingLikeSettings.tool.resolve(yaml: "a: [1,\n", source: "y.yaml") }.hasPrefix("y.yaml: not valid YAML"))
        XCTAssertEqual(settingsMessage { try TrainingLikeSettings.resolve(["-c", "/nonexistent/x.yaml"]) },
                       "/nonexistent/x.yaml: cannot read the config file")
    }

    func testUnknownYAMLKeySuggestsTheNearest() throws {
        XCTAssertEqual(settingsMessage { try TrainingLikeSettings.tool.resolve(yaml: "lerning_rate: 1.e-4\n", source: "t.yaml") },
                       "t.yaml: unknown key 'lerning_rate'; did you mean 'learning_rate'?")
        let far = settingsMessage { try TrainingLikeSettings.tool.resolve(yaml: "zzzzzzzz: 1\n", source: "t.yaml") }
        XCTAssertTrue(far.hasPrefix("t.yaml: unknown key 'zzzzzzzz' (known: class_labels, data_path,"), far)
    }

    func testNullResetsAnOptionalSettingOnly() throws {
        XCTAssertNil(try TrainingLikeSettings.tool.resolve(yaml: "resume: ~\n", source: "n.yaml").optionalString("resume"))
        XCTAssertEqual(settingsMessage { try TrainingLikeSettings.tool.resolve(yaml: "epochs:\n", source: "n.yaml") },
                       "n.yaml: epochs: expected an integer, got 'null'")
    }

    func testEmptyFileKeepsTheDefaults() throws {
        let settings = try TrainingLikeSettings.tool.resolve(yaml: "# nothing\n", source: "empty.yaml")
        XCTAssertEqual(settings.double("learning_rate"), 1e-4)
        XCTAssertEqual(settings.intList("class_labels"), [1, 2])
    }
}
