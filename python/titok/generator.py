"""titok.Generator: class-conditional token generation with a MaskGIT generator (libtitok's generation calls).

    with titok.Generator("MaskGIT-TiTok-L-32-256.tzw") as gen, titok.Model("TiTok-L-32-256.tzw") as tok:
        tokens = gen.generate([207, 360], seed=0)            # int32 [2, 32]
        images = gen.generate_images([207, 360], tok, seed=0)  # uint8 [2, 256, 256, 3]
"""

from __future__ import annotations

import ctypes
import os
import threading
from typing import Optional, Sequence, Union

import numpy as np

from ._handle import NativeHandle
from ._library import Options, check, lib
from .errors import InvalidArgumentError, LibraryNotFoundError
from .model import Model

PathLike = Union[str, "os.PathLike[str]"]
DECAYS = {"constant": 0, "linear": 1, "power-cosine": 2}


class GenerateParams(ctypes.Structure):
    """titok_generate_params (include/titok.h), version 1."""

    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("steps", ctypes.c_int32),
        ("guidance_scale", ctypes.c_double),
        ("guidance_decay", ctypes.c_int32),
        ("softmax_temperature_annealing", ctypes.c_int32),
        ("randomize_temperature", ctypes.c_double),
        ("seed", ctypes.c_uint64),
    ]


_declared = False
_declare_lock = threading.Lock()


def _lib() -> ctypes.CDLL:
    """The library with the generation calls declared (once) and the params struct size checked."""
    global _declared
    library = lib()
    with _declare_lock:
        if not _declared:
            p, status = ctypes.c_void_p, ctypes.c_int
            i32p = ctypes.POINTER(ctypes.c_int32)
            signatures = {
                "titok_generate_params_default": (None, [ctypes.POINTER(GenerateParams)]),
                "titok_sizeof_generate_params": (ctypes.c_size_t, []),
                "titok_generator_open": (status, [ctypes.c_char_p, ctypes.POINTER(Options), ctypes.POINTER(p)]),
                "titok_generator_open_random": (status, [ctypes.c_char_p, ctypes.c_uint64, ctypes.POINTER(Options),
                                                         ctypes.POINTER(p)]),
                "titok_generator_get_info": (status, [p, i32p, i32p, i32p]),
                "titok_generator_get_params": (status, [p, ctypes.POINTER(GenerateParams)]),
                "titok_generate": (status, [p, p, i32p, ctypes.c_size_t, ctypes.POINTER(GenerateParams), i32p]),
                "titok_generator_free": (None, [p]),
            }
            try:
                for name, (restype, argtypes) in signatures.items():
                    function = getattr(library, name)
                    function.restype, function.argtypes = restype, argtypes
            except AttributeError as exc:
                raise LibraryNotFoundError(f"libtitok lacks a generation function: {exc}") from None
            native = library.titok_sizeof_generate_params()
            if native != ctypes.sizeof(GenerateParams):
                raise LibraryNotFoundError(f"sizeof(titok_generate_params) is {native} in the library but "
                                           f"{ctypes.sizeof(GenerateParams)} in this binding")
            _declared = True
    return library


def _options(threads: int) -> Options:
    if not isinstance(threads, int) or threads < 0:
        raise InvalidArgumentError(f"threads must be an integer >= 0; got {threads!r}")
    opts = Options()
    lib().titok_options_default(ctypes.byref(opts))
    opts.num_threads = threads
    return opts


class Generator(NativeHandle):
    """A MaskGIT generator. Thread-safe. Open with `Generator(path)` or `Generator.random(variant, seed)`."""

    _what = "generator"

    def _free_handle(self, handle: int) -> None:
        _lib().titok_generator_free(handle)

    def __init__(self, path: PathLike, *, threads: int = 0):
        handle = ctypes.c_void_p()
        opts = _options(threads)
        check(_lib().titok_generator_open(os.fsencode(path), ctypes.byref(opts), ctypes.byref(handle)))
        self._adopt(handle)

    @classmethod
    def random(cls, name: str, seed: int = 0, *, threads: int = 0) -> "Generator":
        """A registered generator variant with seeded random (untrained) weights."""
        if not isinstance(seed, int) or not 0 <= seed < 2**64:
            raise InvalidArgumentError(f"seed must be an integer in 0..2**64-1; got {seed!r}")
        handle = ctypes.c_void_p()
        opts = _options(threads)
        check(_lib().titok_generator_open_random(name.encode(), seed, ctypes.byref(opts), ctypes.byref(handle)))
        generator = cls.__new__(cls)
        generator._adopt(handle)
        return generator

    def _adopt(self, handle: ctypes.c_void_p) -> None:
        self._init_handle(handle.value)
        n, k, m = ctypes.c_int32(), ctypes.c_int32(), ctypes.c_int32()
        try:
            check(_lib().titok_generator_get_info(self._handle, ctypes.byref(n), ctypes.byref(k), ctypes.byref(m)))
        except BaseException:
            self.close()
            raise
        self.num_tokens, self.codebook_size, self.num_classes = n.value, k.value, m.value

    def default_params(self) -> dict:
        """The generator's own sampling settings (the paper's)."""
        raw = GenerateParams()
        check(_lib().titok_generator_get_params(self._live(), ctypes.byref(raw)))
        names = {v: k for k, v in DECAYS.items()}
        return {"steps": raw.steps, "guidance_scale": raw.guidance_scale,
                "guidance_decay": names.get(raw.guidance_decay, "constant"),
                "randomize_temperature": raw.randomize_temperature,
                "softmax_temperature_annealing": bool(raw.softmax_temperature_annealing)}

    def generate(self, labels: Sequence[int], *, seed: int = 0, steps: Optional[int] = None,
                 guidance_scale: Optional[float] = None, guidance_decay: Optional[str] = None,
                 randomize_temperature: Optional[float] = None,
                 softmax_temperature_annealing: Optional[bool] = None,
                 tokenizer: Optional[Model] = None) -> np.ndarray:
        """Token ids int32 [len(labels), N]; settings left None take the generator's defaults.
        `tokenizer`, when given, is checked to decode these tokens."""
        ids = np.ascontiguousarray(np.asarray(labels, dtype=np.int64).reshape(-1))
        if ids.size == 0:
            raise InvalidArgumentError("labels is empty")
        if ids.min() < 0 or ids.max() >= self.num_classes:
            raise InvalidArgumentError(f"labels must be classes 0..{self.num_classes - 1}")
        ids = ids.astype(np.int32)
        if not isinstance(seed, int) or not 0 <= seed < 2**64:
            raise InvalidArgumentError(f"seed must be an integer in 0..2**64-1; got {seed!r}")
        params = GenerateParams()
        check(_lib().titok_generator_get_params(self._live(), ctypes.byref(params)))
        params.seed = seed
        if steps is not None:
            params.steps = int(steps)
        if guidance_scale is not None:
            params.guidance_scale = float(guidance_scale)
        if guidance_decay is not None:
            if guidance_decay not in DECAYS:
                raise InvalidArgumentError(f"guidance_decay must be one of {', '.join(DECAYS)}; got {guidance_decay!r}")
            params.guidance_decay = DECAYS[guidance_decay]
        if randomize_temperature is not None:
            params.randomize_temperature = float(randomize_temperature)
        if softmax_temperature_annealing is not None:
            params.softmax_temperature_annealing = 1 if softmax_temperature_annealing else 0
        out = np.zeros((ids.size, self.num_tokens), dtype=np.int32)
        i32p = ctypes.POINTER(ctypes.c_int32)
        tok = None if tokenizer is None else tokenizer._live()
        check(_lib().titok_generate(self._live(), tok, ids.ctypes.data_as(i32p), ids.size, ctypes.byref(params),
                                    out.ctypes.data_as(i32p)))
        return out

    def generate_images(self, labels: Sequence[int], tokenizer: Model, **settings) -> np.ndarray:
        """Generated tokens decoded by `tokenizer`: uint8 [len(labels), R, R, 3]."""
        return tokenizer.decode(self.generate(labels, tokenizer=tokenizer, **settings))

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{self.num_tokens} tokens, {self.num_classes} classes"
        return f"<titok.Generator {state}>"
