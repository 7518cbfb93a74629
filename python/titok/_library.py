"""Finding and loading libtitok.so, declaring its functions, and checking that it matches this binding.

Search order: $TITOK_LIBRARY (a file path), libtitok.so next to this package, then the repository's
build folders (.build/release, .build/debug; the newer wins).
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path
from typing import Optional

from .errors import BY_STATUS, InternalError, LibraryNotFoundError

ABI_VERSION = 1
KIND_TOKENIZER, KIND_GENERATOR = 0, 1  # titok_model_kind
LIBRARY_NAME = "libtitok.so"

c_int32_p = ctypes.POINTER(ctypes.c_int32)
c_uint8_p = ctypes.POINTER(ctypes.c_uint8)
c_float_p = ctypes.POINTER(ctypes.c_float)


class Options(ctypes.Structure):
    """titok_options (include/titok.h), version 1."""

    _fields_ = [("struct_size", ctypes.c_uint32), ("num_threads", ctypes.c_int32)]


class ModelInfoStruct(ctypes.Structure):
    """titok_model_info (include/titok.h), version 1."""

    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("variant", ctypes.c_char * 64),
        ("resolution", ctypes.c_int32),
        ("num_tokens", ctypes.c_int32),
        ("codebook_size", ctypes.c_int32),
        ("token_dim", ctypes.c_int32),
        ("is_vae", ctypes.c_int32),
    ]


def candidate_paths() -> list[Path]:
    """Where the library is looked for, in order."""
    env = os.environ.get("TITOK_LIBRARY")
    if env:
        return [Path(env)]
    here = Path(__file__).resolve().parent
    paths = [here / LIBRARY_NAME]
    repo = here.parent.parent
    built = [repo / ".build" / config / LIBRARY_NAME for config in ("release", "debug")]
    built = [p for p in built if p.is_file()]
    built.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return paths + built


def _declare(lib: ctypes.CDLL) -> None:
    model_p = ctypes.c_void_p
    status = ctypes.c_int
    signatures = {
        "titok_options_default": (None, [ctypes.POINTER(Options)]),
        "titok_version": (ctypes.c_char_p, []),
        "titok_compute_engine": (ctypes.c_char_p, []),
        "titok_abi_version": (ctypes.c_uint32, []),
        "titok_sizeof_options": (ctypes.c_size_t, []),
        "titok_sizeof_model_info": (ctypes.c_size_t, []),
        "titok_status_string": (ctypes.c_char_p, [ctypes.c_int]),
        "titok_last_error": (ctypes.c_char_p, []),
        "titok_model_open": (status, [ctypes.c_char_p, ctypes.POINTER(Options), ctypes.POINTER(model_p)]),
        "titok_model_open_variant": (status, [ctypes.c_char_p, ctypes.c_int32, ctypes.c_char_p,
                                              ctypes.POINTER(Options), ctypes.POINTER(model_p)]),
        "titok_model_open_random": (status, [ctypes.c_char_p, ctypes.c_int32, ctypes.c_uint64,
                                             ctypes.POINTER(Options), ctypes.POINTER(model_p)]),
        "titok_model_free": (None, [model_p]),
        "titok_model_warm_up": (status, [model_p]),
        "titok_model_get_kind": (status, [model_p, ctypes.POINTER(ctypes.c_int)]),
        "titok_model_get_info": (status, [model_p, ctypes.POINTER(ModelInfoStruct)]),
        "titok_encode": (status, [model_p, c_uint8_p, ctypes.c_size_t, c_int32_p]),
        "titok_decode": (status, [model_p, c_int32_p, ctypes.c_size_t, c_uint8_p]),
        "titok_encode_latents": (status, [model_p, c_float_p, ctypes.c_size_t, c_float_p]),
        "titok_decode_latents": (status, [model_p, c_float_p, ctypes.c_size_t, c_float_p]),
        "titok_image_load_rgb": (status, [ctypes.c_char_p, ctypes.c_int32, c_uint8_p]),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes


def check_compatible(lib: ctypes.CDLL, path: str) -> None:
    """Raises LibraryNotFoundError when the library's ABI version or struct sizes differ from ours."""
    abi = lib.titok_abi_version()
    if abi != ABI_VERSION:
        raise LibraryNotFoundError(f"{path} implements titok ABI {abi}; this binding needs ABI {ABI_VERSION}")
    for name, struct in (("titok_options", Options), ("titok_model_info", ModelInfoStruct)):
        native = getattr(lib, f"titok_sizeof_{name[len('titok_'):]}")()
        if native != ctypes.sizeof(struct):
            raise LibraryNotFoundError(
                f"{path}: sizeof({name}) is {native} in the library but {ctypes.sizeof(struct)} in this binding")


def load(paths: Optional[list[Path]] = None) -> tuple[ctypes.CDLL, str]:
    """Loads, declares and checks the first library found."""
    tried = []
    for path in paths if paths is not None else candidate_paths():
        if not path.is_file():
            tried.append(f"{path} (absent)")
            continue
        try:
            lib = ctypes.CDLL(str(path))
        except OSError as exc:
            tried.append(f"{path} ({exc})")
            continue
        try:
            _declare(lib)
        except AttributeError as exc:
            raise LibraryNotFoundError(f"{path} lacks a titok function: {exc}") from None
        check_compatible(lib, str(path))
        return lib, str(path)
    raise LibraryNotFoundError(
        "libtitok.so not found (build it with `swift build --product titok`, or set $TITOK_LIBRARY); tried: "
        + "; ".join(tried))


_lib: Optional[ctypes.CDLL] = None
_path = ""


def lib() -> ctypes.CDLL:
    """The loaded library (loaded on first use)."""
    global _lib, _path
    if _lib is None:
        _lib, _path = load()
    return _lib


def library_path() -> str:
    lib()
    return _path


def check(status: int) -> None:
    """Raises the TiTokError subclass for a non-zero status, with this thread's library message."""
    if status == 0:
        return
    library = lib()
    message = (library.titok_last_error() or b"").decode("utf-8", "replace")
    name = (library.titok_status_string(status) or b"").decode()
    raise BY_STATUS.get(status, InternalError)(message or name, name)


def options(threads: int) -> Options:
    opts = Options()
    lib().titok_options_default(ctypes.byref(opts))
    opts.num_threads = threads
    return opts
