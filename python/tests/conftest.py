"""Fixtures of the binding tests: import path, fixture models converted to .tzw, goldens."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PYTHON_DIR = Path(__file__).resolve().parents[1]
REPO = PYTHON_DIR.parent
FIXTURES = REPO / "Tests" / "Fixtures" / "titok"
sys.path.insert(0, str(PYTHON_DIR))

# case -> variant name written into the converted file
CASES = {
    "legacy": "tiny_legacy_vq_r64_t32",
    "vq": "tiny_vq8k_r64_t16",
    "vae": "tiny_vae_r64_t32",
}


@pytest.fixture(scope="session")
def model_paths(tmp_path_factory) -> dict[str, Path]:
    """The fixture checkpoints converted with tools/convert_checkpoint.py, by case."""
    out = tmp_path_factory.mktemp("models")
    paths = {}
    for case, name in CASES.items():
        path = out / f"{name}.tzw"
        subprocess.run([sys.executable, str(REPO / "tools" / "convert_checkpoint.py"), str(FIXTURES / name),
                        "--variant", name, "--out", str(path), "--quiet"], check=True)
        paths[case] = path
    generator = out / "tiny_gen_bert_t32.tzw"
    subprocess.run([sys.executable, str(REPO / "tools" / "convert_checkpoint.py"),
                    str(REPO / "Tests" / "Fixtures" / "generator" / "tiny_gen_bert_t32"),
                    "--variant", "tiny_gen_bert_t32", "--out", str(generator), "--quiet"], check=True)
    paths["generator"] = generator
    return paths


@pytest.fixture(scope="session")
def expected():
    """Goldens of a fixture case (expected.safetensors as numpy arrays)."""
    from safetensors.numpy import load_file

    cache = {}

    def load(case: str) -> dict:
        if case not in cache:
            cache[case] = load_file(str(FIXTURES / CASES[case] / "expected.safetensors"))
        return cache[case]

    return load
