/// A CSV reader with the rules of Python's `csv` module defaults (the reader `csv.DictReader` uses):
/// `,` separates fields, `"` quotes a field, `""` inside quotes is one `"`, quoted fields may hold commas
/// and line breaks, records end at `\n`, `\r\n` or `\r`, blank lines are skipped. A leading UTF-8 byte
/// order mark is ignored.
public enum CSVReader {
    /// One record: its fields and the 1-based line it starts on.
    public struct Record: Equatable {
        public var fields: [String]
        public var line: Int
    }

    /// Parses `bytes`; an unterminated quoted field is an error naming its line.
    public static func records(_ bytes: [UInt8], file: String = "") throws -> [Record] {
        var records: [Record] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false, fieldWasQuoted = false
        var line = 1, recordLine = 1
        var i = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            fieldWasQuoted = false
        }
        func endRecord() {
            endField()
            if !(fields.count == 1 && fields[0].isEmpty) { records.append(Record(fields: fields, line: recordLine)) }
            fields.removeAll()
        }
        while i < bytes.count {
            let c = bytes[i]
            if quoted {
                if c == 0x22 {
                    if i + 1 < bytes.count && bytes[i + 1] == 0x22 { field.append(0x22); i += 1 } else { quoted = false }
                } else {
                    if c == 0x0A { line += 1 }
                    field.append(c)
                }
            } else {
                switch c {
                case 0x22 where field.isEmpty && !fieldWasQuoted:
                    quoted = true
                    fieldWasQuoted = true
                case 0x2C:
                    endField()
                case 0x0A, 0x0D:
                    if c == 0x0D && i + 1 < bytes.count && bytes[i + 1] == 0x0A { i += 1 }
                    endRecord()
                    line += 1
                    recordLine = line
                default:
                    field.append(c)
                }
            }
            i += 1
        }
        if quoted { throw DatasetError("line \(recordLine): unterminated quoted field", file: file) }
        if !field.isEmpty || !fields.isEmpty || fieldWasQuoted { endRecord() }
        return records
    }
}

/// MindONE's toy layout: `root/image_caption.csv` with the columns `image`, `caption` and `class` (any order,
/// extra columns ignored); rows in file order; `image` is relative to `root`; `class` must be an integer.
public struct MindONECSV {
    public static let fileName = "image_caption.csv"
    public let samples: [DatasetSample]

    public init(root: String) throws {
        let path = root + "/" + MindONECSV.fileName
        let records = try CSVReader.records(try ImageDecoder.readFile(path), file: path)
        guard let header = records.first else { throw DatasetError("empty CSV file (expected the columns image,caption,class)", file: path) }
        let names = header.fields.map { $0.trimmingSpaces }
        var column: [String: Int] = [:]
        for name in ["image", "caption", "class"] {
            guard let index = names.firstIndex(of: name) else {
                throw DatasetError("no '\(name)' column (the header has \(names.map { "'\($0)'" }.joined(separator: ", ")); "
                                   + "expected image,caption,class)", file: path)
            }
            column[name] = index
        }
        var samples: [DatasetSample] = []
        for record in records.dropFirst() {
            func value(_ name: String) -> String? {
                let index = column[name]!
                return index < record.fields.count ? record.fields[index] : nil
            }
            guard let image = value("image"), !image.isEmpty else {
                throw DatasetError("line \(record.line): no image file name", file: path)
            }
            let text = value("class") ?? ""
            guard let label = Int(text.trimmingSpaces) else {
                throw DatasetError("line \(record.line): class '\(text)' is not an integer", file: path)
            }
            samples.append(DatasetSample(path: image.hasPrefix("/") ? image : root + "/" + image, label: label,
                                         caption: value("caption"), origin: "\(MindONECSV.fileName) line \(record.line)"))
        }
        guard !samples.isEmpty else { throw DatasetError("the CSV lists no image (only a header)", file: path) }
        self.samples = samples
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
