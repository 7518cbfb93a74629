/// Errors of the registry and the models, each with a message meant for the user.
public enum ZooError: Error, CustomStringConvertible, Equatable {
    /// A variant name the registry does not know; `suggestions` are the closest known names.
    case unknownVariant(String, suggestions: [String])
    /// A variant exists but not at this resolution.
    case unsupportedResolution(variant: String, resolution: Int, supported: [Int])
    /// No weight file for the variant on the search path; `hint` says how to get one.
    case weightsNotFound(variant: String, resolution: Int, searched: [String], hint: String)
    /// A weight file whose metadata names a family that is not registered.
    case unknownFamily(String, known: [String])
    /// Bad input to a model call (wrong sizes, out-of-range tokens, wrong kind of model).
    case invalidArgument(String)
    /// A weight file that does not fit the model it claims to be (config vs tensor shapes).
    case incompatibleWeights(String)
    /// Something this build or this model cannot do.
    case unsupported(String)

    public var description: String {
        switch self {
        case .unknownVariant(let n, let s):
            return s.isEmpty ? "unknown model '\(n)'" : "unknown model '\(n)'; did you mean \(s.map { "'\($0)'" }.joined(separator: ", "))?"
        case .unsupportedResolution(let v, let r, let s):
            return "\(v) is not registered at resolution \(r) (available: \(s.map(String.init).joined(separator: ", ")))"
        case .weightsNotFound(let v, let r, let searched, let hint):
            return "no weights for \(v) at \(r)x\(r) (searched: \(searched.joined(separator: ", "))). \(hint)"
        case .unknownFamily(let f, let known):
            return "the weight file is for model family '\(f)', which this build does not know (known: \(known.joined(separator: ", ")))"
        case .invalidArgument(let m): return m
        case .incompatibleWeights(let m): return "weights do not fit the model: \(m)"
        case .unsupported(let m): return m
        }
    }
}
