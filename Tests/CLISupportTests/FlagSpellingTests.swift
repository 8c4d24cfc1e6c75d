import CLISupport
import XCTest

final class FlagSpellingTests: XCTestCase {
    func testUnderscoreHyphenAndEqualsSpellings() throws {
        for arguments in [["--data_path", "x/y"], ["--data-path", "x/y"], ["--data_path=x/y"], ["--data-path=x/y"], ["--dataset_path", "x/y"], ["--dataset-path=x/y"]] {
            let settings = try TrainingLikeSettings.resolve(arguments)
            XCTAssertEqual(settings.string("data_path"), "x/y", "\(arguments)")
            XCTAssertEqual(settings.origin(of: "data_path"), arguments[0].split(separator: "=")[0].description, "\(arguments)")
        }
    }

    func testPythonBooleanFlags() throws {
        XCTAssertTrue(try TrainingLikeSettings.resolve(["--use_ema", "True"]).bool("use_ema"))
        XCTAssertFalse(try TrainingLikeSettings.resolve(["--use-ema", "False"]).bool("use_ema"))
        XCTAssertTrue(try TrainingLikeSettings.resolve(["--use-ema", "true"]).bool("use_ema"))
        XCTAssertFalse(try TrainingLikeSettings.resolve(["--use_ema=false"]).bool("use_ema"))
        let alone = try TrainingLikeSettings.resolve(["--use_ema", "--epochs", "2"])
        XCTAssertTrue(alone.bool("use_ema"), "a boolean flag alone means True")
        XCTAssertEqual(alone.int("epochs"), 2)
        XCTAssertEqual(settingsMessage { try TrainingLikeSettings.resolve(["--use_ema=maybe"]) },
                       "--use_ema: use_ema: expected True or False, got 'maybe'")
    }

    func testFlagsOverrideTheFileAndLaterFlagsWin() throws {
        let path = try TrainingLikeSettings.yamlFile("epochs: 3\nlearning_rate: 1.e-6\ndtype: fp16\n", in: self)
        let settings = try TrainingLikeSettings.resolve(["--epochs", "5", "-c", path, "--dtype", "bf16", "--dtype=fp32"])
        XCTAssertEqual(settings.int("epochs"), 5, "flags override the file wherever -c stands")
        XCTAssertEqual(settings.double("learning_rate"), 1e-6)
        XCTAssertEqual(settings.string("dtype"), "fp32")
        XCTAssertEqual(settings.origin(of: "epochs"), "--epochs")
        XCTAssertEqual(settings.origin(of: "learning_rate"), path)
        XCTAssertEqual(try TrainingLikeSettings.resolve(["--config=" + path]).int("epochs"), 3)
    }

    func testNumbersListsShortFlagsAndNegativeValues() throws {
        let settings = try TrainingLikeSettings.resolve(["--learning_rate", "1.e-6", "--weight-decay", "-0.5", "--class_labels", "3,1,4",
                                                          "-m", "DiT-S/8", "--num_heads", "6", "--table", "a.txt", "--table", "b.txt,c.txt"])
        XCTAssertEqual(settings.double("learning_rate"), 1e-6)
        XCTAssertEqual(settings.double("weight_decay"), -0.5)
        XCTAssertEqual(settings.intList("class_labels"), [3, 1, 4])
        XCTAssertEqual(settings.string("model_name"), "DiT-S/8")
        XCTAssertEqual(settings.optionalInt("num_heads"), 6)
        XCTAssertEqual(settings.stringList("table"), ["a.txt", "b.txt", "c.txt"], "a repeated list flag collects its values")
        XCTAssertEqual(try TrainingLikeSettings.resolve(["--class-labels", "[7, 8]"]).intList("class_labels"), [7, 8])
    }

    func testUnknownFlagSuggestsTheNearestInTheTypedSpelling() {
        XCTAssertEqual(settingsMessage { try TrainingLikeSettings.resolve(["--lerning_rate", "1"]) },
                       "unknown flag --lerning_rate; did you mean --learning_rate?")
        XCTAssertEqual(settingsMessage { try TrainingLikeSettings.resolve(["--lerning-rate", "1"]) },
                       "unknown flag --lerning-rate; did you mean --learning-rate?")
        XCTAssertEqual(settingsMessage { try TrainingLikeSettings.resolve(["--epoch=2"]) }, "unknown flag --epoch; did you mean --epochs?")
        XCTAssertEqual(settingsMessage { try TrainingLikeSettings.resolve(["--qqqqqqqq"]) }, "unknown flag --qqqqqqqq (see demo-train --help)")
        XCTAssertEqual(settingsMessage { try TrainingLikeSettings.resolve(["-z"]) }, "unknown flag -z (see demo-train --help)")
    }

    func testMissingValuesAndStrayArguments() {
        XCTAssertEqual(settingsMessage { try TrainingLikeSettings.resolve(["--epochs"]) }, "--epochs: missing value (see demo-train --help)")
        XCTAssertEqual(settingsMessage { try TrainingLikeSettings.resolve(["extra"]) }, "unexpected argument 'extra' (see demo-train --help)")
        XCTAssertEqual(settingsMessage { try TrainingLikeSettings.resolve(["--epochs", "x"]) }, "--epochs: epochs: expected an integer, got 'x'")
    }

    func testPositionals() throws {
        let tool = ToolSettings(tool: "demo-convert", abstract: "Positional example.", examples: ["demo-convert a.pt b.ckpt"],
                                declarations: [SettingDeclaration("quiet", .bool, default: .bool(false), help: "Silence.")],
                                positionals: [PositionalDeclaration("SOURCE", help: "in"), PositionalDeclaration("TARGET", help: "out")])
        guard case .settings(let settings) = try tool.evaluate(["a.pt", "--quiet", "b.ckpt"]) else { return XCTFail("help") }
        XCTAssertEqual(settings.positional("SOURCE"), "a.pt")
        XCTAssertEqual(settings.positional("TARGET"), "b.ckpt")
        XCTAssertTrue(settings.bool("quiet"))
        XCTAssertEqual(settingsMessage { try tool.evaluate(["a.pt"]) }, "missing TARGET (see demo-convert --help)")
        XCTAssertEqual(settingsMessage { try tool.evaluate(["a", "b", "c"]) }, "unexpected argument 'c' (see demo-convert --help)")
    }
}
