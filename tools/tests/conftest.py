"""Shared helpers for the converter tests: import path, fixture locations, an in-process CLI runner."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[1]
REPO = TOOLS.parent
sys.path.insert(0, str(TOOLS))
sys.path.insert(0, str(Path(__file__).resolve().parent))

TITOK_CASES = ["tiny_legacy_vq_r64_t32", "tiny_legacy_vq_r128_t64", "tiny_vq8k_r64_t16", "tiny_vae_r64_t32"]
GENERATOR_CASES = ["tiny_gen_bert_t32", "tiny_gen_uvit_t32"]


def fixture_dir(case: str) -> Path:
    group = "generator" if case.startswith("tiny_gen") else "titok"
    return REPO / "Tests" / "Fixtures" / group / case


@pytest.fixture
def convert(capsys):
    """Runs convert_checkpoint.main(argv) in-process; returns (exit code, stdout, stderr)."""
    import convert_checkpoint

    def run(*argv):
        code = convert_checkpoint.main([str(a) for a in argv])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
