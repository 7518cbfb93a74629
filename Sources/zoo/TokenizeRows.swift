import Foundation
import WeightFormat

/// One line of `zoo tokenize`'s JSON Lines output, written exactly as Python's `json.dumps` writes
/// the same dict (key order path, class_id, crop, tokens|latents; ", " and ": " separators; UTF-8
/// kept, control characters escaped), so other tools can produce byte-identical files.
enum TokenizeRow {
    /// The text of one row, without the newline.
    static func line(path: String, classId: Int?, crop: Int?, tokens: ArraySlice<Int32>) -> String {
        var s = head(path: path, classId: classId, crop: crop)
        s += "\"tokens\": ["
        s += tokens.map { String($0) }.joined(separator: ", ")
        return s + "]}"
    }

    /// A VAE row: latents [C][N], each value as the shortest text that reads back as the same float32.
    static func line(path: String, classId: Int?, crop: Int?, latents: ArraySlice<Float>, channels: Int, tokens n: Int) -> String {
        var s = head(path: path, classId: classId, crop: crop)
        s += "\"latents\": ["
        let base = latents.startIndex
        for c in 0..<channels {
            if c > 0 { s += ", " }
            s += "[" + (0..<n).map { floatText(latents[base + c * n + $0]) }.joined(separator: ", ") + "]"
        }
        return s + "]}"
    }

    private static func head(path: String, classId: Int?, crop: Int?) -> String {
        var s = "{\"path\": " + quoted(path)
        if let classId { s += ", \"class_id\": \(classId)" }
        if let crop { s += ", \"crop\": \(crop)" }
        return s + ", "
    }

    static func floatText(_ x: Float) -> String {
        // Swift prints the shortest round-trip digits; JSON needs no "inf"/"nan" (checked by the caller).
        "\(x)"
    }

    /// A JSON string literal as Python's json.dumps(ensure_ascii=False) writes it.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }

    /// The fields of a row read back from text.
    struct Parsed {
        let path: String
        let crop: Int?
        /// Token count (VQ) or nil.
        let tokenCount: Int?
        /// [C][N] shape of latents (VAE) or nil.
        let latentShape: (Int, Int)?
        let value: JSONValue
    }

    /// Parses one line; nil when it is not a complete row object.
    static func parse(_ line: Substring) -> Parsed? {
        guard let v = try? JSONValue.parse(Data(line.utf8)), let path = v["path"]?.stringValue else { return nil }
        let crop = v["crop"]?.intValue
        if let t = v["tokens"]?.arrayValue {
            return Parsed(path: path, crop: crop, tokenCount: t.count, latentShape: nil, value: v)
        }
        if let l = v["latents"]?.arrayValue {
            return Parsed(path: path, crop: crop, tokenCount: nil, latentShape: (l.count, l.first?.arrayValue?.count ?? 0), value: v)
        }
        return nil
    }

    /// Sort key of the canonical order: path components as UTF-8 bytes, then crop.
    static func precedes(_ a: (path: String, crop: Int?), _ b: (path: String, crop: Int?)) -> Bool {
        let pa = a.path.split(separator: "/", omittingEmptySubsequences: false)
        let pb = b.path.split(separator: "/", omittingEmptySubsequences: false)
        if pa != pb {
            return pa.lexicographicallyPrecedes(pb) { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        }
        return (a.crop ?? -1) < (b.crop ?? -1)
    }
}
