/// ABI version of include/titok.h this library implements.
@_cdecl("titok_abi_version")
public func titok_abi_version() -> UInt32 { 1 }
