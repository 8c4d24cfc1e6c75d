/// One `Checkpoint.value` entry of a `.ckpt` stream: `Value { tag, tensor: TensorProto { dims,
/// tensor_type, tensor_content } }`. Content is not copied: it is a range of the mapped file.
struct MindSporeRecord {
    /// Highest rank accepted (MindSpore has no limit; real models use ≤ 5).
    static let maxRank = 64

    var tag: String
    var tensorType: String
    /// Declared shape (unpacked or packed int64s; negative values refused).
    var dims: [Int]
    /// Absolute byte range of `tensor_content`.
    var content: Range<Int>
    /// Absolute offset of the record's first byte.
    var offset: Int

    /// Parses the `Value` message in `range` (the payload of a top-level field 1).
    static func parse(_ bytes: UnsafeRawBufferPointer, value range: Range<Int>, recordOffset: Int) throws -> MindSporeRecord {
        var reader = ProtobufWireReader(bytes: bytes, range: range)
        var tag: String?
        var tensor: (type: String, dims: [Int], content: Range<Int>)?
        while !reader.isAtEnd {
            let key = try reader.readKey()
            switch (key.number, key.wireType) {
            case (1, .lengthDelimited):
                guard tag == nil else { throw CheckpointError("record has two tags", offset: key.offset) }
                tag = try reader.readString(what: "tag")
            case (2, .lengthDelimited):
                guard tensor == nil else { throw CheckpointError("record has two tensors", tensor: tag, offset: key.offset) }
                tensor = try parseTensorProto(bytes, &reader, tag: tag)
            case (3, .lengthDelimited):
                throw CheckpointError("MapParameter (maptensor) records are not supported", tensor: tag, offset: key.offset)
            case (1, _), (2, _), (3, _):
                throw CheckpointError("field \(key.number) of a checkpoint value has wire type \(key.wireType.rawValue), expected 2", tensor: tag, offset: key.offset)
            default:
                try reader.skip(key)
            }
        }
        guard let tag else { throw CheckpointError("record has no tag (a required field)", offset: recordOffset) }
        guard let tensor else { throw CheckpointError("record has no tensor", tensor: tag, offset: recordOffset) }
        return MindSporeRecord(tag: tag, tensorType: tensor.type, dims: tensor.dims, content: tensor.content, offset: recordOffset)
    }

    private static func parseTensorProto(_ bytes: UnsafeRawBufferPointer, _ outer: inout ProtobufWireReader,
                                         tag: String?) throws -> (type: String, dims: [Int], content: Range<Int>) {
        let start = outer.position
        var reader = ProtobufWireReader(bytes: bytes, range: try outer.readLengthDelimited())
        var dims: [Int] = []
        var type: String?
        var content: Range<Int>?
        func appendDim(_ raw: UInt64, at offset: Int) throws {
            let value = Int64(bitPattern: raw)
            guard value >= 0 else { throw CheckpointError("negative dimension \(value)", tensor: tag, offset: offset) }
            guard dims.count < maxRank else { throw CheckpointError("more than \(maxRank) dimensions", tensor: tag, offset: offset) }
            dims.append(Int(value))
        }
        while !reader.isAtEnd {
            let key = try reader.readKey()
            switch (key.number, key.wireType) {
            case (1, .varint):
                let offset = reader.position
                try appendDim(try reader.readVarint(), at: offset)
            case (1, .lengthDelimited):  // packed dims
                var packed = ProtobufWireReader(bytes: bytes, range: try reader.readLengthDelimited())
                while !packed.isAtEnd {
                    let offset = packed.position
                    try appendDim(try packed.readVarint(), at: offset)
                }
            case (2, .lengthDelimited):
                guard type == nil else { throw CheckpointError("tensor has two tensor_type fields", tensor: tag, offset: key.offset) }
                type = try reader.readString(what: "tensor_type")
            case (3, .lengthDelimited):
                guard content == nil else { throw CheckpointError("tensor has two tensor_content fields", tensor: tag, offset: key.offset) }
                content = try reader.readLengthDelimited()
            case (1, _), (2, _), (3, _):
                throw CheckpointError("field \(key.number) of a TensorProto has wire type \(key.wireType.rawValue)", tensor: tag, offset: key.offset)
            default:
                try reader.skip(key)
            }
        }
        guard let type else { throw CheckpointError("tensor has no tensor_type (a required field)", tensor: tag, offset: start) }
        guard let content else { throw CheckpointError("tensor has no tensor_content (a required field)", tensor: tag, offset: start) }
        return (type, dims, content)
    }
}
