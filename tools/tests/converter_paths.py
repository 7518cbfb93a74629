"""Where the converter tests find the tools and the golden fixtures (repo paths, never /work/shared)."""

from __future__ import annotations

from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1]
REPO = TOOLS.parent

TITOK_CASES = ["tiny_legacy_vq_r64_t32", "tiny_legacy_vq_r128_t64", "tiny_vq8k_r64_t16", "tiny_vae_r64_t32"]
GENERATOR_CASES = ["tiny_gen_bert_t32", "tiny_gen_uvit_t32"]


def fixture_dir(case: str) -> Path:
    group = "generator" if case.startswith("tiny_gen") else "titok"
    return REPO / "Tests" / "Fixtures" / group / case
