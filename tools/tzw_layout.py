"""The TiTok Zoo weight format (`.tzw`, versions 1 to 3), as docs/weight-format.md defines it:
constants and limits, element types, encodings, element orders, the header and table-entry
layouts, byte shuffling, and the float conversions (bfloat16 as uint16 bit patterns: numpy has
no bf16 type)."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

MAGIC = b"TZWEIGHT"
VERSION = 3                  # the newest; each file is written as the oldest version that holds it
READABLE_VERSIONS = (1, 2, 3)
HEADER_SIZE = 80
FORMAT_NAME = "titok-zoo-weights"
MAX_TENSORS = 1_000_000
MIN_METADATA = 2
MAX_METADATA = 16 * 1024 * 1024
MAX_TABLE = 64 * 1024 * 1024
MAX_NAME = 1024
MAX_NDIM = 8
MAX_DIM = 1 << 40
MIN_ALIGNMENT = 64
MAX_ALIGNMENT = 1 << 20
REQUIRED_METADATA_KEYS = ("format", "family", "variant", "config")

# header: magic, version, flags, alignment, tensor_count, metadata_offset, metadata_length,
# table_offset, table_length, data_offset, file_size, header_crc32, index_crc32
_HEADER = struct.Struct("<8sIIIIQQQQQQII")
assert _HEADER.size == HEADER_SIZE


@dataclass(frozen=True)
class DType:
    """One element type of the format: its code, byte size and numpy storage type."""
    name: str
    code: int
    size: int
    numpy: str  # storage dtype; bf16 is stored as uint16 bit patterns
    is_float: bool


DTYPES: dict[str, DType] = {d.name: d for d in (
    DType("f32", 0, 4, "<f4", True),
    DType("f16", 1, 2, "<f2", True),
    DType("bf16", 2, 2, "<u2", True),
    DType("i32", 3, 4, "<i4", False),
    DType("i64", 4, 8, "<i8", False),
    DType("u8", 5, 1, "u1", False),
    DType("f64", 6, 8, "<f8", True),
)}
DTYPE_BY_CODE: dict[int, DType] = {d.code: d for d in DTYPES.values()}

ENCODINGS = {"raw": 0, "zlib": 1, "zlib+shuffle": 2}
ENCODING_NAMES = {v: k for k, v in ENCODINGS.items()}

# Element orders (versions 2-3; in version 1 the byte is reserved and 0): row-major, or strips16: a
# raw f32 (version 2), f16 or bf16 (version 3) matrix [n, k] (trailing dimensions of 1 allowed, n a
# multiple of 16) as n / 16 strips, each [k][16] (element (r, c) at (r // 16) * 16k + c * 16 + r % 16).
ORDERS = {"row-major": 0, "strips16": 1}
ORDER_NAMES = {v: k for k, v in ORDERS.items()}
STRIP_ROWS = 16


class TZWError(Exception):
    """A .tzw file (or a tensor handed to the writer) that breaks the spec; the message says how."""


# ---------------------------------------------------------------------------------------------
# Element conversions and byte shuffling


def float32_to_bfloat16_bits(values: np.ndarray) -> np.ndarray:
    """Rounds float32 values to bfloat16 (nearest, ties to even), returned as uint16 bit patterns.
    NaNs stay NaN (quiet), infinities stay infinite, values past the bf16 range round to infinity."""
    values = np.ascontiguousarray(values, dtype="<f4")
    bits = values.view("<u4")
    is_nan = np.isnan(values)
    # Adding 0x7FFF plus the lowest kept bit rounds to nearest, ties to even; it cannot overflow
    # uint32 for a non-NaN input (the largest, -inf = 0xFF800000, stays far below 2^32).
    lsb = (bits >> np.uint32(16)) & np.uint32(1)
    rounded = (np.where(is_nan, np.uint32(0), bits) + np.uint32(0x7FFF) + lsb) >> np.uint32(16)
    quiet_nan = (bits >> np.uint32(16)) | np.uint32(0x0040)
    return np.where(is_nan, quiet_nan, rounded).astype("<u2")


def bfloat16_bits_to_float32(bits: np.ndarray) -> np.ndarray:
    """Widens bfloat16 bit patterns (uint16) to float32 exactly."""
    return (np.asarray(bits, dtype="<u2").astype("<u4") << np.uint32(16)).view("<f4")


def to_float32(array: np.ndarray, dtype: str) -> np.ndarray:
    """Any stored float tensor (f32, f16, bf16 bits, f64) as float32."""
    if dtype == "bf16":
        return bfloat16_bits_to_float32(array)
    return np.asarray(array).astype("<f4")


def shuffle_bytes(raw: bytes, element_size: int) -> bytes:
    """shuffled[j*n + i] = raw[i*s + j]: all first bytes of the elements, then all second bytes, ..."""
    if element_size == 1 or not raw:
        return bytes(raw)
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, element_size).T.tobytes()


def unshuffle_bytes(shuffled: bytes, element_size: int) -> bytes:
    """The inverse of `shuffle_bytes`."""
    if element_size == 1 or not shuffled:
        return bytes(shuffled)
    return np.frombuffer(shuffled, dtype=np.uint8).reshape(element_size, -1).T.tobytes()


def order_problem(order: str, shape: tuple[int, ...], dtype: str, encoding: str) -> str | None:
    """Why a tensor of this shape, dtype and encoding cannot be stored in `order`; None if it can."""
    if order == "row-major":
        return None
    if order != "strips16":
        return f"unknown element order {order!r}"
    if dtype not in ("f32", "f16", "bf16") or encoding != "raw":
        return f"strips16 is for raw f32, f16 or bf16 tensors (got {dtype}, {encoding})"
    if len(shape) < 2 or any(d != 1 for d in shape[2:]):
        return f"strips16 needs a matrix [n, k] (trailing dimensions of 1 allowed), got shape {list(shape)}"
    if shape[0] % STRIP_ROWS:
        return f"strips16 needs n a multiple of 16, got shape {list(shape)}"
    return None


def minimum_version(order: str, dtype: str) -> int:
    """The first format version that stores a `dtype` tensor in `order`: 1 for row-major, 2 for f32
    strips16, 3 for 16-bit strips16."""
    if order == "row-major":
        return 1
    return 2 if dtype == "f32" else 3


def to_strips16(array: np.ndarray) -> np.ndarray:
    """A row-major matrix [n, k, 1...] in strips16 order, as a flat array."""
    n = array.shape[0]
    matrix = np.asarray(array).reshape(n, -1)
    return np.ascontiguousarray(matrix.reshape(n // STRIP_ROWS, STRIP_ROWS, -1).transpose(0, 2, 1)).reshape(-1)


def from_strips16(flat: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The row-major tensor of `shape` from its strips16 elements."""
    n = shape[0]
    k = int(np.prod(shape[1:])) if len(shape) > 1 else 1
    strips = np.asarray(flat).reshape(n // STRIP_ROWS, k, STRIP_ROWS)
    return np.ascontiguousarray(strips.transpose(0, 2, 1)).reshape(shape)


def align_up(value: int, alignment: int) -> int:
    return (value + alignment - 1) // alignment * alignment


def check_alignment(alignment: int) -> None:
    if not (MIN_ALIGNMENT <= alignment <= MAX_ALIGNMENT) or alignment & (alignment - 1):
        raise TZWError(f"alignment {alignment} is not a power of two between 64 and 1 MiB")


@dataclass
class TableEntry:
    """One row of the tensor table, as written or as read back."""
    name: str
    dtype: str
    encoding: str
    shape: tuple[int, ...]
    offset: int
    stored_length: int
    raw_length: int
    crc32: int
    order: str = "row-major"

    def encode(self) -> bytes:
        name = self.name.encode("utf-8")
        out = struct.pack("<H", len(name)) + name
        out += struct.pack("<BBBB", DTYPES[self.dtype].code, ENCODINGS[self.encoding], len(self.shape),
                           ORDERS[self.order])
        out += struct.pack(f"<{len(self.shape)}Q", *self.shape)
        out += struct.pack("<QQQI", self.offset, self.stored_length, self.raw_length, self.crc32)
        return out


def entry_size(name: str, ndim: int) -> int:
    """Bytes a table entry takes: fixed once the name and rank are known."""
    return 2 + len(name.encode("utf-8")) + 4 + 8 * ndim + 8 + 8 + 8 + 4


def encode_metadata(metadata: Mapping[str, Any]) -> bytes:
    """The metadata block: compact UTF-8 JSON with sorted keys."""
    return json.dumps(metadata, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


@dataclass(frozen=True)
class Header:
    version: int
    flags: int
    alignment: int
    tensor_count: int
    metadata_offset: int
    metadata_length: int
    table_offset: int
    table_length: int
    data_offset: int
    file_size: int
    header_crc32: int
    index_crc32: int
