import Foundation
import ModelZoo
import WeightFormat

/// The token JSON of `zoo encode --json` / `zoo decode`:
/// `{"model": NAME, "resolution": R, "tokens": [[id, ...], ...]}` for VQ models,
/// `{"model": NAME, "resolution": R, "latents": [[[x, ...] x C] x B]}` ([B][C][N]) for VAE models.
enum TokenFile {
    /// What a token file holds.
    enum Payload {
        /// [B][N] ids.
        case tokens([[Int]])
        /// [B][C][N] values.
        case latents([[[Float]]])
    }

    /// JSON text for an encoding of `batch` images by a model with `info`.
    static func json(model: String, info: TokenizerInfo, encoding: TokenizerEncoding, batch: Int) throws -> String {
        var out = "{\"model\": \(quoted(model)), \"resolution\": \(info.resolution), "
        let n = info.numTokens
        if let tokens = encoding.tokens {
            out += "\"tokens\": ["
            for b in 0..<batch {
                if b > 0 { out += ", " }
                out += "[" + tokens[(b * n)..<((b + 1) * n)].map { String($0) }.joined(separator: ", ") + "]"
            }
        } else {
            let c = info.tokenDim
            guard encoding.latents.allSatisfy(\.isFinite) else { throw CLIError("the model produced non-finite latents") }
            out += "\"latents\": ["
            for b in 0..<batch {
                if b > 0 { out += ", " }
                out += "["
                for ch in 0..<c {
                    if ch > 0 { out += ", " }
                    let start = (b * c + ch) * n
                    out += "[" + encoding.latents[start..<(start + n)].map { "\($0)" }.joined(separator: ", ") + "]"
                }
                out += "]"
            }
        }
        return out + "]}"
    }

    private static func quoted(_ s: String) -> String {
        String(decoding: JSONValue.string(s).serialized(), as: UTF8.self)
    }

    /// Reads a token file: its model name (if any) and payload; errors say what is wrong and where.
    static func read(path: String) throws -> (model: String?, payload: Payload) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CLIError("cannot read \(path): \((error as NSError).localizedDescription)")
        }
        let root: JSONValue
        do { root = try JSONValue.parse(data) } catch {
            throw CLIError("\(path) is not valid JSON")
        }
        guard root.objectValue != nil else { throw CLIError("\(path): expected a JSON object with \"tokens\" or \"latents\"") }
        let model = root["model"]?.stringValue
        if let t = root["tokens"] {
            guard let images = t.arrayValue else { throw CLIError("\(path): \"tokens\" must be an array of arrays of ids") }
            var out: [[Int]] = []
            for (b, image) in images.enumerated() {
                guard let ids = image.arrayValue else { throw CLIError("\(path): tokens[\(b)] is not an array of ids") }
                out.append(try ids.enumerated().map { i, v in
                    guard let id = v.intValue else { throw CLIError("\(path): tokens[\(b)][\(i)] is not an integer") }
                    return id
                })
            }
            return (model, .tokens(out))
        }
        if let l = root["latents"] {
            guard let images = l.arrayValue else { throw CLIError("\(path): \"latents\" must be a [B][C][N] array of numbers") }
            var out: [[[Float]]] = []
            for (b, image) in images.enumerated() {
                guard let channels = image.arrayValue else { throw CLIError("\(path): latents[\(b)] is not a [C][N] array") }
                out.append(try channels.enumerated().map { c, row in
                    guard let values = row.arrayValue else { throw CLIError("\(path): latents[\(b)][\(c)] is not an array of numbers") }
                    return try values.enumerated().map { i, v in
                        guard let x = v.doubleValue, x.isFinite else { throw CLIError("\(path): latents[\(b)][\(c)][\(i)] is not a finite number") }
                        return Float(x)
                    }
                })
            }
            return (model, .latents(out))
        }
        throw CLIError("\(path) has neither \"tokens\" nor \"latents\"")
    }
}
