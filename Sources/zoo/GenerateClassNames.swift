import Foundation

/// The ImageNet class names of `assets/imagenet_classes.json` (1000 entries, each a comma-separated
/// list of synonyms) and the lookup behind `zoo generate --class`.
struct ImageNetClasses {
    /// entries[i]: the synonyms of class i, as written ("golden retriever").
    let entries: [[String]]

    init(entries: [[String]]) { self.entries = entries }

    /// Reads the shipped class list (found by `AssetLocator`).
    static func load() throws -> ImageNetClasses {
        let found = AssetLocator.find("imagenet_classes.json")
        guard let path = found.path else {
            throw CLIError("cannot find imagenet_classes.json for class names (tried \(found.tried.joined(separator: ", "))); set $TITOK_ASSETS or give class numbers")
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CLIError("cannot read \(path): \((error as NSError).localizedDescription)")
        }
        guard let names = try? JSONDecoder().decode([String].self, from: data) else {
            throw CLIError("\(path) is not a JSON array of class names")
        }
        return ImageNetClasses(entries: names.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } })
    }

    /// The display name of class i (its first synonym).
    func name(_ i: Int) -> String { i >= 0 && i < entries.count ? entries[i].first ?? "\(i)" : "\(i)" }

    /// A class given as a number ("207") or a name ("golden retriever", any synonym, any case).
    /// Unknown names suggest close ones; a name of several classes lists them.
    func resolve(_ text: String) throws -> Int {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let n = Int(trimmed) { return n }
        let key = Self.normalized(trimmed)
        guard !key.isEmpty else { throw CLIError("empty --class value") }
        let matches = entries.indices.filter { i in entries[i].contains { Self.normalized($0) == key } }
        if matches.count == 1 { return matches[0] }
        if matches.count > 1 {
            throw CLIError("class name '\(text)' names several classes: "
                           + matches.map { "\($0) (\(entries[$0].joined(separator: ", ")))" }.joined(separator: "; ")
                           + ". Give the number.")
        }
        let suggestions = suggest(key)
        throw CLIError("unknown class name '\(text)'"
                       + (suggestions.isEmpty ? "" : "; did you mean " + suggestions.map { "'\(name($0))' (\($0))" }.joined(separator: ", ") + "?")
                       + " Classes are ImageNet's 1000 names (assets/imagenet_classes.json) or numbers 0-999.")
    }

    /// Up to five classes whose synonyms contain the query, or else are within a small edit distance.
    func suggest(_ key: String) -> [Int] {
        var containing: [Int] = []
        for i in entries.indices where entries[i].contains(where: { Self.normalized($0).contains(key) }) {
            containing.append(i)
        }
        if !containing.isEmpty { return Array(containing.prefix(5)) }
        let limit = max(2, key.count / 3)
        let scored = entries.indices.compactMap { i -> (Int, Int)? in
            let d = entries[i].map { Self.distance(Self.normalized($0), key) }.min() ?? Int.max
            return d <= limit ? (i, d) : nil
        }
        return scored.sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }.prefix(5).map(\.0)
    }

    static func normalized(_ s: String) -> String {
        s.lowercased().replacingOccurrences(of: "_", with: " ").replacingOccurrences(of: "-", with: " ")
            .split(separator: " ").joined(separator: " ")
    }

    /// Levenshtein distance.
    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a.utf8), y = Array(b.utf8)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var previous = Array(0...y.count), current = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            for j in 1...y.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[y.count]
    }
}
