import Checkpoint
import CLISupport

/// `ckpt inspect FILE [--json] [--checksum]`
enum Inspect {
    static let command = Subcommand("inspect", settings: ToolSettings(
        tool: "ckpt inspect",
        abstract: "Show a checkpoint's format, object tree and tensors.",
        examples: ["ckpt inspect DiT-XL-2-256x256.pt --checksum"],
        declarations: [
            SettingDeclaration("json", .bool, default: .bool(false), help: "Print one JSON object instead of text."),
            SettingDeclaration("checksum", .bool, default: .bool(false), help: "Add a CRC-32 of each tensor's dense bytes (reads every tensor)."),
        ],
        positionals: [PositionalDeclaration("FILE", help: "Checkpoint file (.pt/.pth/.bin, .ckpt, .safetensors, .h5; detected from its bytes).")]
    ), run: run)

    static func run(_ settings: ResolvedSettings) throws {
        let file = settings.positional("FILE"), checksum = settings.bool("checksum")
        let checkpoint = try Checkpoint(path: file)
        let tensors = checkpoint.root.flattenedTensors()
        var sums: [UInt32?] = []
        for entry in tensors {
            do {
                sums.append(checksum ? try entry.tensor.checksum() : nil)
            } catch let error as CheckpointError {
                throw error.forTensor(entry.name).inFile(file)
            }
            entry.tensor.releaseCache()
        }
        if settings.bool("json") {
            print(InspectReport.json(checkpoint, tensors: tensors, sums: sums))
        } else {
            print(InspectReport.text(checkpoint, tensors: tensors, sums: sums))
        }
    }
}

/// Renders `ckpt inspect` output.
enum InspectReport {
    static func text(_ checkpoint: Checkpoint, tensors: [(name: String, tensor: Tensor)], sums: [UInt32?]) -> String {
        var lines = ["file: \(checkpoint.path)", "format: \(checkpoint.format.rawValue)"]
        for (key, value) in checkpoint.metadata.sorted(by: { $0.key < $1.key }) { lines.append("metadata: \(key) = \(value)") }
        if !checkpoint.root.isTensorDict {
            lines.append("tree:")
            lines += treeLines(checkpoint.root, indent: "  ", depth: 0)
        }
        let total = tensors.reduce(0) { $0 + $1.tensor.byteCount }
        lines.append("tensors: \(tensors.count), \(total) bytes")
        let width = min(tensors.map(\.name.count).max() ?? 0, 72)
        for (i, entry) in tensors.enumerated() {
            let t = entry.tensor
            var line = "  " + entry.name.padding(width) + "  " + t.dtype.rawValue.padding(5) + "  " + "\(t.shape)".padding(20) + "  \(t.byteCount)"
            if let sum = sums[i] { line += "  crc32=" + hex(sum) }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// The non-tensor structure, with tensor-only dicts collapsed to a count.
    static func treeLines(_ node: Node, indent: String, depth: Int) -> [String] {
        guard depth < 6 else { return [indent + "…"] }
        var lines: [String] = []
        func child(_ key: String, _ value: Node) {
            switch value {
            case .dict(let entries) where value.isTensorDict:
                lines.append(indent + "\(key): state dict (\(entries.count) tensors)")
            case .dict, .list:
                lines.append(indent + "\(key): \(value.summary)")
                lines += treeLines(value, indent: indent + "  ", depth: depth + 1)
            case .object(let type, _, let state?):
                lines.append(indent + "\(key): \(type)")
                lines += treeLines(state, indent: indent + "  ", depth: depth + 1)
            default:
                lines.append(indent + "\(key): \(value.summary)")
            }
        }
        switch node {
        case .dict(let entries):
            for (key, value) in entries.prefix(50) { child(key.keyText, value) }
            if entries.count > 50 { lines.append(indent + "… \(entries.count - 50) more") }
        case .list(let items), .tuple(let items):
            for (i, value) in items.prefix(20).enumerated() { child(String(i), value) }
            if items.count > 20 { lines.append(indent + "… \(items.count - 20) more") }
        default:
            break
        }
        return lines
    }

    static func json(_ checkpoint: Checkpoint, tensors: [(name: String, tensor: Tensor)], sums: [UInt32?]) -> String {
        let metadata = checkpoint.metadata.sorted(by: { $0.key < $1.key }).map { "\(quote($0.key)):\(quote($0.value))" }
        let items = tensors.enumerated().map { i, entry -> String in
            let t = entry.tensor
            var fields = ["\"name\":\(quote(entry.name))", "\"dtype\":\(quote(t.dtype.rawValue))",
                          "\"shape\":[\(t.shape.map(String.init).joined(separator: ","))]", "\"bytes\":\(t.byteCount)"]
            if let sum = sums[i] { fields.append("\"crc32\":\(quote(hex(sum)))") }
            return "{" + fields.joined(separator: ",") + "}"
        }
        return "{\"file\":\(quote(checkpoint.path)),\"format\":\(quote(checkpoint.format.rawValue)),"
            + "\"metadata\":{\(metadata.joined(separator: ","))},\"tensors\":[\(items.joined(separator: ","))]}"
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let digits = Array("0123456789abcdef")
                    out += "\\u00" + String(digits[Int(scalar.value >> 4)]) + String(digits[Int(scalar.value & 0xF)])
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    static func hex(_ value: UInt32) -> String {
        let digits = Array("0123456789abcdef")
        return String((0..<8).map { digits[Int((value >> (28 - 4 * UInt32($0))) & 0xF)] })
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
