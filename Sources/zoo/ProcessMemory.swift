import Foundation

/// Memory use of this process, from /proc/self/status and /proc/self/smaps_rollup.
enum ProcessMemory {
    /// Peak resident set size (VmHWM) in bytes, or nil where /proc is not available.
    static func peakResidentBytes() -> Int? { statusBytes(["VmHWM"]).first }

    /// Resident mapped-file pages (RssFile: a weight file's pages used in place, shared with
    /// other processes mapping it) and anonymous memory (RssAnon: packed weights, activations,
    /// scratch) now, in bytes; nil where /proc is not available.
    static func residentSplit() -> (file: Int, anonymous: Int)? {
        let values = statusBytes(["RssFile", "RssAnon"])
        return values.count == 2 ? (values[0], values[1]) : nil
    }

    /// Of those, the bytes mapped in 2 MiB pages (transparent huge pages), from
    /// /proc/self/smaps_rollup: file pages (FilePmdMapped: the weight file's pages where the
    /// page cache holds them in 2 MiB folios) and anonymous (AnonHugePages); nil where absent.
    static func hugePageSplit() -> (file: Int, anonymous: Int)? {
        let values = statusBytes(["FilePmdMapped", "AnonHugePages"], in: "/proc/self/smaps_rollup")
        return values.count == 2 ? (values[0], values[1]) : nil
    }

    /// A note for the end of a run when most of the resident weight-file pages are mapped 4 KiB
    /// at a time (the page cache holds `file` in small pages), saying how to let the next run
    /// read it in 2 MiB pages; nil otherwise, or where /proc does not say.
    /// (Resident file pages count the program's own too, hence the 64 MiB floor; nothing is said
    /// where transparent huge pages are off or the model came from no file.)
    static func smallPagesNote(file: String) -> String? {
        guard FileManager.default.fileExists(atPath: file), !hugePagesOff,
              let split = residentSplit(), let huge = hugePageSplit(), split.file >= 64 << 20, huge.file < split.file / 2 else {
            return nil
        }
        return "note: most weight pages are mapped 4 KiB at a time (the page cache holds the file in small pages);"
            + " dropping it from the cache (`dd if=\(file) iflag=nocache count=0`) lets the next run read it in 2 MiB"
            + " pages, about 10 % faster for ViT-L weights (docs/BENCHMARKS.md)"
    }

    /// Whether transparent huge pages are switched off ("[never]") on this system.
    private static var hugePagesOff: Bool {
        let setting = try? String(contentsOfFile: "/sys/kernel/mm/transparent_hugepage/enabled", encoding: .utf8)
        return setting?.contains("[never]") ?? true
    }

    /// The "Key:  N kB" values of `keys` in `path` (read once), in bytes and in the keys' order;
    /// empty when the file or any key is missing.
    private static func statusBytes(_ keys: [String], in path: String = "/proc/self/status") -> [Int] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        var found: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, fields[0].hasSuffix(":"), let kb = Int(fields[1]) else { continue }
            let key = String(fields[0].dropLast())
            if keys.contains(key), found[key] == nil { found[key] = kb * 1024 }
        }
        let values = keys.compactMap { found[$0] }
        return values.count == keys.count ? values : []
    }
}
