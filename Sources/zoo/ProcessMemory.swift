import Foundation

/// Memory use of this process, from /proc/self/status.
enum ProcessMemory {
    /// Peak resident set size (VmHWM) in bytes, or nil where /proc is not available.
    static func peakResidentBytes() -> Int? { statusBytes("VmHWM") }

    /// Resident mapped-file pages (RssFile: a weight file's pages used in place, shared with
    /// other processes mapping it) and anonymous memory (RssAnon: packed weights, activations,
    /// scratch) now, in bytes; nil where /proc is not available.
    static func residentSplit() -> (file: Int, anonymous: Int)? {
        guard let file = statusBytes("RssFile"), let anonymous = statusBytes("RssAnon") else { return nil }
        return (file, anonymous)
    }

    private static func statusBytes(_ key: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let kb = Int(fields[1]) { return kb * 1024 }
        }
        return nil
    }
}
