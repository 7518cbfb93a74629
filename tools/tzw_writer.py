"""Writes .tzw files: header with both CRC-32s, sorted-key JSON metadata, the tensor table, then
records aligned and stored raw, zlib, or byte-shuffled + zlib; a few tensors in memory at a time."""

from __future__ import annotations

import collections
import itertools
import math
import os
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Mapping

import numpy as np

from tzw_layout import (DTYPES, ENCODINGS, FORMAT_NAME, HEADER_SIZE, MAGIC, MAX_DIM, MAX_METADATA, MAX_NAME,
                        MAX_NDIM, MAX_TABLE, MAX_TENSORS, MIN_METADATA, REQUIRED_METADATA_KEYS, VERSION, _HEADER,
                        TableEntry, TZWError, align_up, check_alignment, encode_metadata, entry_size,
                        minimum_version, order_problem, shuffle_bytes, to_strips16)


@dataclass
class TensorSpec:
    """A tensor to write: its name, format dtype, shape and a callable producing its elements
    (a numpy array of the dtype's storage type, any memory layout, row-major values; called once,
    when it is written), stored with `encoding` in element `order` ("row-major" or "strips16")."""
    name: str
    dtype: str
    shape: tuple[int, ...]
    load: Callable[[], np.ndarray]
    encoding: str = "raw"
    order: str = "row-major"


def _check_spec(spec: TensorSpec) -> int:
    """Validates a tensor to write; returns its raw length in bytes."""
    raw_name = spec.name.encode("utf-8")
    if not 1 <= len(raw_name) <= MAX_NAME:
        raise TZWError(f"tensor name {spec.name!r} must be 1 to {MAX_NAME} UTF-8 bytes")
    if spec.dtype not in DTYPES:
        raise TZWError(f"tensor {spec.name}: unknown dtype {spec.dtype!r}")
    if spec.encoding not in ENCODINGS:
        raise TZWError(f"tensor {spec.name}: unknown encoding {spec.encoding!r}")
    if len(spec.shape) > MAX_NDIM:
        raise TZWError(f"tensor {spec.name}: {len(spec.shape)} dimensions, at most {MAX_NDIM}")
    for d in spec.shape:
        if not isinstance(d, int) or d < 0 or d > MAX_DIM:
            raise TZWError(f"tensor {spec.name}: dimension {d!r} out of range")
    problem = order_problem(spec.order, tuple(spec.shape), spec.dtype, spec.encoding)
    if problem:
        raise TZWError(f"tensor {spec.name}: {problem}")
    return math.prod(spec.shape) * DTYPES[spec.dtype].size


def encode_tensor(raw: bytes, dtype: str, encoding: str, level: int = 6) -> bytes:
    """The bytes stored on disk for a tensor's raw little-endian bytes."""
    if encoding == "raw":
        return raw
    if encoding == "zlib":
        return zlib.compress(raw, level)
    return zlib.compress(shuffle_bytes(raw, DTYPES[dtype].size), level)


def write_tzw(path: str | os.PathLike, metadata: Mapping[str, Any], tensors: Iterable[TensorSpec],
              alignment: int = 64, level: int = 6,
              progress: Callable[[int, TableEntry], None] | None = None,
              workers: int = 1) -> list[TableEntry]:
    """Writes a .tzw file, a few tensors in memory at a time. The table's size is known from the
    names and ranks alone, so records are written first at `data_offset`, then the header,
    metadata and table in front of them. `workers` threads compress. Written as the oldest version
    that holds every tensor (1; 2 with f32 strips16 tensors; 3 with 16-bit ones). Returns the table."""
    check_alignment(alignment)
    specs = list(tensors)
    if len(specs) > MAX_TENSORS:
        raise TZWError(f"{len(specs)} tensors, at most {MAX_TENSORS}")
    for key in REQUIRED_METADATA_KEYS:
        if key not in metadata:
            raise TZWError(f"metadata lacks the required key {key!r}")
    if metadata["format"] != FORMAT_NAME:
        raise TZWError(f"metadata format must be {FORMAT_NAME!r}")
    meta_bytes = encode_metadata(metadata)
    if not MIN_METADATA <= len(meta_bytes) <= MAX_METADATA:
        raise TZWError(f"metadata is {len(meta_bytes)} bytes, at most {MAX_METADATA}")
    names: set[str] = set()
    raw_lengths = []
    for spec in specs:
        raw_lengths.append(_check_spec(spec))
        if spec.name in names:
            raise TZWError(f"duplicate tensor name {spec.name!r}")
        names.add(spec.name)
    table_length = sum(entry_size(s.name, len(s.shape)) for s in specs)
    if table_length > MAX_TABLE:
        raise TZWError(f"tensor table is {table_length} bytes, at most {MAX_TABLE}")
    table_offset = HEADER_SIZE + len(meta_bytes)
    data_offset = align_up(table_offset + table_length, alignment)

    entries: list[TableEntry] = []
    with open(path, "wb") as f:
        f.seek(data_offset)
        position = 0
        encoded = _encode_all(specs, raw_lengths, level, workers)
        for index, (spec, raw_length, stored) in enumerate(zip(specs, raw_lengths, encoded)):
            offset = align_up(position, alignment)
            if offset > position:
                f.write(b"\0" * (offset - position))
            f.write(stored)
            entry = TableEntry(spec.name, spec.dtype, spec.encoding, tuple(spec.shape), offset,
                               len(stored), raw_length, zlib.crc32(stored), spec.order)
            entries.append(entry)
            position = offset + len(stored)
            if progress:
                progress(index, entry)
        file_size = data_offset + position
        table = b"".join(e.encode() for e in entries)
        assert len(table) == table_length
        index_crc = zlib.crc32(meta_bytes + table)
        version = max((minimum_version(s.order, s.dtype) for s in specs), default=1)
        head = _HEADER.pack(MAGIC, version, 0, alignment, len(entries), HEADER_SIZE, len(meta_bytes),
                            table_offset, table_length, data_offset, file_size, 0, index_crc)
        head_crc = zlib.crc32(head[:72])
        head = head[:72] + struct.pack("<II", head_crc, index_crc)
        f.seek(0)
        f.write(head + meta_bytes + table + b"\0" * (data_offset - table_offset - table_length))
        f.truncate(file_size)
    return entries


def _encode_all(specs: list[TensorSpec], raw_lengths: list[int], level: int, workers: int) -> Iterator[bytes]:
    """The stored bytes of each tensor, in order. Compression runs on `workers` threads (zlib
    releases the GIL) with a bounded look-ahead, so memory stays a few tensors deep."""
    def encode(spec: TensorSpec, raw_length: int) -> bytes:
        return encode_tensor(_raw_bytes(spec, raw_length), spec.dtype, spec.encoding, level)

    jobs = iter(zip(specs, raw_lengths))
    if workers <= 1 or all(s.encoding == "raw" for s in specs):
        for spec, raw_length in jobs:
            yield encode(spec, raw_length)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending = collections.deque(pool.submit(encode, *job) for job in itertools.islice(jobs, 2 * workers))
        while pending:
            stored = pending.popleft().result()
            job = next(jobs, None)
            if job is not None:
                pending.append(pool.submit(encode, *job))
            yield stored


def _raw_bytes(spec: TensorSpec, raw_length: int) -> bytes:
    array = np.asarray(spec.load())
    storage = np.dtype(DTYPES[spec.dtype].numpy)
    if array.dtype.newbyteorder("<") != storage.newbyteorder("<"):
        raise TZWError(f"tensor {spec.name}: got numpy {array.dtype} for dtype {spec.dtype} "
                       f"(expected {storage})")
    if tuple(array.shape) != tuple(spec.shape):
        raise TZWError(f"tensor {spec.name}: array shape {list(array.shape)} is not {list(spec.shape)}")
    if spec.order == "strips16":
        array = to_strips16(np.asarray(array, dtype=storage.newbyteorder("<")))
    raw = np.ascontiguousarray(array, dtype=storage.newbyteorder("<")).tobytes()
    if len(raw) != raw_length:
        raise TZWError(f"tensor {spec.name}: {len(raw)} bytes, expected {raw_length}")
    return raw
