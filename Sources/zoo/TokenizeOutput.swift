import Foundation

/// What a row of the output must look like for the model and preprocessing of this run.
struct RowShape: Equatable {
    /// Tokens per row (VQ), or nil for VAE models.
    let tokens: Int?
    /// [C, N] of the latents (VAE), or nil.
    let latents: [Int]?
    let cropsPerImage: Int

    func describe() -> String {
        tokens.map { "\($0) tokens" } ?? "latents \(latents?.map(String.init).joined(separator: "x") ?? "?")"
    }
}

/// The JSON Lines output of `zoo tokenize`: resuming an interrupted file, appending rows, merging shards.
enum TokenizeOutput {
    /// Prepares FILE for a (possibly resumed) run: drops a half-written last line and the rows of an
    /// image whose crops were not all written, truncating the file to the last complete image.
    /// Returns the paths already done. Rows of another shape (other model or preprocessing) are an error.
    static func resume(_ path: String, shape: RowShape) throws -> (done: Set<String>, lastDone: String?, dropped: Int) {
        guard FileManager.default.fileExists(atPath: path) else {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw CLIError("cannot create \(path)")
            }
            return ([], nil, 0)
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CLIError("cannot read \(path) to resume it: \((error as NSError).localizedDescription)")
        }
        var done = Set<String>()
        var lastDone: String?
        var keepBytes = 0            // end of the last complete image
        var group: (path: String, count: Int, start: Int)?
        var offset = 0
        var lineNo = 0
        let bytes = [UInt8](data)
        var dropped = 0
        func closeGroup(at end: Int, last: Bool) throws {
            guard let g = group else { return }
            if g.count == shape.cropsPerImage {
                done.insert(g.path); lastDone = g.path; keepBytes = end
            } else if g.count > shape.cropsPerImage || !last {
                throw CLIError("\(path) holds \(g.count) rows for \(g.path), but this run writes \(shape.cropsPerImage) per image: it was made with another --preprocess; write to a new --out")
            } else {
                dropped += g.count   // the image being written when the run stopped: redone
            }
        }
        while offset < bytes.count {
            guard let nl = bytes[offset...].firstIndex(of: 0x0A) else { dropped += 1; break } // half-written line
            lineNo += 1
            let text = String(decoding: bytes[offset..<nl], as: UTF8.self)
            guard let row = TokenizeRow.parse(Substring(text)) else {
                if nl == bytes.count - 1 { dropped += 1; break }  // a damaged last line
                throw CLIError("\(path) line \(lineNo) is not a `zoo tokenize` row; refusing to resume into it (write to a new --out)")
            }
            let rowShape = (row.tokenCount, row.latentShape.map { [$0.0, $0.1] })
            if rowShape.0 != shape.tokens || rowShape.1 != shape.latents {
                throw CLIError("\(path) was written by another model (line \(lineNo) has \(row.tokenCount.map { "\($0) tokens" } ?? "latents"), this model gives \(shape.describe())); write to a new --out")
            }
            if group?.path != row.path {
                try closeGroup(at: offset, last: false)
                if done.contains(row.path) { throw CLIError("\(path) lists \(row.path) twice (line \(lineNo)); it is not one run's output") }
                group = (row.path, 0, offset)
            }
            group!.count += 1
            offset = nl + 1
        }
        try closeGroup(at: offset, last: true)
        if keepBytes < bytes.count {
            do {
                let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
                try h.truncate(atOffset: UInt64(keepBytes))
                try h.close()
            } catch { throw CLIError("cannot truncate \(path): \((error as NSError).localizedDescription)") }
        }
        return (done, lastDone, dropped)
    }

    /// Rewrites FILE with its rows in canonical order (needed only when a resumed run added images
    /// that sort before ones already written).
    static func sortInPlace(_ path: String) throws {
        let lines = try completeLines(of: path, role: "output")
        try writeSorted(lines, to: path)
    }

    /// `--merge`: joins shard files into one file in the canonical order. Identical duplicate rows
    /// are kept once; conflicting ones, or a shard with a cut last line, are errors.
    static func merge(_ shards: [String], into out: String) throws -> Int {
        var all: [(key: (path: String, crop: Int?), text: String)] = []
        var seen: [String: String] = [:]
        for shard in shards {
            for entry in try completeLines(of: shard, role: "shard") {
                let id = "\(entry.key.path)\u{0}\(entry.key.crop ?? -1)"
                if let prior = seen[id] {
                    if prior != entry.text {
                        throw CLIError("\(entry.key.path)\(entry.key.crop.map { " crop \($0)" } ?? "") appears in two shards with different tokens; were they made with the same model and options?")
                    }
                    continue
                }
                seen[id] = entry.text
                all.append(entry)
            }
        }
        try writeSorted(all, to: out)
        return all.count
    }

    private static func completeLines(of path: String, role: String) throws -> [(key: (path: String, crop: Int?), text: String)] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CLIError("cannot read \(role) file \(path): \((error as NSError).localizedDescription)")
        }
        let text = String(decoding: data, as: UTF8.self)
        if !text.isEmpty, !text.hasSuffix("\n") {
            throw CLIError("\(role) file \(path) ends in a cut line: the run that wrote it was interrupted; run it again with the same options to finish it first")
        }
        var out: [(key: (path: String, crop: Int?), text: String)] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            guard let row = TokenizeRow.parse(line) else {
                throw CLIError("\(role) file \(path) line \(i + 1) is not a `zoo tokenize` row")
            }
            out.append(((row.path, row.crop), String(line)))
        }
        return out
    }

    private static func writeSorted(_ rows: [(key: (path: String, crop: Int?), text: String)], to path: String) throws {
        let sorted = rows.enumerated().sorted { a, b in
            if TokenizeRow.precedes(a.element.key, b.element.key) { return true }
            if TokenizeRow.precedes(b.element.key, a.element.key) { return false }
            return a.offset < b.offset
        }
        var text = ""
        text.reserveCapacity(rows.reduce(0) { $0 + $1.text.utf8.count + 1 })
        for r in sorted { text += r.element.text; text += "\n" }
        do { try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw CLIError("cannot write \(path): \((error as NSError).localizedDescription)")
        }
    }
}

/// Appends rows to the output, one image at a time (one write per image, so an interruption cuts at
/// most the image being written).
final class RowWriter {
    private let handle: FileHandle
    let path: String

    init(appendingTo path: String) throws {
        self.path = path
        do {
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.seekToEnd()
        } catch { throw CLIError("cannot open \(path) for writing: \((error as NSError).localizedDescription)") }
    }

    func write(lines: [String]) throws {
        var text = lines.joined(separator: "\n")
        text += "\n"
        do { try handle.write(contentsOf: Data(text.utf8)) } catch {
            throw CLIError("cannot write to \(path): \((error as NSError).localizedDescription)")
        }
    }

    func close() { try? handle.close() }
}
