#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bytes of a weight file: a read-only shared memory map of a file, or a 64-byte-aligned
/// heap copy of bytes given in memory. Released when the last owner goes.
final class FileBytes: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer
    private let mapped: Bool

    /// Maps `path` read-only (PROT_READ, MAP_SHARED), advised MADV_HUGEPAGE: where the page
    /// cache holds the file in 2 MiB folios (Linux reads it so through such a map), the weights
    /// used in place are mapped 2 MiB at a time, one TLB entry each instead of 512 (encode and
    /// decode stream every weight once per call). Tensors given back: `releasePages`.
    init(mapping path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw WeightFormatError.io(path: path, reason: Self.errnoText()) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw WeightFormatError.io(path: path, reason: Self.errnoText()) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw WeightFormatError.io(path: path, reason: "not a regular file") }
        let size = Int(info.st_size)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            mapped = false
            return
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0), base != MAP_FAILED else {
            throw WeightFormatError.io(path: path, reason: "mmap failed: \(Self.errnoText())")
        }
        #if os(Linux)
        _ = madvise(base, size, Int32(MADV_HUGEPAGE))
        #endif
        bytes = UnsafeRawBufferPointer(start: base, count: size)
        mapped = true
    }

    /// Drops the resident pages wholly inside `range` (a part of `bytes`) from this process's
    /// memory: a later read faults them back in from the page cache or the file, unchanged.
    /// Those pages are first advised MADV_NOHUGEPAGE, which makes them a mapping of their own:
    /// Linux maps a large folio whole (2 MiB) only inside one mapping, so reading a neighbouring
    /// tensor then maps its own pages, not the given-back ones sharing its folio.
    /// Does nothing for heap copies (whose pages hold the only copy).
    func releasePages(_ range: UnsafeRawBufferPointer) {
        guard mapped, let base = bytes.baseAddress, let start = range.baseAddress, range.count > 0,
              start >= base, start + range.count <= base + bytes.count else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let lo = (Int(bitPattern: start) + page - 1) / page * page
        let hi = (Int(bitPattern: start) + range.count) / page * page
        guard hi > lo, let p = UnsafeMutableRawPointer(bitPattern: lo) else { return }
        #if os(Linux)
        _ = madvise(p, hi - lo, Int32(MADV_NOHUGEPAGE))
        #endif
        _ = madvise(p, hi - lo, Int32(MADV_DONTNEED))
    }

    /// Copies `source` into 64-byte-aligned memory (so raw f32 tensors can be used in place).
    init(copying source: UnsafeRawBufferPointer) {
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(source.count, 1), alignment: 64)
        if source.count > 0 { storage.copyMemory(from: source) }
        bytes = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(storage)[0..<source.count])
        mapped = false
    }

    deinit {
        guard let base = bytes.baseAddress else { return }
        if mapped {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        } else {
            UnsafeMutableRawPointer(mutating: base).deallocate()
        }
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
