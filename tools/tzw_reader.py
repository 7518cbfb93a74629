"""Reads and validates .tzw files in the spec's order (steps 1-5 on open, step 6 - the data
CRCs - when a tensor is read or on `verify()`), from a read-only memory map."""

from __future__ import annotations

import json
import math
import mmap
import os
import struct
import zlib
from typing import Any

import numpy as np

from tzw_layout import (DTYPE_BY_CODE, DTYPES, ENCODING_NAMES, FORMAT_NAME, HEADER_SIZE, MAGIC, MAX_DIM,
                        MAX_METADATA, MAX_NAME, MAX_NDIM, MAX_TABLE, MAX_TENSORS, MIN_METADATA,
                        ORDER_NAMES, READABLE_VERSIONS, REQUIRED_METADATA_KEYS, _HEADER, Header, TableEntry,
                        TZWError, align_up, check_alignment, from_strips16, minimum_version, order_problem, to_float32,
                        unshuffle_bytes)


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
        if h.version not in READABLE_VERSIONS:
            hint = " (byte-swapped: wrong endianness?)" if int.from_bytes(
                h.version.to_bytes(4, "little"), "big") in READABLE_VERSIONS else ""
            raise TZWError(f"unsupported version {h.version}{hint}; this reader knows versions 1 to 3")
        if h.flags != 0:
            raise TZWError(f"flags {h.flags:#x} are not zero")
        check_alignment(h.alignment)
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
            if h.version == 1 and reserved != 0:
                raise TZWError(f"tensor {name}: reserved byte is {reserved}, not 0 in version 1")
            if reserved not in ORDER_NAMES:
                raise TZWError(f"tensor {name}: unknown element order code {reserved}")
            order = ORDER_NAMES[reserved]
            shape = struct.unpack(f"<{ndim}Q", take(8 * ndim, "shape", i))
            if any(d > MAX_DIM for d in shape):
                raise TZWError(f"tensor {name}: a dimension exceeds 2^40")
            offset, stored, raw_length, crc = struct.unpack("<QQQI", take(28, "offsets", i))
            dtype = DTYPE_BY_CODE[code]
            problem = order_problem(order, shape, dtype.name, ENCODING_NAMES[enc])
            if problem:
                raise TZWError(f"tensor {name}: {problem}")
            if h.version < minimum_version(order, dtype.name):
                raise TZWError(f"tensor {name}: {dtype.name} {order} needs format version "
                               f"{minimum_version(order, dtype.name)}, the file is version {h.version}")
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
            entries.append(TableEntry(name, dtype.name, encoding, shape, offset, stored, raw_length, crc, order))
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
        """The tensor's raw little-endian bytes in its stored element order, after checking its
        CRC and inflating."""
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
        """The tensor in its stored dtype (bf16 as uint16 bit patterns), shaped, row-major
        whatever its stored element order."""
        e = self.entry(name)
        flat = np.frombuffer(self.raw_bytes(name), dtype=DTYPES[e.dtype].numpy)
        if e.order == "strips16":
            return from_strips16(flat, e.shape)
        return flat.reshape(e.shape)

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
