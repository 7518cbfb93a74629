import Foundation

/// Finds the shipped `assets/` folder: `$TITOK_ASSETS`, then upwards from the executable
/// (`.build/release/zoo` inside the package), then the package this file was built from.
enum AssetLocator {
    /// The default photo of `zoo run`.
    static let defaultImage = "images/ILSVRC2012_val_00008636.png"

    /// Path of `relative` inside the assets folder, or nil with the places tried.
    static func find(_ relative: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> (path: String?, tried: [String]) {
        var roots: [String] = []
        if let dir = environment["TITOK_ASSETS"], !dir.isEmpty { roots.append(dir) }
        var dir = URL(fileURLWithPath: CommandLine.arguments.first.map(executablePath) ?? ".").deletingLastPathComponent()
        for _ in 0..<6 {
            roots.append(dir.appendingPathComponent("assets").path)
            dir.deleteLastPathComponent()
        }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        roots.append(packageRoot.appendingPathComponent("assets").path)
        var tried: [String] = []
        for root in roots {
            let p = (root as NSString).appendingPathComponent(relative)
            if tried.contains(p) { continue }
            tried.append(p)
            if FileManager.default.fileExists(atPath: p) { return (p, tried) }
        }
        return (nil, tried)
    }

    /// The running executable's real path (follows /proc/self/exe on Linux).
    private static func executablePath(_ argv0: String) -> String {
        if let real = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return real }
        return argv0
    }
}
