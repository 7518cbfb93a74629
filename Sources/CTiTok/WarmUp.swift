import ModelZoo

/// Makes now what a tokenizer makes on first use (one encode and decode of a synthetic image).
@_cdecl("titok_model_warm_up")
public func titok_model_warm_up(_ model: UnsafeMutableRawPointer?) -> Int32 {
    guarded("titok_model_warm_up") {
        try LiveHandles.lookup(model).tokenizer(for: "titok_model_warm_up").warmUp()
    }
}
