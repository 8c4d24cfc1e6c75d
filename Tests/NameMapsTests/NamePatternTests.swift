import XCTest
@testable import NameMaps

final class NamePatternTests: XCTestCase {
    func testIndexPlaceholdersMatchAndRender() throws {
        let left = try NamePattern("decoder.up_blocks.{i}.resnets.{j}.conv1.weight")
        let right = try NamePattern("decoder.up.{3-i}.block.{j}.conv1.weight")
        let b = try XCTUnwrap(left.match("decoder.up_blocks.1.resnets.2.conv1.weight"))
        XCTAssertEqual(b, ["i": 1, "j": 2])
        XCTAssertEqual(right.render(b), "decoder.up.2.block.2.conv1.weight")
        XCTAssertEqual(right.match("decoder.up.0.block.1.conv1.weight"), ["i": 3, "j": 1])
        XCTAssertNil(right.match("decoder.up.4.block.1.conv1.weight"), "3-i must not go negative")
        XCTAssertNil(left.match("decoder.up_blocks.01.resnets.2.conv1.weight"), "leading zeros are not indices")
        XCTAssertNil(left.match("decoder.up_blocks.1.resnets.2.conv1.weight.extra"))
    }

    func testChoicesMapByPosition() throws {
        let left = try NamePattern("encoder.norm_out.{p:weight|bias}")
        let right = try NamePattern("encoder.norm_out.{p:gamma|beta}")
        XCTAssertEqual(right.render(try XCTUnwrap(left.match("encoder.norm_out.bias"))), "encoder.norm_out.beta")
        XCTAssertEqual(left.render(try XCTUnwrap(right.match("encoder.norm_out.gamma"))), "encoder.norm_out.weight")
        XCTAssertNil(left.match("encoder.norm_out.gamma"))
        let dotted = try NamePattern("mid.attentions.0.{a:to_q|to_out.0}.weight")
        XCTAssertEqual(dotted.match("mid.attentions.0.to_out.0.weight"), ["a": 1])
    }

    func testMalformedPatternsAndTablesAreReportedWithTheirLine() {
        XCTAssertThrowsError(try NamePattern("blocks.{i")) { XCTAssertTrue("\($0)".contains("unclosed")) }
        XCTAssertThrowsError(try NamePattern("blocks.{2*i}")) { XCTAssertTrue("\($0)".contains("cannot read placeholder")) }
        let text = "@family dit\n@left a\n@right b\nx.{i}.w   y.{j}.w\n"
        XCTAssertThrowsError(try NameTable(text: text, source: "t.table")) { XCTAssertTrue("\($0)".hasPrefix("t.table:4:"), "\($0)") }
        XCTAssertThrowsError(try NameTable(text: "@family dit\n@left a\n@right b\nx y frobnicate\n", source: "t.table")) {
            XCTAssertTrue("\($0)".contains("unknown transform 'frobnicate'"), "\($0)")
        }
    }

    func testBuiltInTablesLoadAndConnectEveryConvention() throws {
        let library = try TableLibrary.builtIn()
        XCTAssertEqual(library.conventions(of: "dit"), ["official", "diffusers", "mindone-legacy"])
        XCTAssertEqual(library.conventions(of: "vae"), ["diffusers", "diffusers-old", "ldm", "mindone"])
        XCTAssertEqual(try library.chain(family: "vae", from: "mindone", to: "diffusers-old").count, 3)
    }
}
