/// A model that cannot be built or run: missing or misshaped weights, bad inputs. One line.
public struct ModelError: Error, CustomStringConvertible, Equatable {
    public var description: String

    public init(_ description: String) { self.description = description }
}
