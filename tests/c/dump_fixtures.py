#!/usr/bin/env python3
"""Writes the inputs and goldens of the C ABI tests as raw little-endian files (tests/c/run.sh).

usage: dump_fixtures.py FIXTURES_TITOK_DIR OUT_DIR
"""
import sys
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file


def u8_recon(decoded: np.ndarray) -> np.ndarray:
    """[B,3,R,R] float -> [B,R,R,3] uint8: clamp to [0,1], x255, truncated (the fixtures' recon_u8)."""
    return (np.clip(decoded.astype(np.float32), 0, 1) * np.float32(255)).astype(np.uint8).transpose(0, 2, 3, 1)


def main() -> None:
    fixtures, out = Path(sys.argv[1]), Path(sys.argv[2])
    write = lambda name, a, dtype: np.ascontiguousarray(a, dtype=dtype).tofile(out / name)
    for prefix, case in (("legacy", "tiny_legacy_vq_r64_t32"), ("vq", "tiny_vq8k_r64_t16")):
        vq = load_file(str(fixtures / case / "expected.safetensors"))
        write(f"{prefix}.image_u8", vq["image_u8"], np.uint8)
        write(f"{prefix}.tokens_i32", vq["tokens"], np.int32)
        write(f"{prefix}.recon_u8", vq["recon_u8"], np.uint8)
        write(f"{prefix}.tokens_given_i32", vq["tokens_given"], np.int32)
        write(f"{prefix}.recon_given_u8", u8_recon(vq["decoded_from_tokens_given"]), np.uint8)

    vae = load_file(str(fixtures / "tiny_vae_r64_t32" / "expected.safetensors"))
    write("vae.pixel_values_f32", vae["pixel_values"], np.float32)
    b, c, _, n = vae["posterior_mean"].shape
    write("vae.posterior_mean_f32", vae["posterior_mean"].reshape(b, c, n), np.float32)
    write("vae.decoded_f32", vae["decoded"], np.float32)

    gen = load_file(str(fixtures.parent / "generator" / "tiny_gen_bert_t32" / "expected.safetensors"))
    write("generator.labels_i32", gen["labels"], np.int32)
    write("generator.constant_g3_s8_i32", gen["generate_constant_g3_s8"], np.int32)
    write("generator.image_u8", gen["image_from_constant_g3_s8"], np.uint8)


if __name__ == "__main__":
    main()
