import Foundation
import XCTest

/// A temporary folder removed when the value goes away.
final class TempDir {
    let path: String
    init() throws {
        path = (NSTemporaryDirectory() as NSString).appendingPathComponent("zootests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Paths inside the package (fixtures, tools, assets), found from this source file.
enum PackagePaths {
    static let root: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
    static func at(_ relative: String) -> String { (root as NSString).appendingPathComponent(relative) }
    static func fixture(_ caseName: String, _ file: String) -> String { at("Tests/Fixtures/titok/\(caseName)/\(file)") }
    static let fixtureCases = ["tiny_legacy_vq_r64_t32", "tiny_legacy_vq_r128_t64", "tiny_vq8k_r64_t16", "tiny_vae_r64_t32"]
}

/// The outcome of one subprocess.
struct ProcessResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs a program with its output captured through files (no pipe deadlocks).
func runProcess(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                currentDirectory: String? = nil) throws -> ProcessResult {
    let scratch = try TempDir()
    let outPath = scratch.file("stdout"), errPath = scratch.file("stderr")
    _ = FileManager.default.createFile(atPath: outPath, contents: nil)
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
    let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    if let environment { p.environment = environment }
    if let currentDirectory { p.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
    p.standardOutput = out
    p.standardError = err
    try p.run()
    p.waitUntilExit()
    try out.close(); try err.close()
    return ProcessResult(status: p.terminationStatus,
                         stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                         stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
}

/// The built `zoo` executable, next to the test bundle in the build products folder.
enum ZooBinary {
    static let path: String? = {
        var candidates: [URL] = []
        for b in Bundle.allBundles {
            candidates.append(b.bundleURL.appendingPathComponent("zoo"))
            candidates.append(b.bundleURL.deletingLastPathComponent().appendingPathComponent("zoo"))
        }
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            let dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
            candidates.append(dir.appendingPathComponent("zoo"))
            candidates.append(dir.deletingLastPathComponent().appendingPathComponent("zoo"))
        }
        return candidates.map(\.path).first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// Runs `zoo` with a clean model search path (an empty $TITOK_MODELS and cache), unless overridden.
    static func run(_ arguments: [String], environment extra: [String: String] = [:], models: String? = nil,
                    file: StaticString = #filePath, line: UInt = #line) throws -> ProcessResult {
        guard let path else {
            XCTFail("the zoo executable is not built next to the tests (run `swift build --build-tests` first)", file: file, line: line)
            throw CLITestError.noBinary
        }
        var env = ProcessInfo.processInfo.environment
        env["TITOK_MODELS"] = models ?? EmptyModels.shared.path
        env["XDG_CACHE_HOME"] = EmptyModels.shared.path
        env["OPENBLAS_NUM_THREADS"] = env["OPENBLAS_NUM_THREADS"] ?? "2"
        for (k, v) in extra { env[k] = v }
        return try runProcess(path, arguments, environment: env)
    }
}

enum CLITestError: Error { case noBinary, conversionFailed(String) }

/// One empty folder used as the model search path of every `zoo` run in the tests.
enum EmptyModels {
    nonisolated(unsafe) static let shared: TempDir = try! TempDir()
}

/// Fixture checkpoints converted once per test run with tools/convert_checkpoint.py.
final class FixtureModels: @unchecked Sendable {
    static let shared = FixtureModels()
    private let lock = NSLock()
    private var converted: [String: String] = [:]
    private let folder: TempDir = try! TempDir()

    /// Path of the `.tzw` converted from `Tests/Fixtures/titok/<caseName>`.
    func path(_ caseName: String) throws -> String {
        lock.lock(); defer { lock.unlock() }
        if let p = converted[caseName] { return p }
        let out = folder.file("\(caseName).tzw")
        let r = try runProcess("/usr/bin/env", ["python3", PackagePaths.at("tools/convert_checkpoint.py"),
                                                 PackagePaths.at("Tests/Fixtures/titok/\(caseName)"), "--out", out, "--quiet"])
        guard r.status == 0 else { throw CLITestError.conversionFailed("convert \(caseName): \(r.stderr)") }
        converted[caseName] = out
        return out
    }
}

extension ProcessResult {
    /// stdout parsed as a JSON object.
    func json(file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        guard let o = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any] else {
            XCTFail("stdout is not a JSON object: \(stdout.prefix(200))", file: file, line: line)
            return [:]
        }
        return o
    }
}
