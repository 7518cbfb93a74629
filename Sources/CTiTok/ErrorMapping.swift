import ImageIO
import ModelZoo
import TiTokVariants
import WeightFormat

/// Maps an error thrown inside the library to the status the C caller sees.
enum ErrorMapping {
    /// `fallback` is used for error types that carry no status of their own: FORMAT while
    /// opening a file (the file was readable, so its content was rejected), INTERNAL elsewhere.
    static func status(of error: Error, fallback: Status) -> Status {
        switch error {
        case let e as ABIError: return e.status
        case let e as ZooError: return status(of: e)
        case let e as ImageIOError: return status(of: e)
        case let e as WeightFormatError: return status(of: e)
        case let e as SafetensorsError:
            if case .io = e { return .io }
            return .format
        case is MetadataError, is TensorLookupError, is TiTokConfigError: return .format
        default: return fallback
        }
    }

    static func status(of error: ZooError) -> Status {
        switch error {
        case .unknownVariant, .unsupportedResolution, .invalidArgument: return .invalidArgument
        case .weightsNotFound: return .io
        case .unknownFamily, .unsupported: return .unsupported
        case .incompatibleWeights: return .format
        }
    }

    static func status(of error: WeightFormatError) -> Status {
        switch error {
        case .io: return .io
        case .unsupportedVersion: return .unsupported
        case .invalidWrite: return .invalidArgument
        default: return .format
        }
    }

    static func status(of error: ImageIOError) -> Status {
        switch error {
        case .unreadable, .encodeFailed: return .io
        case .unsupportedFormat, .corrupt, .badDimensions: return .format
        case .invalidArgument: return .invalidArgument
        }
    }
}

/// Runs one exported call: argument checks and work in `body`, every thrown error turned into a
/// status plus this thread's last-error message prefixed with the function name.
func guarded(_ function: String, fallback: Status = .internalError, _ body: () throws -> Void) -> Int32 {
    do {
        try body()
        return Status.ok.rawValue
    } catch {
        let status = ErrorMapping.status(of: error, fallback: fallback)
        LastError.set("\(function): \(error)")
        return status.rawValue
    }
}
