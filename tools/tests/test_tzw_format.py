"""The .tzw writer and reader against docs/weight-format.md: byte layout, every dtype x encoding,
rounding to f16/bf16, and a set of hand-damaged files the reader must refuse with a clear error."""

from __future__ import annotations

import json
import struct
import zlib

import numpy as np
import pytest

import tzw

RNG = np.random.default_rng(1234)


def sample_arrays() -> dict[str, tuple[str, np.ndarray]]:
    """The same arrays on every call: one per dtype, plus a scalar and an empty tensor."""
    rng = np.random.default_rng(99)
    floats = rng.standard_normal((5, 7)).astype("<f4")
    return {
        "a.f32": ("f32", floats),
        "b.f16": ("f16", floats.astype("<f2")),
        "c.bf16": ("bf16", tzw.float32_to_bfloat16_bits(floats)),
        "d.i32": ("i32", rng.integers(-2**31, 2**31 - 1, size=(3, 4), dtype="<i4")),
        "e.i64": ("i64", rng.integers(-2**62, 2**62, size=(9,), dtype="<i8")),
        "f.u8": ("u8", rng.integers(0, 256, size=(2, 3, 5), dtype="u1")),
        "g.f64": ("f64", rng.standard_normal((4, 1, 3))),
        "h.scalar": ("f32", np.array(3.5, dtype="<f4")),
        "i.empty": ("f32", np.zeros((0, 4), dtype="<f4")),
    }


def write_sample(path, encoding="raw", alignment=64):
    specs = [tzw.TensorSpec(name, dtype, array.shape, lambda a=array: a, encoding)
             for name, (dtype, array) in sample_arrays().items()]
    meta = {"format": tzw.FORMAT_NAME, "family": "titok", "variant": "x", "config": {"kind": "vq"}}
    return tzw.write_tzw(path, meta, specs, alignment=alignment)


@pytest.mark.parametrize("encoding", ["raw", "zlib", "zlib+shuffle"])
@pytest.mark.parametrize("alignment", [64, 4096])
def test_round_trip_every_dtype(tmp_path, encoding, alignment):
    path = tmp_path / "t.tzw"
    write_sample(path, encoding, alignment)
    with tzw.TZWFile(path) as f:
        f.verify()
        assert f.names == list(sample_arrays())
        for name, (dtype, array) in sample_arrays().items():
            e = f.entry(name)
            assert (e.dtype, e.encoding, e.shape) == (dtype, encoding, array.shape)
            assert e.offset % alignment == 0
            back = f.array(name)
            assert back.dtype == np.dtype(tzw.DTYPES[dtype].numpy)
            assert np.array_equal(back, array)


def test_byte_layout_matches_spec(tmp_path):
    """Parses the file with struct alone, following the spec's tables (not the reader)."""
    path = tmp_path / "t.tzw"
    write_sample(path, "zlib+shuffle")
    data = path.read_bytes()
    (magic, version, flags, alignment, count, meta_off, meta_len, table_off, table_len, data_off, size,
     head_crc, index_crc) = struct.unpack_from("<8sIIIIQQQQQQII", data, 0)
    assert (magic, version, flags, alignment, count) == (b"TZWEIGHT", 1, 0, 64, len(sample_arrays()))
    assert meta_off == 80 and table_off == 80 + meta_len and data_off == -(-(table_off + table_len) // 64) * 64
    assert size == len(data)
    assert head_crc == zlib.crc32(data[:72])
    assert index_crc == zlib.crc32(data[meta_off:table_off + table_len])
    assert data[table_off + table_len:data_off] == b"\0" * (data_off - table_off - table_len)
    meta_text = data[meta_off:table_off].decode()
    assert meta_text == json.dumps(json.loads(meta_text), sort_keys=True, separators=(",", ":"))
    pos, running, arrays = table_off, 0, sample_arrays()
    for name, (dtype, array) in arrays.items():
        (n,) = struct.unpack_from("<H", data, pos)
        assert data[pos + 2:pos + 2 + n].decode() == name
        pos += 2 + n
        code, enc, ndim, reserved = struct.unpack_from("<BBBB", data, pos)
        pos += 4
        assert (code, enc, ndim, reserved) == (tzw.DTYPES[dtype].code, 2, array.ndim, 0)
        shape = struct.unpack_from(f"<{ndim}Q", data, pos)
        pos += 8 * ndim
        offset, stored, raw_len, crc = struct.unpack_from("<QQQI", data, pos)
        pos += 28
        assert shape == array.shape and raw_len == array.nbytes
        assert offset == -(-running // 64) * 64
        assert data[data_off + running:data_off + offset] == b"\0" * (offset - running)
        blob = data[data_off + offset:data_off + offset + stored]
        assert zlib.crc32(blob) == crc
        raw = array.astype(array.dtype.newbyteorder("<")).tobytes()
        s = tzw.DTYPES[dtype].size
        n_el = len(raw) // s
        # shuffled[j*n + i] = raw[i*s + j], written out literally
        shuffled = bytes(raw[i * s + j] for j in range(s) for i in range(n_el))
        assert zlib.decompress(blob) == shuffled
        running = offset + stored
    assert pos == table_off + table_len
    assert size == data_off + running


def test_shuffle_definition_and_inverse():
    raw = bytes(range(12))
    assert tzw.shuffle_bytes(raw, 4) == bytes([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11])
    assert tzw.unshuffle_bytes(tzw.shuffle_bytes(raw, 4), 4) == raw
    assert tzw.shuffle_bytes(raw, 1) == raw


def _bf16_reference(x: np.ndarray) -> np.ndarray:
    """Round-to-nearest-even to bfloat16 computed by value in float64, independently of the bit trick:
    the two bf16 neighbours of x (truncation and one step away from zero), the nearer wins, ties go
    to the even mantissa. Finite inputs whose magnitude stays below the bf16 maximum."""
    bits = x.astype("<f4").view("<u4").astype(np.uint64)
    low_bits = bits & 0xFFFF0000
    high_bits = low_bits + 0x10000
    as_value = lambda b: (b.astype("<u4")).view("<f4").astype(np.float64)  # noqa: E731
    low, high = as_value(low_bits), as_value(high_bits)
    xv = x.astype(np.float64)
    d_low, d_high = np.abs(xv - low), np.abs(high - xv)
    low_is_even = ((low_bits >> 16) & 1) == 0
    pick_low = (d_low < d_high) | ((d_low == d_high) & low_is_even)
    return np.where(pick_low, low_bits, high_bits).astype(np.uint64) >> 16


def test_bfloat16_rounding_matches_value_reference():
    x = np.concatenate([RNG.standard_normal(20000).astype("<f4") * 10.0 ** RNG.integers(-30, 30, 20000),
                        np.array([1 + 2**-8, 1 + 3 * 2**-8, -(1 + 2**-8), 2**-130, 0.0, -0.0], dtype="<f4")])
    x = x.astype("<f4")
    assert np.array_equal(tzw.float32_to_bfloat16_bits(x).astype(np.uint64), _bf16_reference(x))


def test_bfloat16_special_values():
    x = np.array([np.inf, -np.inf, np.nan, 3.4028235e38, 1.0 + 2**-8, 1.0 + 3 * 2**-8], dtype="<f4")
    bits = tzw.float32_to_bfloat16_bits(x)
    assert bits[0] == 0x7F80 and bits[1] == 0xFF80
    assert np.isnan(tzw.bfloat16_bits_to_float32(bits[2:3]))[0]
    assert bits[3] == 0x7F80  # past the largest bf16 rounds to infinity
    assert bits[4] == 0x3F80  # tie, rounds to the even 1.0
    assert bits[5] == 0x3F82  # tie, rounds up to the even neighbour
    assert np.array_equal(tzw.bfloat16_bits_to_float32(np.array([0x3F80, 0xC040], dtype="<u2")),
                          np.array([1.0, -3.0], dtype="<f4"))


def is_nearest_even_f16(x: np.ndarray, q: np.ndarray) -> bool:
    """q (float16) is the correctly rounded x: no f16 neighbour is nearer, ties go to the even mantissa."""
    xv = x.astype(np.float64)
    qv = q.astype(np.float64)
    up = np.nextafter(q, np.float16(np.inf)).astype(np.float64)
    down = np.nextafter(q, np.float16(-np.inf)).astype(np.float64)
    d = np.abs(xv - qv)
    if np.any(np.abs(up - xv) < d) or np.any(np.abs(down - xv) < d):
        return False
    tie = (np.abs(up - xv) == d) | (np.abs(down - xv) == d)
    return bool(np.all((q[tie].view("<u2") & 1) == 0))


def test_float16_rounding_is_nearest_even():
    x = (RNG.standard_normal(20000) * 10.0 ** RNG.integers(-7, 4, 20000)).astype("<f4")
    x = np.concatenate([x, np.array([1 + 2**-11, 1 + 3 * 2**-11, 2**-24 * 1.5], dtype="<f4")])
    assert is_nearest_even_f16(x, x.astype("<f2"))


def test_writer_refuses_bad_input(tmp_path):
    meta = {"format": tzw.FORMAT_NAME, "family": "titok", "variant": "x", "config": {}}
    a = np.zeros(3, dtype="<f4")
    with pytest.raises(tzw.TZWError, match="duplicate"):
        tzw.write_tzw(tmp_path / "d.tzw", meta, [tzw.TensorSpec("a", "f32", (3,), lambda: a)] * 2)
    with pytest.raises(tzw.TZWError, match="expected <f4|numpy"):
        tzw.write_tzw(tmp_path / "t.tzw", meta, [tzw.TensorSpec("a", "f32", (3,), lambda: a.astype("<f8"))])
    with pytest.raises(tzw.TZWError, match="alignment"):
        tzw.write_tzw(tmp_path / "a.tzw", meta, [], alignment=100)
    with pytest.raises(tzw.TZWError, match="required key"):
        tzw.write_tzw(tmp_path / "m.tzw", {"format": tzw.FORMAT_NAME}, [])


def test_empty_file_has_no_records(tmp_path):
    path = tmp_path / "e.tzw"
    tzw.write_tzw(path, {"format": tzw.FORMAT_NAME, "family": "f", "variant": "v", "config": {}}, [])
    with tzw.TZWFile(path) as f:
        assert f.entries == [] and f.header.file_size == f.header.data_offset == path.stat().st_size


# --- damaged files: each must be refused with a message naming the problem ---------------------


def _rewrite_header(data: bytearray, **fields) -> None:
    """Sets header fields, then fixes header_crc32 so the damage reaches the later checks."""
    names = ["magic", "version", "flags", "alignment", "tensor_count", "metadata_offset", "metadata_length",
             "table_offset", "table_length", "data_offset", "file_size", "header_crc32", "index_crc32"]
    values = dict(zip(names, struct.unpack_from("<8sIIIIQQQQQQII", data, 0)))
    values.update(fields)
    struct.pack_into("<8sIIIIQQQQQQII", data, 0, *[values[n] for n in names])
    struct.pack_into("<I", data, 72, zlib.crc32(bytes(data[:72])))


def _fix_index_crc(data: bytearray) -> None:
    meta_len, table_off, table_len = struct.unpack_from("<Q", data, 32)[0], *struct.unpack_from("<QQ", data, 40)
    struct.pack_into("<I", data, 76, zlib.crc32(bytes(data[80:table_off + table_len])))
    _rewrite_header(data)


def _first_entry_field(data: bytearray, after_name: int) -> int:
    """Offset of a byte in the first table entry, counted from the end of its name."""
    table_off = struct.unpack_from("<Q", data, 40)[0]
    (n,) = struct.unpack_from("<H", data, table_off)
    return table_off + 2 + n + after_name


def damage_cases():
    def bad_magic(d): d[0:8] = b"NOTATZW!"
    def bad_version(d): _rewrite_header(d, version=4)
    def swapped_version(d): _rewrite_header(d, version=0x01000000)
    def bad_flags(d): _rewrite_header(d, flags=1)
    def bad_alignment(d): _rewrite_header(d, alignment=96)
    def too_many(d): _rewrite_header(d, tensor_count=2_000_000)
    def header_crc(d): d[20] ^= 1
    def truncated(d): del d[len(d) - 10:]
    def trailing(d): d.extend(b"\0\0")
    def meta_offset(d): _rewrite_header(d, metadata_offset=88)
    def index_crc(d): d[90] ^= 0x20
    def meta_not_object(d):
        meta_len = struct.unpack_from("<Q", d, 32)[0]
        d[80:80 + meta_len] = b"[" + b" " * (meta_len - 2) + b"]"
        _fix_index_crc(d)
    def bad_dtype(d):
        d[_first_entry_field(d, 0)] = 9
        _fix_index_crc(d)
    def bad_encoding(d):
        d[_first_entry_field(d, 1)] = 7
        _fix_index_crc(d)
    def reserved(d):
        d[_first_entry_field(d, 3)] = 1
        _fix_index_crc(d)
    def raw_length(d):
        pos = _first_entry_field(d, 4 + 8 * 2 + 8 + 8)  # first entry is a.f32 [5, 7]
        struct.pack_into("<Q", d, pos, 999)
        _fix_index_crc(d)
    def misaligned(d):
        pos = _first_entry_field(d, 4 + 8 * 2)
        struct.pack_into("<Q", d, pos, 8)
        _fix_index_crc(d)
    def table_padding(d):
        table_end = sum(struct.unpack_from("<QQ", d, 40))
        d[table_end] = 1  # the sample's table end is not 64-aligned, so this byte is padding
    def record_padding(d):
        d[struct.unpack_from("<Q", d, 56)[0] + 140] = 1  # after a.f32's 140 bytes, before offset 192
    def data_crc(d): d[struct.unpack_from("<Q", d, 56)[0] + 5] ^= 0xFF  # inside the first record
    return {
        "bad_magic": (bad_magic, "not a .tzw file"),
        "bad_version": (bad_version, "unsupported version 4"),
        "swapped_version": (swapped_version, "endianness"),
        "bad_flags": (bad_flags, "flags"),
        "bad_alignment": (bad_alignment, "alignment 96"),
        "too_many": (too_many, "tensor_count"),
        "header_crc": (header_crc, "header CRC"),
        "truncated": (truncated, "truncated: expected"),
        "trailing": (trailing, "trailing bytes"),
        "meta_offset": (meta_offset, "metadata_offset"),
        "index_crc": (index_crc, "index CRC"),
        "meta_not_object": (meta_not_object, "not a JSON object"),
        "bad_dtype": (bad_dtype, "unknown dtype"),
        "bad_encoding": (bad_encoding, "unknown encoding"),
        "reserved": (reserved, "reserved"),
        "raw_length": (raw_length, "raw_length 999"),
        "misaligned": (misaligned, "not aligned"),
        "data_crc": (data_crc, "CRC-32 mismatch"),
        "table_padding": (table_padding, "padding between the tensor table and the data"),
        "record_padding": (record_padding, "padding before tensor b.f16"),
    }


@pytest.mark.parametrize("case", sorted(damage_cases()))
def test_damaged_files_are_refused(tmp_path, case):
    damage, message = damage_cases()[case]
    path = tmp_path / "t.tzw"
    write_sample(path, "raw")
    data = bytearray(path.read_bytes())
    damage(data)
    path.write_bytes(bytes(data))
    with pytest.raises(tzw.TZWError, match=message):
        with tzw.TZWFile(path) as f:
            f.verify()


def test_inflation_must_give_exactly_raw_length(tmp_path):
    """A zlib record that inflates to more than raw_length (a bomb) is refused without growing."""
    path = tmp_path / "t.tzw"
    write_sample(path, "zlib")
    data = bytearray(path.read_bytes())
    with tzw.TZWFile(path) as f:
        e = f.entry("a.f32")
        start = f.header.data_offset + e.offset
    bomb = zlib.compress(b"\0" * (e.raw_length * 4))
    assert len(bomb) <= e.stored_length
    # keep the record's stored length: pad the stream's tail with junk after the zlib end
    data[start:start + e.stored_length] = bomb + b"\0" * (e.stored_length - len(bomb))
    table_pos = _first_entry_field(data, 4 + 8 * 2 + 8 + 8 + 8)
    struct.pack_into("<I", data, table_pos, zlib.crc32(bytes(data[start:start + e.stored_length])))
    _fix_index_crc(data)
    path.write_bytes(bytes(data))
    with tzw.TZWFile(path) as f, pytest.raises(tzw.TZWError, match="exactly"):
        f.raw_bytes("a.f32")


def test_threaded_compression_writes_the_same_bytes(tmp_path):
    arrays = {f"t{i}": np.random.default_rng(i).standard_normal((37, 11)).astype("<f4") for i in range(12)}
    meta = {"format": tzw.FORMAT_NAME, "family": "titok", "variant": "x", "config": {}}
    outputs = []
    for workers in (1, 3):
        specs = [tzw.TensorSpec(k, "f32", a.shape, lambda a=a: a, "zlib+shuffle") for k, a in arrays.items()]
        path = tmp_path / f"w{workers}.tzw"
        tzw.write_tzw(path, meta, specs, workers=workers)
        outputs.append(path.read_bytes())
    assert outputs[0] == outputs[1]


def test_command_line_validator(tmp_path, capsys):
    good, bad = tmp_path / "good.tzw", tmp_path / "bad.tzw"
    write_sample(good, "zlib")
    data = bytearray(good.read_bytes())
    data[-1] ^= 0xFF  # inside the last record (the empty tensor's zlib stream)
    bad.write_bytes(bytes(data))
    assert tzw.main([str(good), "--tensors"]) == 0
    out = capsys.readouterr().out
    assert f"{good}: ok" in out and "titok x, 9 tensors" in out and "a.f32 f32 [5, 7] zlib" in out
    assert tzw.main([str(good), str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{bad}: error: tensor ") and "damaged" in err
