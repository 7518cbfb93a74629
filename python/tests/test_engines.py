"""The matrix engines end to end: the AVX-512 and AVX2 kernels give the same bits for a whole
encode and decode (tokens made on one CPU generation match another's), OpenBLAS the same
results within the fixture tolerance. Each engine runs in its own process (TITOK_GEMM is read
once per process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import titok

PYTHON_DIR = Path(__file__).resolve().parents[1]
FIXTURES = PYTHON_DIR.parent / "Tests" / "Fixtures" / "titok"
NAMES = {"vae": "tiny_vae_r64_t32", "legacy": "tiny_legacy_vq_r64_t32"}

RUN = r"""
import sys, numpy as np
sys.path.insert(0, sys.argv[1])
import titok
from safetensors.numpy import load_file
want = load_file(sys.argv[3])
out = {"engine": titok.compute_engine()}
with titok.Model(sys.argv[2], threads=2) as model:
    latents = model.encode_latents(want["pixel_values"])
    out["latents"] = latents
    out["pixels"] = model.decode_latents(latents)
np.savez(sys.argv[4], **out)
"""


def _cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _run(engine: str, model: Path, expected: Path, out: Path) -> dict:
    env = dict(os.environ, TITOK_GEMM=engine)
    subprocess.run([sys.executable, "-c", RUN, str(PYTHON_DIR), str(model), str(expected), str(out)], check=True, env=env)
    with np.load(out) as data:
        return {key: data[key] for key in data.files}


@pytest.mark.parametrize("case", ["vae", "legacy"])
def test_engines_agree(case, model_paths, tmp_path):
    expected = FIXTURES / NAMES[case] / "expected.safetensors"
    results = {engine: _run(engine, model_paths[case], expected, tmp_path / f"{engine}.npz")
               for engine in ("avx512", "avx2", "openblas")}
    flags = _cpu_flags()
    assert str(results["openblas"]["engine"]) == "openblas"
    if {"avx2", "fma"} <= flags:
        assert str(results["avx2"]["engine"]) == "avx2"
    if {"avx2", "fma", "avx512f"} <= flags:
        assert str(results["avx512"]["engine"]) == "avx512"
        for key in ("latents", "pixels"):
            np.testing.assert_array_equal(results["avx512"][key].view(np.uint32), results["avx2"][key].view(np.uint32),
                                          err_msg=f"{case} {key}: AVX-512 and AVX2 bits")
    for key, tolerance in (("latents", 1e-4), ("pixels", 1e-4)):
        np.testing.assert_allclose(results["openblas"][key], results["avx512"][key], rtol=0, atol=tolerance)


def test_compute_engine_names_this_process():
    assert titok.compute_engine() in ("avx512", "avx2", "openblas")
