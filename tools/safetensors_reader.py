"""Reads .safetensors files without the safetensors package: a little-endian u64 header length,
that many bytes of JSON, then the tensor buffer. Every offset is checked against the file."""

from __future__ import annotations

import json
import mmap
import os
import struct

import numpy as np

from checkpoint_types import ConversionError, SourceTensor

MAX_HEADER = 100 * 1024 * 1024

# safetensors dtype -> (.tzw dtype name or unsupported name, element size, numpy storage type)
_DTYPES = {
    "F32": ("f32", 4, "<f4"), "F16": ("f16", 2, "<f2"), "BF16": ("bf16", 2, "<u2"),
    "F64": ("f64", 8, "<f8"), "I32": ("i32", 4, "<i4"), "I64": ("i64", 8, "<i8"),
    "U8": ("u8", 1, "u1"), "I8": ("int8", 1, "i1"), "I16": ("int16", 2, "<i2"),
    "U16": ("uint16", 2, "<u2"), "U32": ("uint32", 4, "<u4"), "U64": ("uint64", 8, "<u8"),
    "BOOL": ("bool", 1, "u1"),
}


def read_safetensors(path: str | os.PathLike) -> dict[str, SourceTensor]:
    """The tensors of a .safetensors file, in file order, backed by a read-only memory map."""
    path = os.fspath(path)
    name = os.path.basename(path)
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size < 8:
                raise ConversionError(f"{name}: too short for a safetensors file ({size} bytes)")
            (header_len,) = struct.unpack("<Q", f.read(8))
            if header_len > MAX_HEADER or 8 + header_len > size:
                raise ConversionError(f"{name}: header length {header_len} does not fit the file ({size} bytes)")
            try:
                header = json.loads(f.read(header_len).decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as e:
                raise ConversionError(f"{name}: header is not valid JSON ({e})") from None
            buffer = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size > 0 else b""
    except OSError as e:
        raise ConversionError(f"cannot read {path}: {e.strerror or e}") from None
    if not isinstance(header, dict):
        raise ConversionError(f"{name}: header is not a JSON object")
    base = 8 + header_len
    tensors: dict[str, SourceTensor] = {}
    for key, info in header.items():
        if key == "__metadata__":
            continue
        tensors[key] = _tensor(name, key, info, buffer, base, size)
    return tensors


def _tensor(file: str, key: str, info, buffer, base: int, size: int) -> SourceTensor:
    try:
        dtype, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
    except (TypeError, KeyError, ValueError):
        raise ConversionError(f"{file}: malformed entry for tensor {key!r}") from None
    if dtype not in _DTYPES:
        raise ConversionError(f"{file}: tensor {key} has unknown dtype {dtype!r}")
    if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise ConversionError(f"{file}: tensor {key} has a bad shape {shape!r}")
    our_name, element_size, storage = _DTYPES[dtype]
    numel = 1
    for d in shape:
        numel *= d
    if not (isinstance(begin, int) and isinstance(end, int) and 0 <= begin <= end):
        raise ConversionError(f"{file}: tensor {key} has bad data offsets")
    if end - begin != numel * element_size:
        raise ConversionError(f"{file}: tensor {key} holds {end - begin} bytes, its shape needs {numel * element_size}")
    if base + end > size:
        raise ConversionError(f"{file}: tensor {key} runs past the end of the file (truncated?)")

    def load():
        return np.frombuffer(buffer, dtype=storage, count=numel, offset=base + begin).reshape(shape)

    return SourceTensor(key, our_name, tuple(shape), load)
