"""Builds torch.save-style zip checkpoints without torch, for the reader tests: stand-in `torch`
modules make the pickler emit the same GLOBALs and persistent ids that torch writes."""

from __future__ import annotations

import collections
import contextlib
import io
import pickle
import sys
import types
import zipfile

import numpy as np

_STORAGE_NAMES = {"<f4": "FloatStorage", "<f2": "HalfStorage", "<f8": "DoubleStorage", "<i8": "LongStorage",
                  "<i4": "IntStorage", "|u1": "ByteStorage", "<i2": "ShortStorage"}


@contextlib.contextmanager
def fake_torch():
    """Installs stand-in `torch` and `torch._utils` modules while pickling."""
    saved = {k: sys.modules.get(k) for k in ("torch", "torch._utils")}
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):  # never called: only its name is pickled
        raise AssertionError

    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    torch._utils = utils
    for name in _STORAGE_NAMES.values():
        setattr(torch, name, type(name, (), {"__module__": "torch"}))
    sys.modules["torch"], sys.modules["torch._utils"] = torch, utils
    try:
        yield torch
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v


class Storage:
    def __init__(self, key: str, data: np.ndarray):
        self.key, self.data = key, np.ascontiguousarray(data).reshape(-1)


class TensorView:
    """A tensor as torch pickles it: storage, offset, size, stride (in elements)."""

    def __init__(self, storage: Storage, offset: int, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)

    def __reduce__(self):
        rebuild = sys.modules["torch._utils"]._rebuild_tensor_v2
        return (rebuild, (self.storage, self.offset, self.size, self.stride, False, collections.OrderedDict()))


def contiguous(storage: Storage, shape) -> TensorView:
    strides, step = [], 1
    for d in reversed(shape):
        strides.insert(0, step)
        step *= d
    return TensorView(storage, 0, shape, strides)


class _Pickler(pickle.Pickler):
    def __init__(self, file, torch):
        super().__init__(file, protocol=2)
        self.torch = torch

    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            cls = getattr(self.torch, _STORAGE_NAMES[obj.data.dtype.str])
            return ("storage", cls, obj.key, "cpu", obj.data.size)
        return None


def write_checkpoint(path, obj, storages, archive: str = "archive", compress: bool = False) -> None:
    """Writes `obj` (state dict etc. holding TensorViews / Storages) as a torch-style zip."""
    with fake_torch() as torch:
        buffer = io.BytesIO()
        _Pickler(buffer, torch).dump(obj)
    mode = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w", mode) as z:
        z.writestr(f"{archive}/data.pkl", buffer.getvalue())
        z.writestr(f"{archive}/byteorder", "little")
        for s in storages:
            z.writestr(f"{archive}/data/{s.key}", s.data.tobytes())


def write_raw_pickle(path, payload: bytes, archive: str = "archive") -> None:
    """A zip whose data.pkl is the given pickle bytes."""
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(f"{archive}/data.pkl", payload)
        z.writestr(f"{archive}/byteorder", "little")
