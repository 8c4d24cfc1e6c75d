/// A dataset problem, in one line that names the file (or row) and the reason.
public struct DatasetError: Error, CustomStringConvertible, Equatable {
    /// The image, CSV or cache file concerned (empty when none).
    public var file: String
    /// What went wrong.
    public var message: String

    public init(_ message: String, file: String = "") {
        self.message = message
        self.file = file
    }

    public var description: String { file.isEmpty ? message : "\(file): \(message)" }
}
