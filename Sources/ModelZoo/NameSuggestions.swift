/// Closest-name suggestions for a mistyped variant name (case-insensitive edit distance).
public enum NameSuggestions {
    /// Up to `limit` candidates closest to `query`, nearest first; only reasonably close ones.
    public static func closest(to query: String, among candidates: [String], limit: Int = 3) -> [String] {
        let q = normalized(query)
        // A name containing the query (or contained in it) ranks first; then by edit distance.
        let scored: [(name: String, contains: Bool, distance: Int)] = candidates.map { c in
            let n = normalized(c)
            let contains = q.count >= 4 && n.count >= 4 && (String(n).contains(String(q)) || String(q).contains(String(n)))
            return (c, contains, editDistance(q, n))
        }
        let threshold = max(2, q.count / 3)
        return scored.filter { $0.contains || $0.distance <= threshold }
            .sorted { a, b in
                if a.contains != b.contains { return a.contains }
                return a.distance != b.distance ? a.distance < b.distance : a.name < b.name
            }
            .prefix(limit).map(\.name)
    }

    private static func normalized(_ s: String) -> [Character] { Array(s.lowercased()) }

    /// Edit distance counting insertions, deletions, substitutions and swaps of two neighbouring
    /// characters as one step each (optimal string alignment), so "L-23" is one step from "L-32".
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}
