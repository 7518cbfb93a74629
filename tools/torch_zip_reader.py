"""Reads `torch.save` checkpoints (the zip format: `<archive>/data.pkl` plus one
`<archive>/data/<key>` entry per storage) without torch and without running pickle code.

The pickle goes through `SafeUnpickler`, which resolves only an allow-list of globals (the
tensor rebuild functions, the storage types, `collections.OrderedDict`) to harmless local
stand-ins; any other global is refused with an error naming it, before anything is called.
Tensors come back as lazy `SourceTensor`s honouring storage offset, size and strides.
"""

from __future__ import annotations

import _compat_pickle
import collections
import io
import os
import pickle
import zipfile

import numpy as np

from checkpoint_types import ConversionError, SourceTensor

# torch storage class name -> (.tzw dtype or unsupported name, element size, numpy storage type)
STORAGE_TYPES = {
    "FloatStorage": ("f32", 4, "<f4"),
    "HalfStorage": ("f16", 2, "<f2"),
    "BFloat16Storage": ("bf16", 2, "<u2"),
    "DoubleStorage": ("f64", 8, "<f8"),
    "IntStorage": ("i32", 4, "<i4"),
    "LongStorage": ("i64", 8, "<i8"),
    "ByteStorage": ("u8", 1, "u1"),
    "CharStorage": ("int8", 1, "i1"),
    "ShortStorage": ("int16", 2, "<i2"),
    "BoolStorage": ("bool", 1, "u1"),
    "UntypedStorage": ("u8", 1, "u1"),
}


class UnsafePickleError(ConversionError):
    """The pickle references a global outside the allow-list."""


class StorageType:
    """Stand-in for a torch storage class (only its element type matters)."""
    __slots__ = ("name", "dtype", "size", "numpy")

    def __init__(self, name: str):
        self.name = name
        self.dtype, self.size, self.numpy = STORAGE_TYPES[name]


class StorageRef:
    """A storage named by a persistent id: its element type, zip key and element count."""
    __slots__ = ("type", "key", "numel")

    def __init__(self, storage_type: StorageType, key: str, numel: int):
        self.type, self.key, self.numel = storage_type, key, numel


class TensorRef:
    """A tensor as `_rebuild_tensor_v2` describes it: a view into a storage."""
    __slots__ = ("storage", "offset", "size", "stride")

    def __init__(self, storage: StorageRef, offset: int, size: tuple, stride: tuple):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride


def _ints(value, what: str) -> tuple[int, ...]:
    if not isinstance(value, (tuple, list)) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise ConversionError(f"damaged checkpoint: tensor {what} is not a tuple of integers")
    return tuple(value)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None,
                       metadata=None):
    if not isinstance(storage, StorageRef):
        raise ConversionError("damaged checkpoint: a tensor is not backed by a storage")
    if not isinstance(storage_offset, int) or storage_offset < 0:
        raise ConversionError("damaged checkpoint: bad storage offset")
    size, stride = _ints(size, "size"), _ints(stride, "stride")
    if len(size) != len(stride):
        raise ConversionError("damaged checkpoint: tensor size and stride differ in length")
    return TensorRef(storage, storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad=False, backward_hooks=None, state=None):
    if not isinstance(data, TensorRef):
        raise ConversionError("damaged checkpoint: a parameter does not wrap a tensor")
    return data


# (module, name) -> the stand-in the unpickler hands out instead of the real global
ALLOWED_GLOBALS = {
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("collections", "OrderedDict"): collections.OrderedDict,
    **{("torch", name): StorageType(name) for name in STORAGE_TYPES if name != "UntypedStorage"},
    ("torch.storage", "UntypedStorage"): StorageType("UntypedStorage"),
    ("torch", "UntypedStorage"): StorageType("UntypedStorage"),
}


class SafeUnpickler(pickle.Unpickler):
    """An unpickler that resolves only `ALLOWED_GLOBALS` and typed-storage persistent ids."""

    def find_class(self, module, name):
        # Python 2 names (protocol < 3 pickles) as the standard unpickler would map them, so the
        # refusal names what would really be loaded (`__builtin__.eval` is builtins.eval).
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
        target = ALLOWED_GLOBALS.get((module, name))
        if target is None:
            raise UnsafePickleError(f"refusing to load: the pickle references {module}.{name}")
        return target

    def persistent_load(self, pid):
        if (not isinstance(pid, tuple) or len(pid) != 5 or pid[0] != "storage"
                or not isinstance(pid[1], StorageType) or not isinstance(pid[2], str)
                or not isinstance(pid[4], int) or pid[4] < 0):
            raise UnsafePickleError(f"refusing to load: unsupported persistent id {_short(pid)}")
        return StorageRef(pid[1], pid[2], pid[4])


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def read_torch_zip(path: str | os.PathLike) -> dict[str, SourceTensor]:
    """The tensors of a torch.save zip checkpoint (a state dict, possibly nested under
    "state_dict" or "model"), in pickle order."""
    path = os.fspath(path)
    file = os.path.basename(path)
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ConversionError(f"{file}: not a torch.save zip archive (damaged, or the legacy "
                              "pre-1.6 format, which is not supported)") from None
    except OSError as e:
        raise ConversionError(f"cannot read {path}: {e.strerror or e}") from None
    names = archive.namelist()
    pickles = [n for n in names if n.endswith("/data.pkl") and n.count("/") == 1]
    if len(pickles) != 1:
        raise ConversionError(f"{file}: expected one <archive>/data.pkl entry, found {len(pickles)}")
    prefix = pickles[0][: -len("data.pkl")]
    byteorder = prefix + "byteorder"
    if byteorder in names and _read(archive, byteorder, file).strip() != b"little":
        raise ConversionError(f"{file}: big-endian checkpoints are not supported")
    try:
        obj = SafeUnpickler(io.BytesIO(_read(archive, pickles[0], file))).load()
    except ConversionError:
        raise
    except Exception as e:  # any malformed pickle: truncated stream, bad opcode, wrong arity...
        raise ConversionError(f"{file}: damaged pickle ({type(e).__name__}: {e})") from None
    state = _state_dict(obj, file)
    return {key: _source_tensor(archive, prefix, file, key, ref) for key, ref in state.items()}


def _read(archive: zipfile.ZipFile, entry: str, file: str, expected: int | None = None) -> bytes:
    """An entry's bytes; with `expected`, exactly that many, checked against the entry's declared
    size first, so a forged entry cannot make us inflate more than the tensor needs."""
    try:
        if expected is None:
            return archive.read(entry)
        declared = archive.getinfo(entry).file_size
        if declared < expected:
            raise ConversionError(f"{file}: storage {entry} holds {declared} bytes, expected {expected}")
        with archive.open(entry) as handle:
            data = handle.read(expected)
        if len(data) != expected:
            raise ConversionError(f"{file}: storage {entry} is truncated")
        return data
    except KeyError:
        raise ConversionError(f"{file}: missing zip entry {entry}") from None
    except ConversionError:
        raise
    except Exception as e:  # BadZipFile (bad CRC), EOFError, zlib.error from a corrupt deflate stream...
        raise ConversionError(f"{file}: damaged zip entry {entry} ({e})") from None


def _state_dict(obj, file: str) -> dict:
    for _ in range(3):
        if isinstance(obj, dict) and not any(isinstance(v, TensorRef) for v in obj.values()):
            nested = [k for k in ("state_dict", "model") if isinstance(obj.get(k), dict)]
            if nested:
                obj = obj[nested[0]]
                continue
        break
    if not isinstance(obj, dict):
        raise ConversionError(f"{file}: the pickle holds a {type(obj).__name__}, not a state dict")
    tensors = {}
    for key, value in obj.items():
        if not isinstance(key, str):
            raise ConversionError(f"{file}: state dict key {_short(key)} is not a string")
        if isinstance(value, TensorRef):
            tensors[key] = value
    if not tensors:
        raise ConversionError(f"{file}: no tensors found in the checkpoint")
    return tensors


def _source_tensor(archive: zipfile.ZipFile, prefix: str, file: str, key: str, ref: TensorRef) -> SourceTensor:
    storage = ref.storage
    kind = storage.type
    entry = f"{prefix}data/{storage.key}"
    numel = 1
    for d in ref.size:
        if d < 0:
            raise ConversionError(f"{file}: tensor {key} has a negative dimension")
        numel *= d
    if numel > 0:
        if any(s < 0 for s in ref.stride):
            raise ConversionError(f"{file}: tensor {key} has a negative stride")
        last = ref.offset + sum((d - 1) * s for d, s in zip(ref.size, ref.stride))
        if last >= storage.numel:
            raise ConversionError(f"{file}: tensor {key} reaches element {last} of a storage of {storage.numel}")

    def load() -> np.ndarray:
        if numel == 0:
            return np.zeros(ref.size, dtype=kind.numpy)
        data = _read(archive, entry, file, storage.numel * kind.size)
        flat = np.frombuffer(data, dtype=kind.numpy, count=storage.numel)
        view = np.lib.stride_tricks.as_strided(
            flat[ref.offset:], shape=ref.size, strides=tuple(s * kind.size for s in ref.stride),
            writeable=False)
        return np.ascontiguousarray(view)

    return SourceTensor(key, kind.dtype, tuple(ref.size), load)
