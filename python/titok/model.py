"""`titok.Model`: an opened TiTok tokenizer (libtitok handle) with numpy in and out."""

from __future__ import annotations

import ctypes
import os
from dataclasses import dataclass
from typing import Optional, Union

import numpy as np

from . import _arrays
from ._handle import NativeHandle
from ._library import KIND_GENERATOR, ModelInfoStruct, c_float_p, c_int32_p, c_uint8_p, check, lib, options
from .errors import InvalidArgumentError

PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class ModelInfo:
    """Shape facts of an opened model (titok_model_info)."""

    variant: str
    resolution: int
    num_tokens: int
    codebook_size: int
    token_dim: int
    is_vae: bool


def _threads(threads: int) -> int:
    if not isinstance(threads, int) or not 0 <= threads < 2**31:
        raise InvalidArgumentError(f"threads must be 0 (all cores) or a positive count; got {threads!r}")
    return threads


def _encode_str(value, what: str) -> bytes:
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise InvalidArgumentError(f"{what} must be a string; got {type(value).__name__}")
    return value.encode("utf-8")


def _resolution(resolution) -> int:
    if not isinstance(resolution, int) or not 0 <= resolution < 2**31:
        raise InvalidArgumentError(f"resolution must be 0 (the variant's default) or a size such as 256; got {resolution!r}")
    return resolution


class Model(NativeHandle):
    """A TiTok tokenizer. Thread-safe: one Model may be used from several threads at once.

    Open with `Model(path)`, `Model.from_variant(name, resolution)` or `Model.random(name, resolution, seed)`;
    close with `close()` or a `with` block.
    """

    _what = "model"

    def _free_handle(self, handle: int) -> None:
        lib().titok_model_free(handle)

    def __init__(self, path: PathLike, *, threads: int = 0):
        handle = ctypes.c_void_p()
        opts = options(_threads(threads))
        check(lib().titok_model_open(_encode_str(path, "path"), ctypes.byref(opts), ctypes.byref(handle)))
        self._adopt(handle)

    @classmethod
    def from_variant(cls, name: str, resolution: int = 0, models_dir: Optional[PathLike] = None, *,
                     threads: int = 0) -> "Model":
        """Opens `<name>-<R>.tzw` from models_dir, or the search path ($TITOK_MODELS, ~/.cache/titok)."""
        handle = ctypes.c_void_p()
        opts = options(_threads(threads))
        folder = None if models_dir is None else _encode_str(models_dir, "models_dir")
        check(lib().titok_model_open_variant(_encode_str(name, "name"), _resolution(resolution), folder,
                                             ctypes.byref(opts), ctypes.byref(handle)))
        return cls._from_handle(handle)

    @classmethod
    def random(cls, name: str, resolution: int = 0, seed: int = 0, *, threads: int = 0) -> "Model":
        """A registered variant with seeded random (untrained) weights: real shapes, meaningless outputs."""
        if not isinstance(seed, int) or not 0 <= seed < 2**64:
            raise InvalidArgumentError(f"seed must be an integer in 0..2**64-1; got {seed!r}")
        handle = ctypes.c_void_p()
        opts = options(_threads(threads))
        check(lib().titok_model_open_random(_encode_str(name, "name"), _resolution(resolution), seed,
                                            ctypes.byref(opts), ctypes.byref(handle)))
        return cls._from_handle(handle)

    @classmethod
    def _from_handle(cls, handle: ctypes.c_void_p) -> "Model":
        model = cls.__new__(cls)
        model._adopt(handle)
        return model

    def _adopt(self, handle: ctypes.c_void_p) -> None:
        self._init_handle(handle.value)
        raw = ModelInfoStruct()
        raw.struct_size = ctypes.sizeof(raw)
        kind = ctypes.c_int(-1)
        try:
            check(lib().titok_model_get_info(self._handle, ctypes.byref(raw)))
            check(lib().titok_model_get_kind(self._handle, ctypes.byref(kind)))
            if kind.value == KIND_GENERATOR:
                raise InvalidArgumentError(f"{raw.variant.decode('utf-8', 'replace')} is a MaskGIT generator, "
                                           "not an image tokenizer; titok.Model opens tokenizers")
        except BaseException:
            self.close()
            raise
        self._info = ModelInfo(raw.variant.decode("utf-8", "replace"), raw.resolution, raw.num_tokens,
                               raw.codebook_size, raw.token_dim, bool(raw.is_vae))

    def __repr__(self) -> str:
        info = getattr(self, "_info", None)
        if info is None:
            return "<titok.Model (not opened)>"
        state = "closed" if self.closed else f"{info.resolution}x{info.resolution}"
        return f"<titok.Model {info.variant} {state}>"


    # -- facts

    @property
    def info(self) -> ModelInfo:
        return self._info

    # -- calls

    def warm_up(self) -> None:
        """Does now what the first encode and decode would do on first use (filters made, weights
        packed, buffers allocated), so the first real call is as fast as the next. Optional."""
        check(lib().titok_model_warm_up(self._live()))

    def encode(self, images) -> np.ndarray:
        """uint8 images [B,R,R,3] or [R,R,3] (or PIL images) -> int32 token ids [B,N]. VQ models only."""
        info = self._info
        batch = _arrays.images_u8(images, info.resolution)
        out = np.empty((batch.shape[0], info.num_tokens), dtype=np.int32)
        check(lib().titok_encode(self._live(), batch.ctypes.data_as(c_uint8_p), batch.shape[0],
                                 out.ctypes.data_as(c_int32_p)))
        return out

    def decode(self, tokens) -> np.ndarray:
        """Token ids [B,N] or [N] -> uint8 images [B,R,R,3] (clamped, x255, truncated). VQ models only."""
        info = self._info
        if info.is_vae:
            raise InvalidArgumentError(f"{info.variant} is a VAE tokenizer with continuous latents, not token ids; "
                                       "use decode_latents")
        ids = _arrays.tokens_i32(tokens, info.num_tokens, info.codebook_size)
        r = info.resolution
        out = np.empty((ids.shape[0], r, r, 3), dtype=np.uint8)
        check(lib().titok_decode(self._live(), ids.ctypes.data_as(c_int32_p), ids.shape[0],
                                 out.ctypes.data_as(c_uint8_p)))
        return out

    def encode_latents(self, pixels) -> np.ndarray:
        """Planar float pixels [B,3,R,R] or [3,R,R] in [0,1] -> float32 latents [B,C,N]
        (VQ: the quantized codebook vectors; VAE: the posterior mean)."""
        info = self._info
        r = info.resolution
        x = _arrays.floats(pixels, (3, r, r), "pixels")
        out = np.empty((x.shape[0], info.token_dim, info.num_tokens), dtype=np.float32)
        check(lib().titok_encode_latents(self._live(), x.ctypes.data_as(c_float_p), x.shape[0],
                                         out.ctypes.data_as(c_float_p)))
        return out

    def decode_latents(self, latents) -> np.ndarray:
        """Latents [B,C,N] or [C,N] -> float32 pixels [B,3,R,R] (unclamped)."""
        info = self._info
        z = _arrays.floats(latents, (info.token_dim, info.num_tokens), "latents")
        r = info.resolution
        out = np.empty((z.shape[0], 3, r, r), dtype=np.float32)
        check(lib().titok_decode_latents(self._live(), z.ctypes.data_as(c_float_p), z.shape[0],
                                         out.ctypes.data_as(c_float_p)))
        return out


def load_image(path: PathLike, resolution: int) -> np.ndarray:
    """Reads a PNG/JPEG and fits it to uint8 [R,R,3] as the reference evaluates (shorter side resized
    bicubic to R, centre crop)."""
    if not isinstance(resolution, int) or resolution <= 0:
        raise InvalidArgumentError(f"resolution must be a positive size such as 256; got {resolution!r}")
    out = np.empty((resolution, resolution, 3), dtype=np.uint8)
    check(lib().titok_image_load_rgb(_encode_str(path, "path"), resolution, out.ctypes.data_as(c_uint8_p)))
    return out
