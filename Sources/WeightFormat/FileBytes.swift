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

    /// Maps `path` read-only (PROT_READ, MAP_SHARED), page by page: advised MADV_NOHUGEPAGE so
    /// that a page cache holding the file in 2 MiB folios does not map a whole folio when a small
    /// tensor is read, bringing back the pages of a neighbour given back after packing.
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
        _ = madvise(base, size, Int32(MADV_NOHUGEPAGE))
        #endif
        bytes = UnsafeRawBufferPointer(start: base, count: size)
        mapped = true
    }

    /// Drops the resident pages wholly inside `range` (a part of `bytes`) from this process's
    /// memory: a later read faults them back in from the page cache or the file, unchanged.
    /// Does nothing for heap copies (whose pages hold the only copy).
    func releasePages(_ range: UnsafeRawBufferPointer) {
        guard mapped, let base = bytes.baseAddress, let start = range.baseAddress, range.count > 0,
              start >= base, start + range.count <= base + bytes.count else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let lo = (Int(bitPattern: start) + page - 1) / page * page
        let hi = (Int(bitPattern: start) + range.count) / page * page
        guard hi > lo, let p = UnsafeMutableRawPointer(bitPattern: lo) else { return }
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
