"""The torch.save reader: tensors rebuilt from storages (offsets, strides, nesting) without torch,
and every pickle that reaches for anything else refused before it can run."""

from __future__ import annotations

import builtins
import collections
import io
import os
import pickle
import subprocess
import zipfile

import numpy as np
import pytest

from checkpoint_types import ConversionError
from converter_paths import fixture_dir
from torch_zip_reader import SafeUnpickler, UnsafePickleError, read_torch_zip
from torch_zip_builder import Storage, TensorView, contiguous, write_checkpoint, write_raw_pickle


def test_offsets_strides_and_dtypes(tmp_path):
    base = np.arange(24, dtype="<f4")
    longs = np.arange(10, dtype="<i8") * 7
    halfs = np.linspace(-2, 2, 6).astype("<f2")
    s0, s1, s2 = Storage("0", base), Storage("1", longs), Storage("2", halfs)
    state = collections.OrderedDict([
        ("plain", contiguous(s0, (4, 6))),
        ("transposed", TensorView(s0, 0, (6, 4), (1, 6))),       # a .t() view: not contiguous
        ("offset_slice", TensorView(s0, 5, (2, 3), (6, 2))),     # storage offset and a step
        ("longs", TensorView(s1, 2, (3,), (2,))),
        ("halfs", contiguous(s2, (2, 3))),
        ("broadcast", TensorView(s0, 1, (3, 2), (0, 1))),         # stride 0, as expand() makes
    ])
    path = tmp_path / "c.pt"
    write_checkpoint(path, state, [s0, s1, s2])
    tensors = read_torch_zip(path)
    grid = base.reshape(4, 6)
    expected = {
        "plain": grid, "transposed": grid.T, "offset_slice": np.array([[5, 7, 9], [11, 13, 15]], dtype="<f4"),
        "longs": longs[2:8:2], "halfs": halfs.reshape(2, 3), "broadcast": np.broadcast_to(base[1:3], (3, 2)),
    }
    assert list(tensors) == list(expected)
    for name, want in expected.items():
        got = tensors[name].load()
        assert got.flags.c_contiguous and got.dtype == want.dtype and np.array_equal(got, want), name
    assert (tensors["longs"].dtype, tensors["halfs"].dtype) == ("i64", "f16")


@pytest.mark.parametrize("key", ["state_dict", "model"])
def test_state_dict_nested_in_a_training_checkpoint(tmp_path, key):
    s = Storage("0", np.arange(6, dtype="<f4"))
    path = tmp_path / "c.pt"
    write_checkpoint(path, {key: {"w": contiguous(s, (2, 3))}, "epoch": 3, "note": "x"}, [s])
    tensors = read_torch_zip(path)
    assert list(tensors) == ["w"] and np.array_equal(tensors["w"].load(), np.arange(6).reshape(2, 3))


def test_view_past_the_storage_is_refused(tmp_path):
    s = Storage("0", np.arange(6, dtype="<f4"))
    path = tmp_path / "c.pt"
    write_checkpoint(path, {"w": TensorView(s, 2, (2, 3), (3, 1))}, [s])
    with pytest.raises(ConversionError, match="reaches element 7 of a storage of 6"):
        read_torch_zip(path)


class _Reduce:
    """Pickles as a call of `func(*args)`: what a malicious checkpoint does."""

    def __init__(self, func, args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def malicious_payloads(marker):
    command = f"touch {marker}"
    return {
        "posix.system": _Reduce(os.system, (command,)),
        "builtins.eval": _Reduce(builtins.eval, (f"__import__('os').system({command!r})",)),
        "subprocess.Popen": _Reduce(subprocess.Popen, (["touch", str(marker)],)),
        "builtins.exec": _Reduce(builtins.exec, (f"import os; os.system({command!r})",)),
    }


@pytest.mark.parametrize("culprit", ["posix.system", "builtins.eval", "subprocess.Popen", "builtins.exec"])
def test_malicious_pickle_is_refused_and_never_runs(tmp_path, convert, culprit):
    marker = tmp_path / "pwned"
    payload = malicious_payloads(marker)[culprit]
    # hidden inside an otherwise plausible state dict
    blob = pickle.dumps({"latent_tokens": payload}, protocol=2)
    path = tmp_path / "evil.bin"
    write_raw_pickle(path, blob)
    with pytest.raises(UnsafePickleError, match=f"refusing to load: the pickle references {culprit}"):
        read_torch_zip(path)
    code, out, err = convert(path, "--config", fixture_dir("tiny_legacy_vq_r64_t32") / "config.json",
                             "--out", tmp_path / "x.tzw")
    assert code == 1
    assert err.strip() == f"convert_checkpoint: error: refusing to load: the pickle references {culprit}"
    assert not marker.exists()
    assert not (tmp_path / "x.tzw").exists()


def test_the_marker_payload_really_works_when_unpickled_normally(tmp_path):
    """Sanity check of the test itself: plain pickle.loads runs the payload (so refusal matters)."""
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(malicious_payloads(marker)["posix.system"], protocol=2))
    assert marker.exists()


def test_unknown_torch_globals_are_refused_too():
    blob = b"\x80\x02ctorch.serialization\nload\nq\x00."  # GLOBAL torch.serialization.load, STOP
    with pytest.raises(UnsafePickleError, match="torch.serialization.load"):
        SafeUnpickler(io.BytesIO(blob)).load()


def test_bad_persistent_id_is_refused(tmp_path):
    class P(pickle.Pickler):
        def persistent_id(self, obj):
            return ("module", "os") if obj == "x" else None
    buf = io.BytesIO()
    P(buf, protocol=2).dump({"w": "x"})
    with pytest.raises(UnsafePickleError, match="unsupported persistent id"):
        SafeUnpickler(io.BytesIO(buf.getvalue())).load()


def _damaged_copies():
    source = (fixture_dir("tiny_legacy_vq_r64_t32") / "pytorch_model.bin").read_bytes()
    with zipfile.ZipFile(fixture_dir("tiny_legacy_vq_r64_t32") / "pytorch_model.bin") as z:
        info = z.getinfo("pytorch_model/data/4")
        data_start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    flipped = bytearray(source)
    flipped[data_start + 100] ^= 0xFF  # inside a stored (uncompressed) storage: zip CRC catches it
    return {
        "truncated": source[: len(source) // 2],
        "flipped_storage_byte": bytes(flipped),
        "not_a_zip": b"PK\x03\x04" + b"\0" * 100,
        "empty": b"",
    }


@pytest.mark.parametrize("case", ["truncated", "flipped_storage_byte", "not_a_zip", "empty"])
def test_damaged_zip_is_refused_cleanly(tmp_path, convert, case):
    path = tmp_path / "broken.bin"
    path.write_bytes(_damaged_copies()[case])
    code, out, err = convert(path, "--config", fixture_dir("tiny_legacy_vq_r64_t32") / "config.json",
                             "--out", tmp_path / "x.tzw")
    assert code == 1, out
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("convert_checkpoint: error: ") and "Traceback" not in err
    assert not (tmp_path / "x.tzw").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".x.tzw")]  # no partial file left


def test_damaged_pickle_stream_is_refused(tmp_path):
    s = Storage("0", np.arange(6, dtype="<f4"))
    path = tmp_path / "c.pt"
    write_checkpoint(path, {"w": contiguous(s, (2, 3))}, [s])
    with zipfile.ZipFile(path) as z:
        blob = z.read("archive/data.pkl")
    write_raw_pickle(path, blob[: len(blob) // 2])
    with pytest.raises(ConversionError, match="damaged pickle"):
        read_torch_zip(path)


def test_deflated_entries_read_and_short_storage_is_refused(tmp_path):
    s = Storage("0", np.arange(6, dtype="<f4"))
    path = tmp_path / "c.pt"
    write_checkpoint(path, {"w": contiguous(s, (2, 3))}, [s], compress=True)
    assert np.array_equal(read_torch_zip(path)["w"].load(), np.arange(6).reshape(2, 3))
    short = Storage("0", np.arange(4, dtype="<f4"))  # the zip entry is shorter than the pickle says
    write_checkpoint(path, {"w": TensorView(Storage("0", np.arange(6, dtype="<f4")), 0, (2, 3), (3, 1))}, [short])
    with pytest.raises(ConversionError, match="storage archive/data/0 holds 16 bytes, expected 24"):
        read_torch_zip(path)["w"].load()
