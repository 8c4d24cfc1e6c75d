/// The declared name closest to a mistyped one, for "did you mean …?" (Levenshtein distance on the
/// underscore spelling, so `--lerning-rate` finds `learning_rate`).
enum NearestName {
    /// The nearest of `candidates` to `name`, if it is close enough to be a plausible typo.
    static func suggestion(for name: String, among candidates: [String]) -> String? {
        let typed = SettingName.canonical(name).lowercased()
        let scored = candidates.map { ($0, distance(typed, SettingName.canonical($0).lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        let allowed = max(2, typed.count / 3)
        return best.1 <= allowed ? best.0 : nil
    }

    /// Edits (insert, delete, substitute) that turn `a` into `b`.
    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var previous = Array(0...y.count)  // [|b| + 1]
        var current = [Int](repeating: 0, count: y.count + 1)  // [|b| + 1]
        for i in 1...x.count {
            current[0] = i
            for j in 1...y.count {
                let substitution = previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1)
                current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
            }
            swap(&previous, &current)
        }
        return previous[y.count]
    }
}
