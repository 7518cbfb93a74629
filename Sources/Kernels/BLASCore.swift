import CBLAS
import Foundation

/// Which OpenBLAS kernel set runs our sgemms, chosen once before the first product.
///
/// OpenBLAS picks its kernels from a CPU table at load time. Older releases (Debian 12 ships
/// 0.3.21) do not know AMD Zen 4/5 and run them on the Haswell (AVX2) kernels, about half the
/// sgemm speed of the AVX-512 ones these CPUs execute, and fall back to Prescott (SSE3) on Intel
/// models they do not know (an Emerald Rapids Xeon: 62 GFLOP/s against 312 with SkylakeX, 2
/// threads). When the table chose a set without AVX-512 on a CPU whose kernel reports the AVX-512
/// features OpenBLAS's SkylakeX kernels need, or one older than Haswell on a CPU with AVX2 and
/// FMA, we re-run OpenBLAS's own dynamic selection with that core forced. A user's `OPENBLAS_CORETYPE` is
/// respected; `TITOK_BLAS_CORE=keep` turns the upgrade off and `TITOK_BLAS_CORE=<core>` (an
/// OpenBLAS core name such as `SkylakeX`) forces that set, even over `OPENBLAS_CORETYPE`.
public enum BLASCore {
    /// What was decided, for logs and benchmark reports.
    public struct Selection: Sendable, Equatable {
        /// The kernel set OpenBLAS uses now (its own name, e.g. "SkylakeX"), or "unknown".
        public let core: String
        /// The set OpenBLAS chose by itself, when we replaced it.
        public let replaced: String?
    }

    /// Kernel sets with AVX2 and FMA but not AVX-512 (OpenBLAS's names, lowercased).
    static let avx2Cores: Set<String> = ["haswell", "zen"]
    /// Kernel sets without AVX2 and FMA, among them the ones OpenBLAS falls back to on a CPU it
    /// does not know (OpenBLAS's names, lowercased).
    static let preAVX2Cores: Set<String> = ["prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "sandybridge",
                                            "opteron", "opteron_sse3", "barcelona", "bobcat", "bulldozer", "piledriver"]
    /// CPU flags the Haswell kernels execute.
    static let avx2Flags: Set<String> = ["avx2", "fma"]
    /// CPU flags (as /proc/cpuinfo names them) the SkylakeX kernels execute.
    static let avx512Flags: Set<String> = ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]

    /// The selection, made on first access (thread-safe: Swift runs the initializer once).
    public static let selection: Selection = select()

    /// Makes sure the selection ran; call before the first sgemm.
    @inline(__always)
    public static func ensureSelected() { _ = selection }

    /// The core to force, or nil to keep OpenBLAS's choice. Pure, for tests.
    static func upgrade(current: String, cpuFlags: Set<String>, environment: [String: String]) -> String? {
        if let asked = environment["TITOK_BLAS_CORE"], !asked.isEmpty {
            if asked.lowercased() == "keep" || asked.lowercased() == current.lowercased() { return nil }
            return asked
        }
        if environment["OPENBLAS_CORETYPE"] != nil { return nil }
        let core = current.lowercased()
        let belowAVX512 = avx2Cores.contains(core) || preAVX2Cores.contains(core)
        // The name every OpenBLAS with these kernels accepts (0.3.21 does not take "Cooperlake",
        // whose sgemm is the same); only the bf16 routines, which we do not call, differ.
        if belowAVX512, avx512Flags.isSubset(of: cpuFlags) { return "SkylakeX" }
        if preAVX2Cores.contains(core), avx2Flags.isSubset(of: cpuFlags) { return "Haswell" }
        return nil
    }

    private typealias VoidFunction = @convention(c) () -> Void
    private typealias NameFunction = @convention(c) () -> UnsafeMutablePointer<CChar>?

    private static func select() -> Selection {
        // OpenBLAS always runs single-threaded and our threads split every large product: its
        // thread count is process-global and its threaded sgemm may sum in another order, so
        // results would otherwise depend on what concurrent callers do (and its idle workers
        // spin against ours).
        defer { openblas_set_num_threads(1) }
        let current = coreName()
        let environment = ProcessInfo.processInfo.environment
        guard let target = upgrade(current: current, cpuFlags: cpuFlags(), environment: environment),
              let quit = symbol("gotoblas_dynamic_quit", as: VoidFunction.self),
              let initialize = symbol("gotoblas_dynamic_init", as: VoidFunction.self) else {
            return Selection(core: current, replaced: nil)
        }
        // OpenBLAS reads OPENBLAS_CORETYPE only inside its dynamic init; restore the environment after.
        setenv("OPENBLAS_CORETYPE", target, 1)
        quit()
        initialize()
        unsetenv("OPENBLAS_CORETYPE")
        let now = coreName()
        return Selection(core: now, replaced: now.lowercased() == current.lowercased() ? nil : current)
    }

    /// OpenBLAS's name for its current kernel set ("unknown" for builds without the query).
    static func coreName() -> String {
        guard let get = symbol("openblas_get_corename", as: NameFunction.self), let name = get() else { return "unknown" }
        return String(cString: name)
    }

    /// Looked up at run time: only OpenBLAS builds with runtime CPU dispatch export these.
    private static func symbol<F>(_ name: String, as type: F.Type) -> F? {
        guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(address, to: type)
    }

    /// The first CPU's feature flags as the kernel reports them (it hides what the OS does not enable).
    static func cpuFlags(cpuinfo path: String = "/proc/cpuinfo") -> Set<String> {
        // /proc files report size 0: read until end of file rather than by size.
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        let text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix("flags") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
        }
        return []
    }
}
