import Foundation
import Testing
@testable import Kernels

/// The OpenBLAS kernel-set upgrade: when it applies, and that it never overrides the user.
struct BLASCoreTests {
    static let zen5Flags: Set<String> = ["fpu", "avx2", "fma", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "avx512_bf16"]

    @Test func upgradesAVX2CoresOnAVX512CPUs() {
        #expect(BLASCore.upgrade(current: "Haswell", cpuFlags: Self.zen5Flags, environment: [:]) == "SkylakeX")
        #expect(BLASCore.upgrade(current: "zen", cpuFlags: Self.zen5Flags.subtracting(["avx512_bf16"]), environment: [:]) == "SkylakeX")
    }

    /// An Intel model OpenBLAS 0.3.21 does not know falls back to Prescott (seen on an Emerald
    /// Rapids Xeon): AVX-512 flags give SkylakeX, AVX2 and FMA alone Haswell, neither nothing.
    @Test func upgradesFallbackCoresOnUnknownCPUs() {
        #expect(BLASCore.upgrade(current: "Prescott", cpuFlags: Self.zen5Flags, environment: [:]) == "SkylakeX")
        #expect(BLASCore.upgrade(current: "Sandybridge", cpuFlags: ["avx", "avx2", "fma"], environment: [:]) == "Haswell")
        #expect(BLASCore.upgrade(current: "Prescott", cpuFlags: ["sse3", "avx"], environment: [:]) == nil)
        #expect(BLASCore.upgrade(current: "Prescott", cpuFlags: Self.zen5Flags, environment: ["OPENBLAS_CORETYPE": "Prescott"]) == nil)
        // An AVX2 set on an AVX2 CPU is already right.
        #expect(BLASCore.upgrade(current: "Haswell", cpuFlags: ["avx2", "fma"], environment: [:]) == nil)
    }

    @Test func keepsWhatIsAlreadyRightOrCannotRun() {
        // Already an AVX-512 set.
        #expect(BLASCore.upgrade(current: "SkylakeX", cpuFlags: Self.zen5Flags, environment: [:]) == nil)
        #expect(BLASCore.upgrade(current: "cooperlake", cpuFlags: Self.zen5Flags, environment: [:]) == nil)
        // A CPU (or an OS) without the full AVX-512 subset the kernels execute.
        #expect(BLASCore.upgrade(current: "Haswell", cpuFlags: ["avx2", "fma", "avx512f"], environment: [:]) == nil)
        #expect(BLASCore.upgrade(current: "Haswell", cpuFlags: [], environment: [:]) == nil)
    }

    @Test func respectsTheUser() {
        #expect(BLASCore.upgrade(current: "Haswell", cpuFlags: Self.zen5Flags, environment: ["OPENBLAS_CORETYPE": "Haswell"]) == nil)
        #expect(BLASCore.upgrade(current: "Haswell", cpuFlags: Self.zen5Flags, environment: ["TITOK_BLAS_CORE": "keep"]) == nil)
        // An explicit core wins over OPENBLAS_CORETYPE; asking for the current one changes nothing.
        #expect(BLASCore.upgrade(current: "Haswell", cpuFlags: [], environment: ["OPENBLAS_CORETYPE": "Haswell", "TITOK_BLAS_CORE": "SkylakeX"]) == "SkylakeX")
        #expect(BLASCore.upgrade(current: "SkylakeX", cpuFlags: [], environment: ["TITOK_BLAS_CORE": "skylakex"]) == nil)
    }

    @Test func readsCPUFlagsFromCpuinfo() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cpuinfo-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "processor\t: 0\nmodel name\t: Test CPU\nflags\t\t: fpu avx2 avx512f avx512vl\n\nprocessor\t: 1\nflags\t\t: fpu\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        #expect(BLASCore.cpuFlags(cpuinfo: path) == ["fpu", "avx2", "avx512f", "avx512vl"])
        #expect(BLASCore.cpuFlags(cpuinfo: path + ".missing").isEmpty)
    }

    @Test func selectionNamesTheCoreInUse() {
        // After selection OpenBLAS reports the set it runs; a replacement is reported only when it changed.
        let s = BLASCore.selection
        #expect(s.core == BLASCore.coreName())
        if let replaced = s.replaced { #expect(replaced.lowercased() != s.core.lowercased()) }
    }
}
