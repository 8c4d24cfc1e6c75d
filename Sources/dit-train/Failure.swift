/// A `dit-train` error: one line, printed as `dit-train: error: …` with exit status 1.
struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
