#if canImport(Glibc)
import Glibc
#endif
import ModelCatalog
import ModelZoo

/// Shared steps of the titok_model_open* calls.
enum Opening {
    /// A non-NULL C string argument as a Swift string.
    static func string(_ pointer: UnsafePointer<CChar>?, _ name: String) throws -> String {
        guard let pointer else { throw ABIError.invalid("\(name) is NULL") }
        let s = String(cString: pointer)
        guard !s.isEmpty else { throw ABIError.invalid("\(name) is empty") }
        return s
    }

    /// 0 = the variant's default resolution; negative values are rejected.
    static func resolution(_ r: Int32) throws -> Int? {
        guard r >= 0 else { throw ABIError.invalid("resolution is \(r); use 0 for the variant's default or a size such as 256") }
        return r == 0 ? nil : Int(r)
    }

    /// Builds a model with `make` and stores a new handle in `*out` (left NULL on failure).
    static func open(into out: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                     _ make: () throws -> LoadedModel) throws {
        guard let out else { throw ABIError.invalid("out is NULL") }
        out.pointee = nil
        let model = try make()
        out.pointee = LiveHandles.register(ModelHandle(model))
    }

    /// Opens a weight file through the registry; errors about the file's content name the file.
    static func openFile(_ path: String, options: LoadOptions) throws -> LoadedModel {
        try checkReadableFile(path)
        do {
            return try ModelCatalog.registry.open(path: path, options: options)
        } catch {
            let status = ErrorMapping.status(of: error, fallback: .format)
            let text = "\(error)"
            throw ABIError(status: status, message: text.contains(path) ? text : "'\(path)': \(text)")
        }
    }

    /// A readable regular file, or an IO error that says what is wrong with the path.
    static func checkReadableFile(_ path: String) throws {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw ABIError(status: .io, message: "cannot open '\(path)': \(String(cString: strerror(errno)))")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw ABIError(status: .io, message: "cannot open '\(path)': not a regular file")
        }
        guard access(path, R_OK) == 0 else {
            throw ABIError(status: .io, message: "cannot open '\(path)': \(String(cString: strerror(errno)))")
        }
    }
}

/// Fills *opts with the defaults. NULL is a no-op.
@_cdecl("titok_options_default")
public func titok_options_default(_ opts: UnsafeMutableRawPointer?) {
    guard let opts else { return }
    OptionsLayout.writeDefaults(opts)
}

/// Opens a .tzw weight file.
@_cdecl("titok_model_open")
public func titok_model_open(_ path: UnsafePointer<CChar>?, _ opts: UnsafeRawPointer?,
                             _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Int32 {
    guarded("titok_model_open", fallback: .format) {
        out?.pointee = nil
        let file = try Opening.string(path, "path")
        let options = try OptionsLayout.read(opts)
        try Opening.open(into: out) { try Opening.openFile(file, options: options) }
    }
}

/// Opens a registered variant from a models folder or the search path.
@_cdecl("titok_model_open_variant")
public func titok_model_open_variant(_ variant: UnsafePointer<CChar>?, _ resolution: Int32,
                                     _ modelsDir: UnsafePointer<CChar>?, _ opts: UnsafeRawPointer?,
                                     _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Int32 {
    guarded("titok_model_open_variant", fallback: .format) {
        out?.pointee = nil
        let name = try Opening.string(variant, "variant")
        let r = try Opening.resolution(resolution)
        let dir = try modelsDir.map { _ in try Opening.string(modelsDir, "models_dir") }
        let options = try OptionsLayout.read(opts)
        let search = ModelSearchPath(explicitDirectory: dir)
        try Opening.open(into: out) {
            let file = try ModelCatalog.registry.locate(variant: name, resolution: r, models: search)
            return try Opening.openFile(file, options: options)
        }
    }
}

/// Builds a registered variant with seeded random weights.
@_cdecl("titok_model_open_random")
public func titok_model_open_random(_ variant: UnsafePointer<CChar>?, _ resolution: Int32, _ seed: UInt64,
                                    _ opts: UnsafeRawPointer?,
                                    _ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Int32 {
    guarded("titok_model_open_random") {
        out?.pointee = nil
        let name = try Opening.string(variant, "variant")
        let r = try Opening.resolution(resolution)
        let options = try OptionsLayout.read(opts)
        try Opening.open(into: out) {
            try ModelCatalog.registry.randomModel(variant: name, resolution: r, seed: seed, options: options)
        }
    }
}
