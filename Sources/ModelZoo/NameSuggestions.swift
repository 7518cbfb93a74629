/// Closest-name suggestions for a mistyped variant name (case-insensitive edit distance).
enum NameSuggestions {
    /// Up to `limit` candidates closest to `query`, nearest first; only reasonably close ones.
    static func closest(to query: String, among candidates: [String], limit: Int = 3) -> [String] {
        let q = normalized(query)
        let scored: [(name: String, distance: Int)] = candidates.map { c in
            let n = normalized(c)
            var d = editDistance(q, n)
            if q.count >= 4, n.count >= 4, n.contains(q) || q.contains(n) { d = min(d, 1) }
            return (c, d)
        }
        let threshold = max(2, q.count / 3)
        return scored.filter { $0.distance <= threshold }
            .sorted { $0.distance != $1.distance ? $0.distance < $1.distance : $0.name < $1.name }
            .prefix(limit).map(\.name)
    }

    private static func normalized(_ s: String) -> [Character] { Array(s.lowercased()) }

    /// Levenshtein distance between two character arrays.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
