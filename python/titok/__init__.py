"""TiTok Zoo: Python binding of libtitok (1D image tokenizer, arXiv 2406.07550).

    import titok
    with titok.Model("TiTok-L-32-256.tzw") as model:
        tokens = model.encode(images)        # uint8 [B,256,256,3] -> int32 [B,32]
        recon = model.decode(tokens)         # -> uint8 [B,256,256,3]

The library is loaded and checked (ABI version, struct sizes) at import.
"""

from ._library import ABI_VERSION, lib as _lib, library_path
from .errors import (
    FormatError,
    InternalError,
    InvalidArgumentError,
    LibraryNotFoundError,
    OutOfMemoryError,
    TiTokError,
    TiTokIOError,
    UnsupportedError,
)
from .generator import Generator
from .model import Model, ModelInfo, load_image

_lib()  # load now: a missing or mismatched library fails the import with a clear message

__version__ = "1.0.0"


def library_version() -> str:
    """Version string of the loaded libtitok."""
    return _lib().titok_version().decode()


def compute_engine() -> str:
    """Engine running the matrix products: "avx512", "avx2" (same results) or "openblas"."""
    return _lib().titok_compute_engine().decode()


__all__ = [
    "ABI_VERSION",
    "FormatError",
    "Generator",
    "InternalError",
    "InvalidArgumentError",
    "LibraryNotFoundError",
    "Model",
    "ModelInfo",
    "OutOfMemoryError",
    "TiTokError",
    "TiTokIOError",
    "UnsupportedError",
    "compute_engine",
    "library_path",
    "library_version",
    "load_image",
]
