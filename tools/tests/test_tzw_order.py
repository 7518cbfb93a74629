"""Element orders (.tzw versions 2-3): strips16 tensors written from row-major arrays, read back
row-major, stored in the documented order, and refused where the order cannot hold."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest

import tzw

META = {"format": tzw.FORMAT_NAME, "family": "titok", "variant": "x", "config": {"kind": "vq"}}


def _strips_by_hand(matrix: np.ndarray) -> np.ndarray:
    """Element (r, c) of an [n, k] matrix at (r // 16) * 16k + c * 16 + r % 16, element by element."""
    n, k = matrix.shape
    out = np.empty(n * k, dtype=matrix.dtype)
    for r in range(n):
        for c in range(k):
            out[(r // 16) * 16 * k + c * 16 + r % 16] = matrix[r, c]
    return out


def _write(path, specs):
    return tzw.write_tzw(path, META, specs)


def test_strips16_round_trip_and_stored_order(tmp_path):
    rng = np.random.default_rng(5)
    w = rng.standard_normal((48, 5)).astype("<f4")
    conv = rng.standard_normal((32, 3, 1, 1)).astype("<f4")
    plain = rng.standard_normal((4, 4)).astype("<f4")
    path = tmp_path / "s.tzw"
    _write(path, [tzw.TensorSpec("w", "f32", w.shape, lambda: w, "raw", "strips16"),
                  tzw.TensorSpec("conv", "f32", conv.shape, lambda: conv, "raw", "strips16"),
                  tzw.TensorSpec("plain", "f32", plain.shape, lambda: plain)])
    with tzw.TZWFile(path) as f:
        f.verify()
        assert f.header.version == 2
        assert [e.order for e in f.entries] == ["strips16", "strips16", "row-major"]
        assert np.array_equal(f.array("w"), w)
        assert np.array_equal(f.float32("conv"), conv)
        assert np.array_equal(f.array("plain"), plain)
        assert f.raw_bytes("w") == _strips_by_hand(w).tobytes()
        assert f.raw_bytes("conv") == _strips_by_hand(conv.reshape(32, 3)).tobytes()
    assert np.array_equal(tzw.from_strips16(tzw.to_strips16(w), w.shape), w)


@pytest.mark.parametrize("dtype", ["f16", "bf16"])
def test_sixteen_bit_strips16_round_trip_as_version_3(tmp_path, dtype):
    rng = np.random.default_rng(6)
    w = rng.standard_normal((32, 7)).astype("<f4")
    stored = w.astype("<f2") if dtype == "f16" else tzw.float32_to_bfloat16_bits(w)
    path = tmp_path / "h.tzw"
    _write(path, [tzw.TensorSpec("w", dtype, w.shape, lambda: stored, "raw", "strips16"),
                  tzw.TensorSpec("rows", dtype, w.shape, lambda: stored)])
    with tzw.TZWFile(path) as f:
        f.verify()
        assert f.header.version == 3
        assert [e.order for e in f.entries] == ["strips16", "row-major"]
        assert np.array_equal(f.float32("w"), f.float32("rows"))
        assert f.raw_bytes("w") == _strips_by_hand(np.asarray(stored).reshape(32, 7)).tobytes()
    # Only f32 strips: version 2.
    _write(tmp_path / "f.tzw", [tzw.TensorSpec("w", "f32", w.shape, lambda: w, "raw", "strips16")])
    with tzw.TZWFile(tmp_path / "f.tzw") as f:
        assert f.header.version == 2


def test_row_major_files_stay_version_1(tmp_path):
    path = tmp_path / "p.tzw"
    _write(path, [tzw.TensorSpec("w", "f32", (16, 2), lambda: np.ones((16, 2), "<f4"))])
    with tzw.TZWFile(path) as f:
        assert f.header.version == 1
        assert f.entries[0].order == "row-major"


@pytest.mark.parametrize("shape,dtype,encoding,why", [
    ((32, 4), "f64", "raw", "raw f32, f16 or bf16"), ((32, 4), "f32", "zlib", "raw f32, f16 or bf16"),
    ((32, 4), "f16", "zlib+shuffle", "raw f32, f16 or bf16"), ((64,), "f32", "raw", "a matrix"),
    ((32, 4, 3), "f32", "raw", "a matrix"), ((24, 4), "f32", "raw", "multiple of 16"),
])
def test_writer_refuses_strips16_where_it_cannot_hold(tmp_path, shape, dtype, encoding, why):
    array = np.zeros(shape, dtype=tzw.DTYPES[dtype].numpy)
    with pytest.raises(tzw.TZWError, match=why):
        _write(tmp_path / "x.tzw", [tzw.TensorSpec("t", dtype, shape, lambda: array, encoding, "strips16")])
    with pytest.raises(tzw.TZWError, match="unknown element order"):
        _write(tmp_path / "y.tzw", [tzw.TensorSpec("t", dtype, shape, lambda: array, encoding, "column-major")])


def _order_byte_at(data: bytearray, index: int) -> int:
    """Offset of the order byte of table entry `index`."""
    pos = struct.unpack_from("<Q", data, 40)[0]
    for _ in range(index):
        (n,) = struct.unpack_from("<H", data, pos)
        ndim = data[pos + 2 + n + 2]
        pos += 2 + n + 4 + 8 * ndim + 28
    (n,) = struct.unpack_from("<H", data, pos)
    return pos + 2 + n + 3


def _fix_crcs(data: bytearray) -> None:
    table_off, table_len = struct.unpack_from("<QQ", data, 40)
    struct.pack_into("<I", data, 76, zlib.crc32(bytes(data[80:table_off + table_len])))
    struct.pack_into("<I", data, 72, zlib.crc32(bytes(data[:72])))


@pytest.mark.parametrize("index,code,version,message", [
    (0, 2, 2, "unknown element order code 2"),
    (1, 1, 2, "f16 strips16 needs format version 3, the file is version 2"),
    (2, 1, 2, "strips16 is for raw f32, f16 or bf16"),
    (0, 1, 1, "reserved byte is 1, not 0 in version 1"),
])
def test_reader_refuses_bad_orders(tmp_path, index, code, version, message):
    path = tmp_path / "s.tzw"
    _write(path, [tzw.TensorSpec("w", "f32", (16, 2), lambda: np.ones((16, 2), "<f4"), "raw", "strips16"),
                  tzw.TensorSpec("h", "f16", (16, 2), lambda: np.ones((16, 2), "<f2")),
                  tzw.TensorSpec("d", "f64", (16, 2), lambda: np.ones((16, 2), "<f8"))])
    data = bytearray(path.read_bytes())
    data[_order_byte_at(data, index)] = code
    struct.pack_into("<I", data, 8, version)
    _fix_crcs(data)
    path.write_bytes(bytes(data))
    with pytest.raises(tzw.TZWError, match=message):
        tzw.TZWFile(path)
