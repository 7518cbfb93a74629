import ModelZoo

/// Encode/decode calls that return per-stage times when the model reports them,
/// else a single stage timed around the call.
enum TimedCalls {
    static func encode(_ t: ImageTokenizer, pixels: [Float], batch: Int) throws -> (TokenizerEncoding, StageTimes, Double) {
        try pixels.withUnsafeBufferPointer { buf in
            let ((e, stages), ms): ((TokenizerEncoding, StageTimes?), Double) = try Stopwatch.measure {
                if let timed = t as? any StageTimedTokenizer {
                    let (e, s) = try timed.encodeTimed(pixels: buf, batch: batch)
                    return (e, s)
                }
                return (try t.encode(pixels: buf, batch: batch), nil)
            }
            return (e, stages ?? [("encode", ms)], ms)
        }
    }

    /// Decodes the encoding's tokens (VQ) or latents (VAE).
    static func decode(_ t: ImageTokenizer, encoding: TokenizerEncoding, batch: Int) throws -> ([Float], StageTimes, Double) {
        let ((pixels, stages), ms): (([Float], StageTimes?), Double) = try Stopwatch.measure {
            let timed = t as? any StageTimedTokenizer
            if let tokens = encoding.tokens {
                return try tokens.withUnsafeBufferPointer { buf in
                    if let timed { let (p, s) = try timed.decodeTimed(tokens: buf, batch: batch); return (p, s) }
                    return (try t.decode(tokens: buf, batch: batch), nil)
                }
            }
            return try encoding.latents.withUnsafeBufferPointer { buf in
                if let timed { let (p, s) = try timed.decodeTimed(latents: buf, batch: batch); return (p, s) }
                return (try t.decode(latents: buf, batch: batch), nil)
            }
        }
        return (pixels, stages ?? [("decode", ms)], ms)
    }
}
