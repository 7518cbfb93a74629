import Foundation

/// Writes NumPy `.npy` files (format 1.0, little-endian, C order).
enum NPYFile {
    static func writeFloat32(_ values: [Float], shape: [Int], to path: String) throws {
        try values.withUnsafeBytes { try write($0, descr: "<f4", count: values.count, shape: shape, to: path) }
    }

    static func writeInt32(_ values: [Int32], shape: [Int], to path: String) throws {
        try values.withUnsafeBytes { try write($0, descr: "<i4", count: values.count, shape: shape, to: path) }
    }

    /// `bytes`: `count` little-endian elements (this is a little-endian platform) of type `descr`.
    private static func write(_ bytes: UnsafeRawBufferPointer, descr: String, count: Int, shape: [Int], to path: String) throws {
        guard shape.reduce(1, *) == count else {
            throw CLIError("internal: .npy shape \(shape) does not hold \(count) values")
        }
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(dims)), }"
        // magic(6) + version(2) + header length(2) + header, padded with spaces to a multiple of 64, ending in \n.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        let len = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(len & 0xFF), UInt8(len >> 8)])
        data.append(contentsOf: Array(header.utf8))
        data.append(contentsOf: bytes)
        do { try data.write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw CLIError("cannot write \(path): \((error as NSError).localizedDescription)")
        }
    }
}
