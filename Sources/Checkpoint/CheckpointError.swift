/// A failure to read or write a checkpoint, located as precisely as the format allows.
///
/// `description` is a single line: `FILE: tensor 'NAME': byte OFFSET: message`, with the parts that are
/// unknown left out, so command-line tools can print it as is.
public struct CheckpointError: Error, CustomStringConvertible, Equatable {
    /// The file being read or written (empty until the opener fills it in).
    public var file: String
    /// The tensor (or object path) concerned, when known.
    public var tensor: String?
    /// Absolute byte offset in `file` where the problem was found, when known.
    public var offset: Int?
    /// What went wrong, in one line.
    public var message: String

    public init(_ message: String, file: String = "", tensor: String? = nil, offset: Int? = nil) {
        self.message = message
        self.file = file
        self.tensor = tensor
        self.offset = offset
    }

    public var description: String {
        var parts: [String] = []
        if !file.isEmpty { parts.append(file) }
        if let tensor { parts.append("tensor '\(tensor)'") }
        if let offset { parts.append("byte \(offset)") }
        parts.append(message.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: " "))
        return parts.joined(separator: ": ")
    }

    /// Returns a copy with `file` set, unless it already names one.
    public func inFile(_ path: String) -> CheckpointError {
        var copy = self
        if copy.file.isEmpty { copy.file = path }
        return copy
    }

    /// Returns a copy with `tensor` set, unless it already names one.
    public func forTensor(_ name: String) -> CheckpointError {
        var copy = self
        if copy.tensor == nil { copy.tensor = name }
        return copy
    }
}
