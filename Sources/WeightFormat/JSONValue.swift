import Foundation

/// A JSON value (metadata blocks, configs). Sendable and Codable, unlike `[String: Any]`.
public enum JSONValue: Sendable, Equatable, Codable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n):
            if n == n.rounded(), abs(n) < 9.0e15 { try c.encode(Int64(n)) } else { try c.encode(n) }
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// Parses UTF-8 JSON text.
    public static func parse(_ data: Data) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// Serialises with sorted keys (stable bytes for the same value).
    public func serialized(pretty: Bool = false) -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return (try? enc.encode(self)) ?? Data("null".utf8)
    }

    public var description: String { String(decoding: serialized(), as: UTF8.self) }

    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    /// Follows a dotted path: `config["model.vq_model.token_size"]`-style lookups.
    public func at(_ path: String) -> JSONValue? {
        var v: JSONValue? = self
        for part in path.split(separator: ".") { v = v?[String(part)] }
        return v
    }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var doubleValue: Double? { if case .number(let n) = self { return n }; return nil }
    public var intValue: Int? {
        if case .number(let n) = self, n == n.rounded(), abs(n) < 9.0e15 { return Int(n) }
        return nil
    }
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    public var objectValue: [String: JSONValue]? { if case .object(let o) = self { return o }; return nil }
}

/// The required part of a weight file's metadata block: which family builds the model,
/// which variant it is, its full architecture config, and where it came from.
public struct ModelMetadata: Sendable, Equatable {
    /// Family name as registered ("titok", "maskgit").
    public var family: String
    /// Variant name ("TiTok-L-32", or a descriptive name for custom sizes).
    public var variant: String
    /// The full architecture config (family-defined keys).
    public var config: JSONValue
    /// Provenance: sources with SHA-256, converter, creation time (free-form object).
    public var provenance: JSONValue
    /// The whole metadata object as stored (includes the fields above and any extra keys).
    public var raw: JSONValue

    public init(family: String, variant: String, config: JSONValue, provenance: JSONValue = .object([:]), extra: [String: JSONValue] = [:]) {
        self.family = family
        self.variant = variant
        self.config = config
        self.provenance = provenance
        var o = extra
        o["family"] = .string(family)
        o["variant"] = .string(variant)
        o["config"] = config
        o["provenance"] = provenance
        self.raw = .object(o)
    }

    /// Reads the required keys out of a metadata object; nil names the missing key.
    public init(raw: JSONValue) throws {
        guard case .object(let o) = raw else { throw MetadataError.notAnObject }
        guard let f = o["family"]?.stringValue, !f.isEmpty else { throw MetadataError.missingKey("family") }
        guard let v = o["variant"]?.stringValue, !v.isEmpty else { throw MetadataError.missingKey("variant") }
        guard let c = o["config"], c.objectValue != nil else { throw MetadataError.missingKey("config") }
        family = f
        variant = v
        config = c
        provenance = o["provenance"] ?? .object([:])
        self.raw = raw
    }
}

/// Problems with the required metadata keys.
public enum MetadataError: Error, CustomStringConvertible, Equatable {
    case notAnObject
    case missingKey(String)

    public var description: String {
        switch self {
        case .notAnObject: return "metadata is not a JSON object"
        case .missingKey(let k): return "metadata lacks the required key '\(k)'"
        }
    }
}
