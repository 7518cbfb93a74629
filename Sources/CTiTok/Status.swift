#if canImport(Glibc)
import Glibc
#endif
import Kernels

/// The `titok_status` values of include/titok.h.
enum Status: Int32, CaseIterable {
    case ok = 0
    case invalidArgument = 1
    case io = 2
    case format = 3
    case unsupported = 4
    case outOfMemory = 5
    case internalError = 6

    /// The enumerator's name in the header.
    var name: String {
        switch self {
        case .ok: return "TITOK_OK"
        case .invalidArgument: return "TITOK_E_INVALID_ARGUMENT"
        case .io: return "TITOK_E_IO"
        case .format: return "TITOK_E_FORMAT"
        case .unsupported: return "TITOK_E_UNSUPPORTED"
        case .outOfMemory: return "TITOK_E_OUT_OF_MEMORY"
        case .internalError: return "TITOK_E_INTERNAL"
        }
    }
}

/// An error raised inside the ABI layer itself, carrying the status it maps to.
struct ABIError: Error, CustomStringConvertible {
    let status: Status
    let message: String
    var description: String { message }

    static func invalid(_ message: String) -> ABIError { ABIError(status: .invalidArgument, message: message) }
}

/// C strings that live as long as the process (version, engine, status names).
enum StaticCStrings {
    nonisolated(unsafe) static let version: UnsafePointer<CChar> = make("1.0.0")
    nonisolated(unsafe) static let computeEngine: UnsafePointer<CChar> = make(VectorGEMM.engine)
    nonisolated(unsafe) static let unknownStatus: UnsafePointer<CChar> = make("TITOK_E_UNKNOWN")
    nonisolated(unsafe) static let statusNames: [Int32: UnsafePointer<CChar>] =
        Dictionary(uniqueKeysWithValues: Status.allCases.map { ($0.rawValue, make($0.name)) })

    private static func make(_ s: String) -> UnsafePointer<CChar> { UnsafePointer(strdup(s)!) }
}

/// A short static name for a status value.
@_cdecl("titok_status_string")
public func titok_status_string(_ status: Int32) -> UnsafePointer<CChar> {
    StaticCStrings.statusNames[status] ?? StaticCStrings.unknownStatus
}
