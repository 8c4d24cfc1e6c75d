/// A storage persistent id (formats.md §1.5): `('storage', storage_type, key, location, numel)` in zip
/// files, plus a sixth `view_metadata` (`None` or `(view_key, offset, view_size)`) in legacy files.
struct TorchPersistentID {
    struct View {
        let key: String
        /// In elements of the storage dtype.
        let offset: Int
        let size: Int
    }

    let dtype: DType
    let isUntyped: Bool
    let className: String
    let key: String
    let location: String
    /// In elements of `dtype` (bytes for `UntypedStorage`).
    let numel: Int
    let view: View?

    init(_ value: UnpickledValue, legacy: Bool, offset: Int) throws {
        guard case .tuple(let tuple) = value else {
            throw CheckpointError("persistent id is a \(value.kind), not a tuple", offset: offset)
        }
        let items = tuple.items
        if let first = items.first, case .string(let tag) = first, tag != "storage" {
            throw CheckpointError("persistent id of kind '\(tag.prefix(40))' refused (only storages)", offset: offset)
        }
        let expected = legacy ? 6 : 5
        guard items.count == expected, case .string("storage") = items[0] else {
            throw CheckpointError("persistent id must be a \(expected)-tuple ('storage', type, key, location, numel\(legacy ? ", view" : "")), got \(items.count) items", offset: offset)
        }
        guard case .global(let type) = items[1] else {
            throw CheckpointError("persistent id storage type is a \(items[1].kind), not a storage class", offset: offset)
        }
        if type.name == "UntypedStorage" {
            dtype = .u8
            isUntyped = true
        } else if let typed = DType(torchStorageName: type.name) {
            dtype = typed
            isUntyped = false
        } else {
            throw CheckpointError("unsupported storage type '\(type.fullName)'", offset: offset)
        }
        className = type.name
        key = try TorchPersistentID.storageKey(items[2], offset: offset)
        guard case .string(let device) = items[3] else {
            throw CheckpointError("persistent id location is a \(items[3].kind), not a string", offset: offset)
        }
        location = device
        guard case .int(let count) = items[4], count >= 0 else {
            throw CheckpointError("storage '\(key)' numel is \(items[4].kind == "int" ? "negative" : "a " + items[4].kind)", offset: offset)
        }
        numel = Int(count)
        view = legacy ? try TorchPersistentID.view(items[5], offset: offset) : nil
    }

    /// Storage keys are short names of letters, digits and `_` (torch writes decimal numbers).
    private static func storageKey(_ value: UnpickledValue, offset: Int) throws -> String {
        guard case .string(let key) = value, !key.isEmpty, key.utf8.count <= 64,
              key.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F }) else {
            throw CheckpointError("storage key \(value.kind == "str" ? "is not a plain name" : "is a " + value.kind)", offset: offset)
        }
        return key
    }

    private static func view(_ value: UnpickledValue, offset: Int) throws -> View? {
        switch value {
        case .none:
            return nil
        case .tuple(let tuple):
            let items = tuple.items
            guard items.count == 3, case .int(let start) = items[1], case .int(let size) = items[2], start >= 0, size >= 0,
                  start <= Int64(1) << 50, size <= Int64(1) << 50 else {
                throw CheckpointError("legacy storage view metadata must be (view_key, offset, size)", offset: offset)
            }
            return View(key: try storageKey(items[0], offset: offset), offset: Int(start), size: Int(size))
        default:
            throw CheckpointError("legacy storage view metadata is a \(value.kind)", offset: offset)
        }
    }
}
