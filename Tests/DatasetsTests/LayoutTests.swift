import Foundation
import TestSupport
import XCTest
@testable import Datasets

/// ImageFolder against torchvision's ImageFolder; the MindONE CSV against Python's csv.DictReader.
final class LayoutTests: XCTestCase {
    func testImageFolderOrderAndLabelsEqualTorchvision() throws {
        let root = DatasetFixtures.path("folder")
        let folder = try ImageFolder(root: root)
        let listing = DatasetFixtures.manifest["folder"] as! [String: Any]
        XCTAssertEqual(folder.classes, listing["classes"] as! [String])
        let expected = (listing["samples"] as! [[Any]]).map { ($0[0] as! String, $0[1] as! Int) }
        XCTAssertEqual(folder.samples.map { String($0.path.dropFirst(root.count + 1)) }, expected.map(\.0))
        XCTAssertEqual(folder.samples.map(\.label), expected.map(\.1))
    }

    func testImageFolderRefusesEmptyClassesAndMissingClasses() throws {
        let dir = try temporaryDirectory()
        XCTAssertThrowsError(try ImageFolder(root: dir)) {
            XCTAssertEqual("\($0)", "\(dir): no class folder found (ImageFolder expects root/<class>/<image>)")
        }
        try FileManager.default.createDirectory(atPath: dir + "/cats", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: dir + "/cats/readme.txt", contents: Data("x".utf8))
        XCTAssertThrowsError(try ImageFolder(root: dir)) {
            XCTAssertTrue("\($0)".hasPrefix("\(dir): no image file in the class folder(s) cats"), "\($0)")
        }
    }

    func testCSVRowsEqualPythonCSV() throws {
        let root = DatasetFixtures.path("csv")
        let samples = try MindONECSV(root: root).samples
        let expected = DatasetFixtures.manifest["csv"] as! [[String: String]]
        XCTAssertEqual(samples.map(\.path), expected.map { root + "/" + $0["image"]! })
        XCTAssertEqual(samples.map(\.caption), expected.map { $0["caption"] })
        XCTAssertEqual(samples.map(\.label), expected.map { Int($0["class"]!)! })
        XCTAssertTrue(samples[0].caption!.contains("\"from the hill\","))   // quotes and commas inside a quoted field
        XCTAssertTrue(samples[2].caption!.contains("\n"))                   // a line break inside a quoted field
        XCTAssertEqual(samples[2].origin, "image_caption.csv line 4")
    }

    func testCSVErrorsNameTheFileAndLine() throws {
        func message(_ csv: String) throws -> String {
            let dir = try temporaryDirectory()
            try csv.write(toFile: dir + "/image_caption.csv", atomically: true, encoding: .utf8)
            do { _ = try MindONECSV(root: dir); return "(accepted)" } catch { return "\(error)".replacingOccurrences(of: dir + "/", with: "") }
        }
        XCTAssertEqual(try message("image,text,class\na.png,x,1\n"),
                       "image_caption.csv: no 'caption' column (the header has 'image', 'text', 'class'; expected image,caption,class)")
        XCTAssertEqual(try message("image,caption,class\na.png,x,1\nb.png,\"y, z\",cat\n"),
                       "image_caption.csv: line 3: class 'cat' is not an integer")
        XCTAssertEqual(try message("image,caption,class\n"), "image_caption.csv: the CSV lists no image (only a header)")
        XCTAssertEqual(try message(""), "image_caption.csv: empty CSV file (expected the columns image,caption,class)")
        XCTAssertEqual(try message("image,caption,class\na.png,\"open,1\n"), "image_caption.csv: line 2: unterminated quoted field")
        // column order free, CRLF line ends, blank lines skipped, doubled quotes
        let dir = try temporaryDirectory()
        try "class,image,caption\r\n\r\n7,a.png,\"say \"\"hi\"\"\"\r\n".write(toFile: dir + "/image_caption.csv", atomically: true, encoding: .utf8)
        let samples = try MindONECSV(root: dir).samples
        XCTAssertEqual(samples, [DatasetSample(path: dir + "/a.png", label: 7, caption: "say \"hi\"", origin: "image_caption.csv line 3")])
    }
}
