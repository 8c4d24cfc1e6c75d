/// Builds a safetensors header exactly as the reference writer (`serde_json::to_string` of `Metadata`,
/// then space padding to a multiple of 8): compact JSON, `__metadata__` first, then the entries in the
/// order given, strings escaped as serde_json escapes them.
enum SafetensorsHeaderEncoder {
    struct Entry {
        var name: String
        var dtype: SafetensorsDType
        var shape: [Int]
        var begin: Int
        var end: Int
    }

    /// The padded header bytes. Metadata keys are written in sorted (UTF-8 byte) order; the reference
    /// writer uses a `HashMap`, so its order for two or more keys varies from run to run.
    static func encode(_ entries: [Entry], metadata: [String: String]) -> [UInt8] {
        var out: [UInt8] = []  // [header length] UTF-8 JSON + padding
        out.append(0x7B)
        var first = true
        func separator() {
            if !first { out.append(0x2C) }
            first = false
        }
        if !metadata.isEmpty {
            separator()
            appendString("__metadata__", to: &out)
            out.append(contentsOf: Array(":{".utf8))
            let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (index, key) in keys.enumerated() {
                if index > 0 { out.append(0x2C) }
                appendString(key, to: &out)
                out.append(0x3A)
                appendString(metadata[key] ?? "", to: &out)
            }
            out.append(0x7D)
        }
        for entry in entries {
            separator()
            appendString(entry.name, to: &out)
            out.append(contentsOf: Array(":{\"dtype\":".utf8))
            appendString(entry.dtype.name, to: &out)
            out.append(contentsOf: Array(",\"shape\":[".utf8))
            out.append(contentsOf: Array(entry.shape.map(String.init).joined(separator: ",").utf8))
            out.append(contentsOf: Array("],\"data_offsets\":[\(entry.begin),\(entry.end)]}".utf8))
        }
        out.append(0x7D)
        while out.count % 8 != 0 { out.append(0x20) }
        return out
    }

    /// Appends `text` as a JSON string the way serde_json does: `"` and `\` backslash-escaped,
    /// `\b \t \n \f \r` short escapes, other control characters below U+0020 as `\u00xx` (lower-case
    /// hex), everything else (including U+007F and non-ASCII) verbatim.
    static func appendString(_ text: String, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(0x22)
        for byte in text.utf8 {
            switch byte {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x08: out.append(contentsOf: [0x5C, 0x62])
            case 0x09: out.append(contentsOf: [0x5C, 0x74])
            case 0x0A: out.append(contentsOf: [0x5C, 0x6E])
            case 0x0C: out.append(contentsOf: [0x5C, 0x66])
            case 0x0D: out.append(contentsOf: [0x5C, 0x72])
            case 0x00..<0x20:
                out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: out.append(byte)
            }
        }
        out.append(0x22)
    }
}
