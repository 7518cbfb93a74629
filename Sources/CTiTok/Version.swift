/// ABI version of include/titok.h this library implements.
@_cdecl("titok_abi_version")
public func titok_abi_version() -> UInt32 { 1 }

/// Library version, as a static C string.
@_cdecl("titok_version")
public func titok_version() -> UnsafePointer<CChar> { StaticCStrings.version }

/// The matrix product engine of this process ("avx512", "avx2" or "openblas"), as a static C string.
@_cdecl("titok_compute_engine")
public func titok_compute_engine() -> UnsafePointer<CChar> { StaticCStrings.computeEngine }

/// sizeof(titok_options) of this build, for bindings that mirror the struct.
@_cdecl("titok_sizeof_options")
public func titok_sizeof_options() -> Int { OptionsLayout.size }

/// sizeof(titok_model_info) of this build, for bindings that mirror the struct.
@_cdecl("titok_sizeof_model_info")
public func titok_sizeof_model_info() -> Int { ModelInfoLayout.size }
