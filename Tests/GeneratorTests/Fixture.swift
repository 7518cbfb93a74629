import Foundation
import MaskGITGenerators
import WeightFormat

/// The generator fixtures of `Tests/Fixtures/generator/<case>/`.
struct Fixture {
    let name: String
    let directory: URL
    let config: MaskGITConfig

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func generator(_ name: String) throws -> Fixture {
        let dir = root.appendingPathComponent("generator").appendingPathComponent(name)
        let json = try JSONValue.parse(Data(contentsOf: dir.appendingPathComponent("config.json")))
        return Fixture(name: name, directory: dir, config: try MaskGITConfig(referenceConfig: json))
    }

    /// The tokenizer fixture both generator fixtures pair with.
    static var tokenizerDirectory: URL { root.appendingPathComponent("titok").appendingPathComponent("tiny_legacy_vq_r64_t32") }

    func file(_ name: String) -> String { directory.appendingPathComponent(name).path }
}
