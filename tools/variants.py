"""The registered variant names and their architectures (the team's registry, as the converter
sees it): a converted checkpoint takes the registry name when its config equals one of these."""

from __future__ import annotations

from typing import Any, Mapping

VIT = {"S": {"width": 512, "layers": 8, "heads": 8},
       "B": {"width": 768, "layers": 12, "heads": 12},
       "L": {"width": 1024, "layers": 24, "heads": 16}}


def _titok(kind: str, enc: str, dec: str, tokens: int, resolution: int) -> dict[str, Any]:
    config: dict[str, Any] = {
        "kind": kind, "resolution": resolution, "patch_size": 16, "num_tokens": tokens,
        "encoder": dict(VIT[enc]), "decoder": dict(VIT[dec]),
    }
    if kind == "legacy_vq":
        config.update(codebook_size=4096, token_size=12, use_l2_norm=True, pixel_hidden_channels=128,
                      pixel_z_channels=256, pixel_codebook_size=1024)
    elif kind == "vq":
        config.update(codebook_size=8192, token_size=64, use_l2_norm=False)
    else:
        config.update(codebook_size=0, token_size=16, use_l2_norm=False)
    return config


def _tokenizers() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for size in "SBL":
        for tokens in (32, 64, 128):
            for resolution in (256, 512):
                out.append((f"TiTok-{size}-{tokens}", _titok("legacy_vq", size, size, tokens, resolution)))
    for enc, dec, tokens in (("B", "L", 64), ("B", "L", 128), ("S", "L", 256)):
        out.append((f"TiTok-{enc}{dec}-{tokens}-VQ", _titok("vq", enc, dec, tokens, 256)))
    for enc, dec, tokens in (("L", "L", 32), ("B", "L", 64), ("B", "L", 128)):
        out.append((f"TiTok-{enc}{dec}-{tokens}-VAE", _titok("vae", enc, dec, tokens, 256)))
    return out


TOKENIZERS: list[tuple[str, dict[str, Any]]] = _tokenizers()

# name -> (network config without sampling/tokenizer, paired tokenizer, the paper's sampling settings)
GENERATORS: dict[str, tuple[dict[str, Any], str, dict[str, Any]]] = {
    "MaskGIT-TiTok-L-32": (
        {"kind": "vit", "num_tokens": 32, "codebook_size": 4096, "num_classes": 1000, "hidden": 768,
         "layers": 24, "heads": 16, "intermediate": 3072},
        "TiTok-L-32",
        {"steps": 8, "randomize_temperature": 9.5, "guidance_scale": 4.5, "guidance_decay": "linear",
         "softmax_temperature_annealing": True}),
    "MaskGIT-TiTok-B-64": (
        {"kind": "vit", "num_tokens": 64, "codebook_size": 4096, "num_classes": 1000, "hidden": 768,
         "layers": 24, "heads": 16, "intermediate": 3072},
        "TiTok-B-64",
        {"steps": 8, "randomize_temperature": 11.0, "guidance_scale": 3.0, "guidance_decay": "linear",
         "softmax_temperature_annealing": True}),
    "MaskGIT-TiTok-S-128": (
        {"kind": "uvit", "num_tokens": 128, "codebook_size": 4096, "num_classes": 1000, "hidden": 1024,
         "layers": 20, "heads": 16, "intermediate": 4096},
        "TiTok-S-128",
        {"steps": 64, "randomize_temperature": 2.8, "guidance_scale": 6.9, "guidance_decay": "power-cosine",
         "softmax_temperature_annealing": True}),
}

REGISTERED_NAMES = sorted({name for name, _ in TOKENIZERS} | set(GENERATORS))
_NETWORK_KEYS = ("kind", "num_tokens", "codebook_size", "num_classes", "hidden", "layers", "heads", "intermediate")


def match_tokenizer(config: Mapping[str, Any]) -> str | None:
    """The registry name of a TiTok config, or None for a custom architecture."""
    for name, registered in TOKENIZERS:
        if registered == dict(config):
            return name
    return None


def tokenizer_resolutions(name: str) -> list[int]:
    return [c["resolution"] for n, c in TOKENIZERS if n == name]


def match_generator(config: Mapping[str, Any]) -> str | None:
    """The registry name of a generator config (its network only), or None."""
    network = {k: config.get(k) for k in _NETWORK_KEYS}
    for name, (registered, _, _) in GENERATORS.items():
        if registered == network:
            return name
    return None


def describe_difference(config: Mapping[str, Any], registered: Mapping[str, Any]) -> str:
    """A short "key: ours vs registered" list of the differing top-level keys."""
    keys = sorted(set(config) | set(registered))
    diffs = [f"{k} {config.get(k)!r} vs {registered.get(k)!r}" for k in keys if config.get(k) != registered.get(k)]
    return ", ".join(diffs[:4]) + (", ..." if len(diffs) > 4 else "")


def canonical_name(name: str) -> str | None:
    """The registry spelling of a registered name given in any case (the Swift registry ignores case)."""
    return next((n for n in REGISTERED_NAMES if n.lower() == name.lower()), None)
