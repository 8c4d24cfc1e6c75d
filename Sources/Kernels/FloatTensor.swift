/// A dense row-major f32 array with a shape: the activation type of the runtime.
///
/// Storage is a Swift array, so values are copied on write; kernels take its pointer through
/// `withUnsafe(Mutable)BufferPointer` and never bounds-check inside their loops.
public struct FloatTensor: Equatable, Sendable {
    /// Size of each dimension (`[]` for a scalar).
    public var shape: [Int]
    /// `shape.reduce(1, *)` values, row-major.
    public var values: [Float]

    /// Wraps `values` (count must equal the product of `shape`).
    public init(shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "\(values.count) values for shape \(shape)")
        self.shape = shape
        self.values = values
    }

    /// Zeros of `shape`.
    public init(zeros shape: [Int]) {
        self.init(shape: shape, values: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    /// Uninitialised storage of `shape`, filled by `body` (which must write every element).
    public init(shape: [Int], filling body: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows {
        let count = shape.reduce(1, *)
        self.shape = shape
        self.values = try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            try body(buffer)
            initialized = count
        }
    }

    public var count: Int { values.count }

    /// Same values, new shape (element counts must match).
    public func reshaped(_ newShape: [Int]) -> FloatTensor {
        FloatTensor(shape: newShape, values: values)
    }

    /// Rows `range` of the leading dimension (e.g. one half of a batch).
    public func slice(batch range: Range<Int>) -> FloatTensor {
        let inner = shape.dropFirst().reduce(1, *)
        return FloatTensor(shape: [range.count] + shape.dropFirst(), values: Array(values[(range.lowerBound * inner)..<(range.upperBound * inner)]))
    }

    /// Concatenation along the leading dimension.
    public static func concatenate(batch parts: [FloatTensor]) -> FloatTensor {
        precondition(!parts.isEmpty && parts.allSatisfy { Array($0.shape.dropFirst()) == Array(parts[0].shape.dropFirst()) })
        return FloatTensor(shape: [parts.reduce(0) { $0 + $1.shape[0] }] + parts[0].shape.dropFirst(), values: parts.flatMap(\.values))
    }

    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try values.withUnsafeBufferPointer(body)
    }

    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try values.withUnsafeMutableBufferPointer { try body($0) }
    }
}
