import Foundation

/// Reads the float32 `.npy` files `zoo` writes (for checking them in tests).
enum NPYReader {
    static func float32(path: String) throws -> (shape: [Int], values: [Float]) {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else { throw NPYError.bad("magic") }
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
        guard header.contains("'descr': '<f4'"), header.contains("'fortran_order': False") else { throw NPYError.bad(header) }
        guard let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")") else {
            throw NPYError.bad(header)
        }
        let shape = header[open.upperBound..<close].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard (10 + headerLength) % 64 == 0 else { throw NPYError.bad("data not 64-byte aligned") }
        let body = data.subdata(in: (10 + headerLength)..<data.count)
        let values = body.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        guard values.count == shape.reduce(1, *) else { throw NPYError.bad("count \(values.count) vs shape \(shape)") }
        return (shape, values)
    }

    enum NPYError: Error { case bad(String) }
}
