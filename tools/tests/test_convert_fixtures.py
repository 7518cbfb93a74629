"""Converting the golden fixtures: every case at f32, every dtype x encoding on some, read back
and compared tensor by tensor with the source; metadata as the spec lists it."""

from __future__ import annotations

import hashlib
import json
import re

import numpy as np
import pytest

import tzw
from converter_paths import GENERATOR_CASES, TITOK_CASES, fixture_dir
from safetensors_reader import read_safetensors
from test_tzw_format import _bf16_reference, is_nearest_even_f16

EXPECTED_CONFIGS = {
    "tiny_legacy_vq_r64_t32": {
        "kind": "legacy_vq", "resolution": 64, "patch_size": 16, "num_tokens": 32, "codebook_size": 4096,
        "token_size": 12, "use_l2_norm": True, "encoder": {"width": 64, "layers": 2, "heads": 4},
        "decoder": {"width": 64, "layers": 2, "heads": 4}, "pixel_hidden_channels": 32, "pixel_z_channels": 32,
        "pixel_codebook_size": 1024},
    "tiny_legacy_vq_r128_t64": {
        "kind": "legacy_vq", "resolution": 128, "patch_size": 16, "num_tokens": 64, "codebook_size": 4096,
        "token_size": 12, "use_l2_norm": True, "encoder": {"width": 96, "layers": 2, "heads": 3},
        "decoder": {"width": 64, "layers": 3, "heads": 2}, "pixel_hidden_channels": 32, "pixel_z_channels": 64,
        "pixel_codebook_size": 1024},
    "tiny_vq8k_r64_t16": {
        "kind": "vq", "resolution": 64, "patch_size": 16, "num_tokens": 16, "codebook_size": 8192,
        "token_size": 16, "use_l2_norm": False, "encoder": {"width": 64, "layers": 2, "heads": 4},
        "decoder": {"width": 96, "layers": 2, "heads": 2}},
    "tiny_vae_r64_t32": {
        "kind": "vae", "resolution": 64, "patch_size": 16, "num_tokens": 32, "codebook_size": 0,
        "token_size": 16, "use_l2_norm": False, "encoder": {"width": 64, "layers": 2, "heads": 4},
        "decoder": {"width": 64, "layers": 2, "heads": 4}},
    "tiny_gen_bert_t32": {
        "kind": "vit", "num_tokens": 32, "codebook_size": 4096, "num_classes": 1000, "hidden": 64, "layers": 2,
        "heads": 4, "intermediate": 256, "tokenizer_variant": None,
        "sampling": {"steps": 8, "randomize_temperature": 0.0, "guidance_scale": 3.0,
                     "guidance_decay": "constant", "softmax_temperature_annealing": False}},
    "tiny_gen_uvit_t32": {
        "kind": "uvit", "num_tokens": 32, "codebook_size": 4096, "num_classes": 1000, "hidden": 64, "layers": 4,
        "heads": 4, "intermediate": 256, "tokenizer_variant": None,
        "sampling": {"steps": 8, "randomize_temperature": 0.0, "guidance_scale": 3.0,
                     "guidance_decay": "constant", "softmax_temperature_annealing": False}},
}


def source_tensors(case: str) -> dict[str, np.ndarray]:
    return {k: np.array(t.load()) for k, t in read_safetensors(fixture_dir(case) / "model.safetensors").items()}


def check_same_tensors(path, case: str, dtype: str, encoding: str) -> None:
    source = source_tensors(case)
    with tzw.TZWFile(path) as f:
        f.verify()
        assert f.names == list(source)
        for name, expected in source.items():
            e = f.entry(name)
            assert (e.dtype, e.encoding, e.shape) == (dtype, encoding, expected.shape), name
            stored = f.array(name)
            if dtype == "f32":
                assert np.array_equal(stored.view("<u4"), expected.view("<u4")), name  # bit-exact
            elif dtype == "f16":
                assert is_nearest_even_f16(expected, stored), name
            else:
                assert np.array_equal(stored.astype(np.uint64), _bf16_reference(expected)), name


@pytest.mark.parametrize("case", TITOK_CASES + GENERATOR_CASES)
def test_every_fixture_converts_exactly_at_f32(tmp_path, convert, case):
    code, out, err = convert(fixture_dir(case), "--models-dir", tmp_path, "--variant", case)
    assert code == 0, err
    meta_case = json.loads((fixture_dir(case) / "meta.json").read_text())
    resolution = meta_case.get("resolution", 64)
    path = tmp_path / f"{case}-{resolution}.tzw"
    assert path.exists(), out
    check_same_tensors(path, case, "f32", "raw")
    with tzw.TZWFile(path) as f:
        meta = f.metadata
        params = sum(int(np.prod(e.shape)) for e in f.entries)
    assert params == meta_case["num_parameters"]
    assert meta["format"] == "titok-zoo-weights"
    assert meta["family"] == ("maskgit" if case.startswith("tiny_gen") else "titok")
    assert meta["variant"] == case
    assert meta["config"] == EXPECTED_CONFIGS[case]
    assert meta["dtype"] == "f32"
    prov = meta["provenance"]
    assert prov["converter"] == "convert_checkpoint.py 1.0.0"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", prov["created"])
    for source in prov["sources"]:
        data = (fixture_dir(case) / source["file"]).read_bytes()
        assert source["sha256"] == hashlib.sha256(data).hexdigest()
    assert {s["file"] for s in prov["sources"]} == {"config.json", "model.safetensors"}
    assert f"{params / 1e6:.2f} M parameters" in out


@pytest.mark.parametrize("dtype", ["f32", "f16", "bf16"])
@pytest.mark.parametrize("encoding, options", [("raw", []), ("zlib", ["--compress", "zlib"]),
                                               ("zlib+shuffle", ["--shuffle"])])
def test_every_dtype_and_encoding(tmp_path, convert, dtype, encoding, options):
    case = "tiny_vae_r64_t32"
    out = tmp_path / "m.tzw"
    code, _, err = convert(fixture_dir(case), "--out", out, "--dtype", dtype, *options)
    assert code == 0, err
    check_same_tensors(out, case, dtype, encoding)
    with tzw.TZWFile(out) as f:
        assert f.metadata["dtype"] == dtype
        assert f.metadata["variant"] == "custom-tiny_vae_r64_t32"


@pytest.mark.parametrize("case", ["tiny_legacy_vq_r64_t32", "tiny_gen_uvit_t32"])
def test_half_precision_with_shuffle_on_larger_cases(tmp_path, convert, case):
    out = tmp_path / "m.tzw"
    code, _, err = convert(fixture_dir(case), "--out", out, "--dtype", "bf16", "--shuffle", "--alignment", "4096")
    assert code == 0, err
    check_same_tensors(out, case, "bf16", "zlib+shuffle")
    with tzw.TZWFile(out) as f:
        assert f.header.alignment == 4096


def test_torch_bin_gives_the_same_tensors_as_safetensors(tmp_path, convert):
    folder = fixture_dir("tiny_legacy_vq_r64_t32")
    a, b = tmp_path / "a.tzw", tmp_path / "b.tzw"
    assert convert(folder / "model.safetensors", "--config", folder / "config.json", "--out", a)[0] == 0
    assert convert(folder / "pytorch_model.bin", "--config", folder / "config.json", "--out", b)[0] == 0
    with tzw.TZWFile(a) as fa, tzw.TZWFile(b) as fb:
        assert sorted(fa.names) == sorted(fb.names)
        for name in fa.names:
            assert fa.entry(name).shape == fb.entry(name).shape
            assert fa.array(name).tobytes() == fb.array(name).tobytes(), name
        assert fa.metadata["config"] == fb.metadata["config"]
        assert fb.metadata["provenance"]["sources"][1]["file"] == "pytorch_model.bin"
