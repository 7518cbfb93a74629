import ArgumentParser
import Foundation
import ModelCatalog
import ModelZoo
import WeightFormat

/// `zoo info`: what a weight file holds.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Describe a .tzw weight file.",
        discussion: """
            Prints the model family and variant, the architecture config and provenance, the \
            number of tensors per dtype and encoding, raw and stored sizes with the compression \
            ratio, and how the file's variant relates to the registry. The header and tensor table \
            are validated; tensor data is not read (see `zoo verify`).
            """)

    @Argument(help: ArgumentHelp("A .tzw weight file.", valueName: "FILE"))
    var file: String

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() throws {
        let weights = try WeightFileOpening.open(file)
        let summary = weights.summary
        let registered = try? ModelCatalog.registry.variant(named: summary.variant)
        let familyKnown = ModelCatalog.registry.family(named: summary.family) != nil
        if json {
            let data = try JSONValue.parse(try Self.encoder.encode(summary))
            guard case .object(var o) = data else { throw CLIError("internal: summary is not an object") }
            o["family_registered"] = .bool(familyKnown)
            o["registered_variant"] = registered.map { .string($0.name) } ?? .null
            print(Formatting.json(.object(o)))
            return
        }
        print(summary.text)
        print("sizes:       \(Formatting.bytes(summary.fileSize)) on disk, \(Formatting.count(summary.parameters)) parameters")
        if !familyKnown {
            print("registry:    family '\(summary.family)' is not in this build (known: \(ModelCatalog.registry.families.map(\.name).joined(separator: ", ")))")
        } else if let v = registered {
            print("registry:    \(v.name): \(v.summary)")
        } else {
            print("registry:    custom model (variant '\(summary.variant)' is not registered; it loads from its own config)")
        }
    }

    static var encoder: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }
}

/// Opens a weight file for `info`/`verify`, with errors that name the file.
enum WeightFileOpening {
    static func open(_ path: String) throws -> WeightFile {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw CLIError("no such file: \(path)") }
        guard !isDir.boolValue else { throw CLIError("\(path) is a folder, not a .tzw file") }
        do { return try WeightFile(path: path) } catch let e as WeightFormatError {
            if case .io = e { throw CLIError("\(e)") }
            throw CLIError("\(path): \(e)")
        }
    }
}
