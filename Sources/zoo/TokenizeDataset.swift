import Foundation

/// One image of a dataset folder: its path relative to the root and, in the ImageFolder layout,
/// the index of its class.
struct DatasetEntry: Sendable, Equatable {
    /// Relative path with "/" separators, e.g. "n01440764/img_001.JPEG".
    let relativePath: String
    let classId: Int?
}

/// The images under a folder in the canonical order of `zoo tokenize`.
///
/// Files ending in .png, .jpg or .jpeg (any case) are collected recursively, following no symbolic
/// links to folders. When the root holds sub-folders, it is read as an ImageFolder: each top-level
/// sub-folder is a class, classes numbered in sorted order (as torchvision's `ImageFolder`);
/// images directly in the root then have no class. The order is by path components, compared as
/// UTF-8 bytes, which is deterministic on every machine.
struct Dataset {
    let root: String
    let classes: [String]
    let entries: [DatasetEntry]

    static let imageExtensions: Set<String> = ["png", "jpg", "jpeg"]

    static func scan(_ root: String) throws -> Dataset {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else {
            throw CLIError("\(root) is not a folder")
        }
        let rootURL = URL(fileURLWithPath: root, isDirectory: true)
        var files: [[String]] = []
        try collect(rootURL, components: [], into: &files)
        files.sort { a, b in a.lexicographicallyPrecedes(b) { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) } }
        let classes = Set(files.filter { $0.count > 1 }.map { $0[0] })
            .sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        let classIndex = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        let entries = files.map { parts in
            DatasetEntry(relativePath: parts.joined(separator: "/"),
                         classId: parts.count > 1 ? classIndex[parts[0]] : nil)
        }
        return Dataset(root: root, classes: classes, entries: entries)
    }

    private static func collect(_ dir: URL, components: [String], into files: inout [[String]]) throws {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: dir.path) } catch {
            throw CLIError("cannot list \(dir.path): \((error as NSError).localizedDescription)")
        }
        for name in names where !name.hasPrefix(".") {
            let url = dir.appendingPathComponent(name)
            let values = try? url.resourceValues(forKeys: [.isDirectoryKey, .isSymbolicLinkKey])
            if values?.isDirectory == true, values?.isSymbolicLink != true {
                try collect(url, components: components + [name], into: &files)
            } else if imageExtensions.contains((name as NSString).pathExtension.lowercased()) {
                files.append(components + [name])
            }
        }
    }

    /// Absolute (or root-relative) path of an entry.
    func path(of entry: DatasetEntry) -> String {
        (root as NSString).appendingPathComponent(entry.relativePath)
    }
}

/// `--shard I/N`: every N-th image of the sorted list, starting at I.
struct ShardSpec: Equatable, CustomStringConvertible {
    let index: Int
    let count: Int

    /// Parses "I/N" with 0 <= I < N.
    init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 0, i < n else {
            throw CLIError("--shard takes I/N with 0 <= I < N (e.g. 0/4), got '\(text)'")
        }
        index = i
        count = n
    }

    func select<T>(_ items: [T]) -> [T] {
        stride(from: index, to: items.count, by: count).map { items[$0] }
    }

    var description: String { "\(index)/\(count)" }
}
