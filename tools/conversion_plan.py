"""What a conversion produces, decided from shapes alone: the family, the architecture config
(checked against the tensors), and the variant name (the registry's when it matches)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import variants
from arch_common import crop_size
from checkpoint_types import ConversionError, SourceTensor
from maskgit_arch import IGNORED_TENSORS, check_maskgit, is_generator
from titok_arch import check_titok, titok_config

VARIANT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$")


@dataclass
class Plan:
    family: str
    variant: str
    config: dict[str, Any]
    resolution: int | None
    tensors: list[SourceTensor]
    warnings: list[str] = field(default_factory=list)


def _check_variant_name(name: str) -> str:
    if not VARIANT_NAME.match(name):
        raise ConversionError(f"variant name {name!r} must be letters, digits, '.', '_', '+' or '-' "
                              "(it becomes part of a file name)")
    return name


def _custom_name(args, label: str, config: dict[str, Any], registered_lookup) -> str:
    if args.variant:
        canonical = variants.canonical_name(args.variant)
        registered = registered_lookup(canonical) if canonical else None
        if canonical:
            detail = variants.describe_difference(config, registered) if registered else "another family"
            raise ConversionError(f"--variant {args.variant} is the registered variant {canonical}, but this "
                                  f"checkpoint differs from it: {detail}")
        return _check_variant_name(args.variant)
    return _check_variant_name(f"custom-{re.sub(r'[^A-Za-z0-9._+-]', '_', label)}")


def plan_conversion(args, root: dict[str, Any], tensors: dict[str, SourceTensor], label: str) -> Plan:
    shapes = {k: t.shape for k, t in tensors.items()}
    warnings: list[str] = []
    if is_generator(shapes):
        config = check_maskgit(root, shapes)
        kept = [t for k, t in tensors.items() if k not in IGNORED_TENSORS]
        name = variants.match_generator(config)
        if name:
            _, paired, sampling = variants.GENERATORS[name]
            config["sampling"] = dict(sampling)
            config["tokenizer_variant"] = paired
            if args.tokenizer_variant and args.tokenizer_variant != paired:
                warnings.append(f"--tokenizer-variant {args.tokenizer_variant} ignored: {name} pairs with {paired}")
        else:
            if args.tokenizer_variant:
                _check_variant_name(args.tokenizer_variant)
            config["tokenizer_variant"] = args.tokenizer_variant or _paired_tokenizer(root)
            name = _custom_name(args, label, config,
                                lambda n: variants.GENERATORS[n][0] if n in variants.GENERATORS else None)
        if args.variant and name != args.variant and name in variants.GENERATORS:
            warnings.append(f"--variant {args.variant} ignored: the architecture is the registered {name}")
        return Plan("maskgit", name, config, crop_size(root), kept, warnings)
    if "encoder.patch_embed.weight" not in shapes and "latent_tokens" not in shapes:
        raise ConversionError("cannot tell what model this is: no encoder.patch_embed.weight (TiTok tokenizer) "
                              "and no lm_head.weight (MaskGIT generator)")
    config = check_titok(root, shapes)
    name = variants.match_tokenizer(config)
    if name:
        if args.variant and args.variant != name:
            warnings.append(f"--variant {args.variant} ignored: the architecture is the registered {name}")
    else:
        def registered(n: str):
            named = [c for v, c in variants.TOKENIZERS if v == n]
            same = [c for c in named if c["resolution"] == config["resolution"]]
            return (same or named or [None])[0]
        name = _custom_name(args, label, config, registered)
    return Plan("titok", name, config, config["resolution"], list(tensors.values()), warnings)


def _paired_tokenizer(root: dict[str, Any]) -> str | None:
    """The registry name of the tokenizer the generator's config describes, if it is a registered one."""
    try:
        return variants.match_tokenizer(titok_config(root))
    except ConversionError:
        return None
