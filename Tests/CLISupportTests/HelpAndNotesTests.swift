import CLISupport
import XCTest

final class HelpAndNotesTests: XCTestCase {
    func testHelpListsEveryKeyWithTypeDefaultHelpAndTheExample() throws {
        guard case .help(let text) = try TrainingLikeSettings.tool.evaluate(["--epochs", "3", "--help"]) else { return XCTFail("no help") }
        XCTAssertEqual(text, TrainingLikeSettings.tool.helpText())
        guard case .help = try TrainingLikeSettings.tool.evaluate(["-h"]) else { return XCTFail("-h") }
        XCTAssertTrue(text.hasPrefix("demo-train: A declared-settings example.\n"), text)
        XCTAssertTrue(text.contains("example:\n  demo-train -c configs/training/demo.yaml --data_path data/digits --use_ema True\n"), text)
        let lines = text.split(separator: "\n").map(String.init)
        for declaration in TrainingLikeSettings.tool.declarations {
            guard let i = lines.firstIndex(where: { $0.hasPrefix("  ") && $0.contains(declaration.underscoreFlag + ",") || $0.hasSuffix(declaration.underscoreFlag) || $0.contains(declaration.underscoreFlag + "  ") }) else {
                XCTFail("no line for \(declaration.key)")
                continue
            }
            XCTAssertTrue(lines[i].contains(declaration.hyphenatedFlag), lines[i])
            XCTAssertTrue(lines[i].contains("<\(declaration.type.helpName)>"), lines[i])
            XCTAssertTrue(lines[i].contains("(default: "), lines[i])
            XCTAssertEqual(lines[i + 1], "        " + declaration.help)
        }
        XCTAssertTrue(text.contains("  --data_path, --data-path, --dataset_path  <text>  (default: data)"), text)
        XCTAssertTrue(text.contains("  --learning_rate, --learning-rate  <number>  (default: 0.0001)"), text)
        XCTAssertTrue(text.contains("  --use_ema, --use-ema  <True|False>  (default: False)"), text)
        XCTAssertTrue(text.contains("  --dtype  <fp32|fp16|bf16>  (default: fp32)"), text)
        XCTAssertTrue(text.contains("  --class_labels, --class-labels  <int list>  (default: [1, 2])"), text)
        XCTAssertTrue(text.contains("  --resume  <text>  (default: none)"), text)
        XCTAssertTrue(text.contains("  -m, --model_name, --model-name  <text>  (default: DiT-XL/2)"), text)
        XCTAssertTrue(text.contains("  -c, --config FILE"), text)
        XCTAssertTrue(text.contains("Accepted and ignored (a note is printed): device_target, jit_level, mode"), text)
    }

    func testAcceptedKeysGiveOneNoteLineEach() throws {
        let path = try TrainingLikeSettings.yamlFile("device_target: Ascend\njit_level: O0\nmode: 0\nepochs: 2\n", in: self)
        let settings = try TrainingLikeSettings.resolve(["-c", path, "--device_target", "GPU", "--jit-level=O2", "--epochs", "4"])
        XCTAssertEqual(settings.notes, ["note: device_target is ignored on CPU", "note: MindSpore graph options are ignored (jit_level, mode)"])
        XCTAssertEqual(settings.int("epochs"), 4, "a noted flag consumes its value")
        XCTAssertFalse(settings.assignments.contains { $0.key == "device_target" })
        XCTAssertEqual(try TrainingLikeSettings.resolve([]).notes, [])
    }

    func testNearestNameUsesEditDistance() {
        let suggestion = { (typed: String) in settingsMessage { try TrainingLikeSettings.tool.resolve(yaml: "\(typed): 1\n", source: "f") } }
        XCTAssertEqual(suggestion("epohcs"), "f: unknown key 'epohcs'; did you mean 'epochs'?")
        XCTAssertEqual(try TrainingLikeSettings.tool.resolve(yaml: "weight-decay: 0.1\n", source: "f").double("weight_decay"), 0.1, "either spelling in YAML too")
        XCTAssertEqual(suggestion("devce_target"), "f: unknown key 'devce_target'; did you mean 'device_target'?")
    }
}
