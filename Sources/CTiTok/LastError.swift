#if canImport(Glibc)
import Glibc
#endif

/// The per-thread message of the last failed call, kept in malloc'd C strings owned by the
/// library: a thread's string is replaced by its next failure and freed when the thread exits.
enum LastError {
    /// The pthread key; its destructor frees a thread's message at thread exit.
    private static let key: pthread_key_t? = {
        var key = pthread_key_t()
        let rc = pthread_key_create(&key) { pointer in free(pointer) }
        return rc == 0 ? key : nil
    }()

    nonisolated(unsafe) private static let empty: UnsafePointer<CChar> = UnsafePointer(strdup("")!)
    nonisolated(unsafe) private static let noStorage: UnsafePointer<CChar> =
        UnsafePointer(strdup("titok: could not allocate thread-local storage for error messages")!)

    /// Replaces this thread's message.
    static func set(_ message: String) {
        guard let key else { return }
        let old = pthread_getspecific(key)
        guard let copy = strdup(message) else { return }
        if pthread_setspecific(key, copy) == 0 {
            free(old)
        } else {
            free(copy)
        }
    }

    /// This thread's message, or "" if no call failed on it yet.
    static var current: UnsafePointer<CChar> {
        guard let key else { return noStorage }
        guard let raw = pthread_getspecific(key) else { return empty }
        return UnsafePointer(raw.assumingMemoryBound(to: CChar.self))
    }
}

/// Message of the last failed call on this thread.
@_cdecl("titok_last_error")
public func titok_last_error() -> UnsafePointer<CChar> { LastError.current }
