/// Typed access to the positional arguments of an allowlisted call, with errors that name the
/// function, the argument and the byte offset of the REDUCE.
struct TorchPickleArguments {
    let function: String
    let items: [UnpickledValue]
    let offset: Int

    init(_ function: String, _ tuple: UnpickledTuple, offset: Int, count: ClosedRange<Int>) throws {
        self.function = function
        self.items = tuple.items
        self.offset = offset
        guard count.contains(items.count) else {
            let expected = count.lowerBound == count.upperBound ? "\(count.lowerBound)" : "\(count.lowerBound)-\(count.upperBound)"
            throw CheckpointError("\(function) takes \(expected) arguments, got \(items.count)", offset: offset)
        }
    }

    var count: Int { items.count }

    func fail(_ index: Int, _ what: String) -> CheckpointError {
        CheckpointError("\(function) argument \(index + 1) must be \(what), got \(items[index].kind)", offset: offset)
    }

    func int(_ index: Int, _ name: String) throws -> Int {
        guard case .int(let value) = items[index], value >= 0, value <= Int64(1) << 50 else {
            throw fail(index, "a non-negative integer (\(name))")
        }
        return Int(value)
    }

    func bool(_ index: Int, _ name: String) throws -> Bool {
        guard case .bool(let value) = items[index] else { throw fail(index, "a bool (\(name))") }
        return value
    }

    func string(_ index: Int, _ name: String) throws -> String {
        guard case .string(let value) = items[index] else { throw fail(index, "a string (\(name))") }
        return value
    }

    func global(_ index: Int, _ name: String) throws -> UnpickledGlobal {
        guard case .global(let value) = items[index] else { throw fail(index, "a global symbol (\(name))") }
        return value
    }

    /// A tuple (or `torch.Size`) of non-negative integers, at most 64 long.
    func dimensions(_ index: Int, _ name: String) throws -> [Int] {
        let elements: [UnpickledValue]
        switch items[index] {
        case .tuple(let tuple): elements = tuple.items
        case .list(let list): elements = list.items
        case .custom(let object as TorchDataObject) where object.type == "torch.Size" && object.args.count == 1:
            guard case .tuple(let tuple) = object.args[0] else { throw fail(index, "a tuple of integers (\(name))") }
            elements = tuple.items
        default:
            throw fail(index, "a tuple of integers (\(name))")
        }
        guard elements.count <= 64 else { throw fail(index, "at most 64 dimensions (\(name))") }
        return try elements.map {
            guard case .int(let value) = $0, value >= 0, value <= Int64(1) << 50 else {
                throw fail(index, "a tuple of non-negative integers (\(name))")
            }
            return Int(value)
        }
    }
}
