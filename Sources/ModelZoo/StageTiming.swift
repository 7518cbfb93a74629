import Foundation

/// A tokenizer that can report the wall time of each stage of a call (encoder, quantizer, decoder,
/// pixel decoder, ...). Optional: `zoo run` and `zoo bench` show per-stage times when a model adopts it.
public protocol StageTimedTokenizer: ImageTokenizer {
    /// `encode`, plus the time of each stage in milliseconds, in order.
    func encodeTimed(pixels: UnsafeBufferPointer<Float>, batch: Int) throws -> (TokenizerEncoding, StageTimes)
    /// `decode(tokens:)`, plus the time of each stage in milliseconds, in order.
    func decodeTimed(tokens: UnsafeBufferPointer<Int32>, batch: Int) throws -> ([Float], StageTimes)
    /// `decode(latents:)`, plus the time of each stage in milliseconds, in order.
    func decodeTimed(latents: UnsafeBufferPointer<Float>, batch: Int) throws -> ([Float], StageTimes)
}

/// Monotonic wall-clock timing in milliseconds.
public enum Stopwatch {
    /// Runs `body` and returns its result with the elapsed milliseconds.
    public static func measure<T>(_ body: () throws -> T) rethrows -> (T, Double) {
        let start = DispatchTime.now().uptimeNanoseconds
        let value = try body()
        let end = DispatchTime.now().uptimeNanoseconds
        return (value, Double(end &- start) / 1e6)
    }
}
