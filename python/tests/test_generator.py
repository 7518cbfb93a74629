"""titok.Generator against the generator fixture (converted to .tzw by conftest)."""

from __future__ import annotations

import numpy as np
import pytest

import titok

from conftest import REPO


@pytest.fixture(scope="module")
def golden():
    from safetensors.numpy import load_file

    return load_file(str(REPO / "Tests" / "Fixtures" / "generator" / "tiny_gen_bert_t32" / "expected.safetensors"))


def test_deterministic_generation_matches_reference(model_paths, golden):
    labels = [int(x) for x in golden["labels"]]
    with titok.Generator(model_paths["generator"]) as gen:
        assert (gen.num_tokens, gen.codebook_size, gen.num_classes) == (32, 4096, 1000)
        tokens = gen.generate(labels, steps=8, guidance_scale=3.0, guidance_decay="constant",
                              randomize_temperature=0.0, softmax_temperature_annealing=False)
        assert tokens.dtype == np.int32 and tokens.shape == (3, 32)
        np.testing.assert_array_equal(tokens, golden["generate_constant_g3_s8"])
        tokens = gen.generate(labels, steps=16, guidance_scale=6.9, guidance_decay="power-cosine",
                              randomize_temperature=0.0, softmax_temperature_annealing=True)
        np.testing.assert_array_equal(tokens, golden["generate_powercos_g6.9_s16_anneal"])


def test_seeded_generation_repeats_and_decodes(model_paths):
    with titok.Generator(model_paths["generator"]) as gen, titok.Model(model_paths["legacy"]) as tok:
        a = gen.generate([3, 4], seed=5, randomize_temperature=2.0)
        b = gen.generate([3, 4], seed=5, randomize_temperature=2.0)
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, gen.generate([3, 4], seed=6, randomize_temperature=2.0))
        images = gen.generate_images([3], tok, seed=5, randomize_temperature=2.0)
        assert images.shape == (1, 64, 64, 3) and images.dtype == np.uint8
        np.testing.assert_array_equal(images, tok.decode(a[:1]))


def test_bad_input_raises(model_paths):
    with titok.Generator(model_paths["generator"]) as gen:
        with pytest.raises(titok.InvalidArgumentError, match="0..999"):
            gen.generate([1000])
        with pytest.raises(titok.InvalidArgumentError, match="at least 1"):
            gen.generate([1], steps=0)
        with pytest.raises(titok.InvalidArgumentError, match="guidance_decay"):
            gen.generate([1], guidance_decay="cosine")
        with titok.Model(model_paths["vq"]) as other:  # 8192 codes, 16 tokens: cannot decode these tokens
            with pytest.raises(titok.InvalidArgumentError, match="codebook"):
                gen.generate([1], tokenizer=other)
    with pytest.raises(titok.InvalidArgumentError, match="not a generator"):
        titok.Generator(model_paths["legacy"])
    with pytest.raises(titok.InvalidArgumentError, match="closed"):
        gen.generate([1])
