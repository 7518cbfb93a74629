"""The TiTok Zoo weight format (`.tzw`, version 1): writer, reader and validator.

Follows docs/weight-format.md exactly: an 80-byte header with two CRC-32s, sorted-key
JSON metadata, a binary tensor table, then tensor records aligned to `alignment`,
each stored raw, zlib-compressed, or byte-shuffled then zlib-compressed.

numpy is the only dependency. bfloat16 values are carried as their uint16 bit
patterns (numpy has no bf16 type); `float32_to_bfloat16_bits` rounds to nearest even.
"""

from __future__ import annotations

import collections
import itertools
import json
import math
import mmap
import os
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Mapping

import numpy as np

MAGIC = b"TZWEIGHT"
VERSION = 1
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


def align_up(value: int, alignment: int) -> int:
    return (value + alignment - 1) // alignment * alignment


def _check_alignment(alignment: int) -> None:
    if not (MIN_ALIGNMENT <= alignment <= MAX_ALIGNMENT) or alignment & (alignment - 1):
        raise TZWError(f"alignment {alignment} is not a power of two between 64 and 1 MiB")


# ---------------------------------------------------------------------------------------------
# Writer


@dataclass
class TensorSpec:
    """A tensor to write: its name, format dtype, shape and a callable producing its elements
    (a numpy array of the dtype's storage type, any layout; called once, when it is written)."""
    name: str
    dtype: str
    shape: tuple[int, ...]
    load: Callable[[], np.ndarray]
    encoding: str = "raw"


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

    def encode(self) -> bytes:
        name = self.name.encode("utf-8")
        out = struct.pack("<H", len(name)) + name
        out += struct.pack("<BBBB", DTYPES[self.dtype].code, ENCODINGS[self.encoding], len(self.shape), 0)
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
    metadata and table in front of them. `workers` threads compress. Returns the table."""
    _check_alignment(alignment)
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
                               len(stored), raw_length, zlib.crc32(stored))
            entries.append(entry)
            position = offset + len(stored)
            if progress:
                progress(index, entry)
        file_size = data_offset + position
        table = b"".join(e.encode() for e in entries)
        assert len(table) == table_length
        index_crc = zlib.crc32(meta_bytes + table)
        head = _HEADER.pack(MAGIC, VERSION, 0, alignment, len(entries), HEADER_SIZE, len(meta_bytes),
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
    raw = np.ascontiguousarray(array, dtype=storage.newbyteorder("<")).tobytes()
    if len(raw) != raw_length:
        raise TZWError(f"tensor {spec.name}: {len(raw)} bytes, expected {raw_length}")
    return raw


# ---------------------------------------------------------------------------------------------
# Reader


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


class TZWFile:
    """A validated .tzw file (steps 1-5 of the spec's validation on open; step 6, the data
    CRCs, whenever a tensor is read, and for all tensors with `verify()`)."""

    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)
        with open(self.path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            # A read-only map keeps big files out of memory; tiny ones are simply read.
            self._data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size >= HEADER_SIZE else f.read()
        try:
            self.header = self._parse_header()
            self.metadata = self._parse_metadata()
            self.entries = self._parse_table()
        except BaseException:
            self.close()
            raise
        self._by_name = {e.name: e for e in self.entries}

    def close(self) -> None:
        if isinstance(self._data, mmap.mmap):
            self._data.close()

    def __enter__(self) -> "TZWFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # Steps 1-3
    def _parse_header(self) -> Header:
        data = self._data
        if len(data) < HEADER_SIZE:
            raise TZWError(f"file is {len(data)} bytes, shorter than the {HEADER_SIZE}-byte header")
        fields = _HEADER.unpack_from(data, 0)
        if fields[0] != MAGIC:
            raise TZWError(f"not a .tzw file (magic {fields[0]!r})")
        h = Header(*fields[1:])
        if h.version != VERSION:
            hint = " (byte-swapped: wrong endianness?)" if int.from_bytes(
                h.version.to_bytes(4, "little"), "big") < 256 else ""
            raise TZWError(f"unsupported version {h.version}{hint}; this reader knows version {VERSION}")
        if h.flags != 0:
            raise TZWError(f"flags {h.flags:#x} are not zero")
        _check_alignment(h.alignment)
        if h.tensor_count > MAX_TENSORS:
            raise TZWError(f"tensor_count {h.tensor_count} exceeds {MAX_TENSORS}")
        if zlib.crc32(data[:72]) != h.header_crc32:
            raise TZWError("header CRC-32 mismatch (the header is damaged)")
        if h.metadata_offset != HEADER_SIZE:
            raise TZWError(f"metadata_offset {h.metadata_offset} is not {HEADER_SIZE}")
        if not MIN_METADATA <= h.metadata_length <= MAX_METADATA:
            raise TZWError(f"metadata_length {h.metadata_length} out of range")
        if h.table_offset != h.metadata_offset + h.metadata_length:
            raise TZWError("table_offset does not follow the metadata")
        if h.table_length > MAX_TABLE:
            raise TZWError(f"table_length {h.table_length} exceeds {MAX_TABLE}")
        if h.data_offset != align_up(h.table_offset + h.table_length, h.alignment):
            raise TZWError("data_offset is not the table end rounded up to the alignment")
        if h.file_size < h.data_offset:
            raise TZWError(f"file_size {h.file_size} is smaller than data_offset {h.data_offset}")
        if h.file_size != len(data):
            if len(data) < h.file_size:
                raise TZWError(f"file is truncated: expected {h.file_size} bytes, got {len(data)}")
            raise TZWError(f"file has trailing bytes: expected {h.file_size} bytes, got {len(data)}")
        if any(data[h.table_offset + h.table_length:h.data_offset]):
            raise TZWError("padding between the tensor table and the data is not zero")
        return h

    # Step 4
    def _parse_metadata(self) -> dict[str, Any]:
        h = self.header
        meta = self._data[h.metadata_offset:h.table_offset]
        table = self._data[h.table_offset:h.table_offset + h.table_length]
        if zlib.crc32(meta + table) != h.index_crc32:
            raise TZWError("index CRC-32 mismatch (metadata or tensor table damaged)")
        try:
            obj = json.loads(meta.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise TZWError(f"metadata is not valid UTF-8 JSON: {e}") from None
        if not isinstance(obj, dict):
            raise TZWError("metadata is not a JSON object")
        for key in REQUIRED_METADATA_KEYS:
            if key not in obj:
                raise TZWError(f"metadata lacks the required key {key!r}")
        if obj["format"] != FORMAT_NAME:
            raise TZWError(f"metadata format is {obj['format']!r}, not {FORMAT_NAME!r}")
        if not isinstance(obj["family"], str) or not isinstance(obj["variant"], str):
            raise TZWError("metadata family and variant must be strings")
        if not isinstance(obj["config"], dict):
            raise TZWError("metadata config must be an object")
        return obj

    # Step 5
    def _parse_table(self) -> list[TableEntry]:
        h = self.header
        table = self._data[h.table_offset:h.table_offset + h.table_length]
        pos = 0
        running = 0
        names: set[str] = set()
        entries = []

        def take(n: int, what: str, index: int) -> bytes:
            nonlocal pos
            if pos + n > len(table):
                raise TZWError(f"tensor table entry {index}: {what} runs past the table end")
            out = table[pos:pos + n]
            pos += n
            return out

        for i in range(h.tensor_count):
            (name_length,) = struct.unpack("<H", take(2, "name length", i))
            if not 1 <= name_length <= MAX_NAME:
                raise TZWError(f"tensor table entry {i}: name length {name_length} out of range")
            try:
                name = take(name_length, "name", i).decode("utf-8")
            except UnicodeDecodeError:
                raise TZWError(f"tensor table entry {i}: name is not UTF-8") from None
            if name in names:
                raise TZWError(f"duplicate tensor name {name!r}")
            names.add(name)
            code, enc, ndim, reserved = struct.unpack("<BBBB", take(4, "type fields", i))
            if code not in DTYPE_BY_CODE:
                raise TZWError(f"tensor {name}: unknown dtype code {code}")
            if enc not in ENCODING_NAMES:
                raise TZWError(f"tensor {name}: unknown encoding {enc}")
            if ndim > MAX_NDIM:
                raise TZWError(f"tensor {name}: ndim {ndim} exceeds {MAX_NDIM}")
            if reserved != 0:
                raise TZWError(f"tensor {name}: reserved byte is {reserved}, not 0")
            shape = struct.unpack(f"<{ndim}Q", take(8 * ndim, "shape", i))
            if any(d > MAX_DIM for d in shape):
                raise TZWError(f"tensor {name}: a dimension exceeds 2^40")
            offset, stored, raw_length, crc = struct.unpack("<QQQI", take(28, "offsets", i))
            dtype = DTYPE_BY_CODE[code]
            expected_raw = math.prod(shape) * dtype.size  # Python ints cannot overflow
            if raw_length != expected_raw:
                raise TZWError(f"tensor {name}: raw_length {raw_length} is not {expected_raw} "
                               f"(shape {list(shape)} x {dtype.size} bytes)")
            encoding = ENCODING_NAMES[enc]
            if encoding == "raw" and stored != raw_length:
                raise TZWError(f"tensor {name}: raw tensor stores {stored} bytes, not {raw_length}")
            if encoding != "raw" and stored == 0:
                raise TZWError(f"tensor {name}: compressed tensor with no stored bytes")
            if offset % h.alignment:
                raise TZWError(f"tensor {name}: offset {offset} is not aligned to {h.alignment}")
            expected_offset = align_up(running, h.alignment)
            if offset != expected_offset:
                raise TZWError(f"tensor {name}: offset {offset}, expected {expected_offset} "
                               "(records must be contiguous, in table order)")
            if h.data_offset + offset + stored > h.file_size:
                raise TZWError(f"tensor {name}: record runs past the end of the file")
            running = offset + stored
            entries.append(TableEntry(name, dtype.name, encoding, shape, offset, stored, raw_length, crc))
        if pos != len(table):
            raise TZWError(f"tensor table has {len(table) - pos} bytes left over")
        expected_size = h.data_offset + running
        if expected_size != h.file_size:
            raise TZWError(f"file_size {h.file_size} is not the end of the last record ({expected_size})")
        return entries

    # Step 6 and access
    @property
    def names(self) -> list[str]:
        return [e.name for e in self.entries]

    def entry(self, name: str) -> TableEntry:
        try:
            return self._by_name[name]
        except KeyError:
            raise TZWError(f"no tensor named {name!r}") from None

    def stored_bytes(self, name: str) -> bytes:
        e = self.entry(name)
        start = self.header.data_offset + e.offset
        return self._data[start:start + e.stored_length]

    def raw_bytes(self, name: str) -> bytes:
        """The tensor's raw little-endian bytes, after checking its CRC and inflating."""
        e = self.entry(name)
        stored = self.stored_bytes(name)
        if zlib.crc32(stored) != e.crc32:
            raise TZWError(f"tensor {name}: CRC-32 mismatch (data damaged)")
        if e.encoding == "raw":
            return stored
        inflater = zlib.decompressobj()
        try:
            # never more than raw_length (at least 1: a max_length of 0 would mean "no limit")
            raw = inflater.decompress(stored, max(e.raw_length, 1))
        except zlib.error as err:
            raise TZWError(f"tensor {name}: zlib data is damaged ({err})") from None
        if len(raw) != e.raw_length or inflater.unconsumed_tail or not inflater.eof:
            raise TZWError(f"tensor {name}: inflating does not give exactly {e.raw_length} bytes")
        if e.encoding == "zlib+shuffle":
            raw = unshuffle_bytes(raw, DTYPES[e.dtype].size)
        return raw

    def array(self, name: str) -> np.ndarray:
        """The tensor in its stored dtype (bf16 as uint16 bit patterns), shaped."""
        e = self.entry(name)
        return np.frombuffer(self.raw_bytes(name), dtype=DTYPES[e.dtype].numpy).reshape(e.shape)

    def float32(self, name: str) -> np.ndarray:
        e = self.entry(name)
        if not DTYPES[e.dtype].is_float:
            raise TZWError(f"tensor {name} is {e.dtype}, not a float tensor")
        return to_float32(self.array(name), e.dtype)

    def verify(self) -> None:
        """Checks the zero padding between records, every tensor's CRC, and that compressed
        tensors inflate to exactly their raw length."""
        end = 0
        for e in self.entries:
            start = self.header.data_offset
            if any(self._data[start + end:start + e.offset]):
                raise TZWError(f"padding before tensor {e.name} is not zero")
            end = e.offset + e.stored_length
            self.raw_bytes(e.name)


def read_tzw(path: str | os.PathLike) -> TZWFile:
    return TZWFile(path)


def main(argv: list[str] | None = None) -> int:
    """`python3 tools/tzw.py FILE...`: validates each file fully (structure and every CRC) and
    prints a one-paragraph summary; status 1 with one line per bad file."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="tzw.py", description="Validate and summarise .tzw weight files.")
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--tensors", action="store_true", help="also list every tensor")
    args = parser.parse_args(argv)
    status = 0
    for path in args.files:
        try:
            with TZWFile(path) as f:
                f.verify()
                counts: dict[str, int] = {}
                for e in f.entries:
                    key = f"{e.dtype}/{e.encoding}"
                    counts[key] = counts.get(key, 0) + 1
                params = sum(math.prod(e.shape) for e in f.entries)
                print(f"{path}: ok")
                print(f"  {f.metadata['family']} {f.metadata['variant']}, {len(f.entries)} tensors, "
                      f"{params / 1e6:.2f} M elements, alignment {f.header.alignment}, "
                      + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
                print(f"  config {json.dumps(f.metadata['config'], sort_keys=True)}")
                if args.tensors:
                    for e in f.entries:
                        print(f"  {e.name} {e.dtype} {list(e.shape)} {e.encoding} {e.stored_length} bytes")
        except (TZWError, OSError) as e:
            print(f"{path}: error: {e}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    raise SystemExit(main())
