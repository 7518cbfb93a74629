import Foundation

/// Where model files are looked for, in order: `--models DIR`, `$TITOK_MODELS`,
/// then `$XDG_CACHE_HOME/titok` (default `~/.cache/titok`). Files are named `<Variant>-<R>.tzw`.
public struct ModelSearchPath: Sendable, Equatable {
    /// The folders to search, first match wins.
    public var directories: [String]

    public init(explicitDirectory: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        var dirs: [String] = []
        if let d = explicitDirectory, !d.isEmpty { dirs.append(d) }
        if let d = environment["TITOK_MODELS"], !d.isEmpty { dirs.append(d) }
        dirs.append(Self.cacheDirectory(environment: environment))
        var seen = Set<String>()
        directories = dirs.filter { seen.insert($0).inserted }
    }

    /// A search path over exactly these folders.
    public init(directories: [String]) { self.directories = directories }

    /// `$XDG_CACHE_HOME/titok`, else `$HOME/.cache/titok`.
    public static func cacheDirectory(environment: [String: String]) -> String {
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            return (xdg as NSString).appendingPathComponent("titok")
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return (home as NSString).appendingPathComponent(".cache/titok")
    }

    /// The file name of a variant's weights: "<Variant>-<R>.tzw".
    public static func fileName(variant: String, resolution: Int) -> String {
        "\(variant)-\(resolution).tzw"
    }

    /// The first existing regular file named for the variant, or nil.
    public func locate(variant: String, resolution: Int) -> String? {
        let name = Self.fileName(variant: variant, resolution: resolution)
        for dir in directories {
            let path = (dir as NSString).appendingPathComponent(name)
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue {
                return path
            }
        }
        return nil
    }
}
