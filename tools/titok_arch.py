"""The TiTok tokenizer architecture: derived from the reference config (`model.vq_model.*`,
`dataset.preprocessing.crop_size`) and checked against the tensor shapes; the expected tensor
set of a config. The result is the `config` object of the .tzw metadata (docs/weight-format.md)."""

from __future__ import annotations

from math import isqrt
from typing import Any, Mapping

from arch_common import ConfigView, Shapes, check_tensor_set, count_layers, crop_size, dim
from checkpoint_types import ConversionError

VIT_SIZES = {"small": (512, 8, 8), "base": (768, 12, 12), "large": (1024, 24, 16)}
PIXEL_CHANNEL_MULT = (1, 1, 2, 2, 4)


def _agree(name: str, from_config, from_tensors, mismatch: str, missing: str):
    """The config's value, checked against the one read off the tensors (either may be None)."""
    if from_config is not None and from_tensors is not None and from_config != from_tensors:
        raise ConversionError(mismatch)
    value = from_config if from_config is not None else from_tensors
    if value is None:
        raise ConversionError(f"cannot determine {name}: {missing}")
    return value


def _kind(vq: ConfigView) -> str:
    mode = vq.str("quantize_mode", "vq")
    legacy = vq.bool("is_legacy", True)
    finetune = vq.bool("finetune_decoder", True)
    if mode == "vae":
        if legacy:
            raise ConversionError("config says quantize_mode vae with is_legacy true (absent means true): "
                                  "a VAE needs is_legacy false (RGB head)")
        if finetune:
            raise ConversionError("config says quantize_mode vae with finetune_decoder true (absent means "
                                  "true): the reference supports the pixel decoder with VQ only")
        return "vae"
    if mode != "vq":
        raise ConversionError(f"config model.vq_model.quantize_mode is {mode!r}; expected 'vq' or 'vae'")
    if legacy and finetune:
        return "legacy_vq"
    if not legacy and not finetune:
        return "vq"
    if legacy:
        raise ConversionError("config describes a stage-1 legacy checkpoint (is_legacy true, finetune_decoder "
                              "false): it has no pixel decoder and cannot make images; convert the stage-2 one")
    raise ConversionError("config says is_legacy false with finetune_decoder true: no released model has "
                          "an RGB head followed by the pixel decoder")


def _vit_size(vq: ConfigView, side: str, shapes: Shapes, width_tensor: tuple[str, int], width_what: str):
    """(width, layers, heads) of the encoder ("enc") or decoder ("dec")."""
    long = "encoder" if side == "enc" else "decoder"
    model_size = vq.str(f"vit_{side}_model_size")
    width = vq.int(f"vit_{side}_width")
    layers = vq.int(f"vit_{side}_num_layers")
    heads = vq.int(f"vit_{side}_num_heads")
    if model_size is not None and model_size.lower() in VIT_SIZES:
        named = VIT_SIZES[model_size.lower()]
        for key, given, value in (("width", width, named[0]), ("num_layers", layers, named[1]),
                                  ("num_heads", heads, named[2])):
            if given is not None and given != value:
                raise ConversionError(f"config vit_{side}_{key} {given} contradicts vit_{side}_model_size "
                                      f"{model_size} ({value})")
        width, layers, heads = named
        source = f"vit_{side}_model_size {model_size}"
    elif model_size is None or model_size.lower() == "custom":
        source = f"vit_{side}_width"
    else:
        raise ConversionError(f"config vit_{side}_model_size is {model_size!r}; expected small, base, large "
                              "or custom")
    tensor_width = dim(shapes, *width_tensor)
    width = _agree(f"the {long} width", width, tensor_width,
                   f"config says {long} width {width} ({source}) but {width_tensor[0]} has "
                   f"{tensor_width} {width_what}",
                   f"config has no vit_{side}_width and {width_tensor[0]} is missing")
    tensor_layers = count_layers(shapes, f"{long}.transformer.") if shapes else None
    layers = _agree(f"the {long} depth", layers, tensor_layers,
                    f"config says {layers} {long} layers but the checkpoint has {tensor_layers} "
                    f"({long}.transformer.0..{(tensor_layers or 0) - 1})",
                    f"config has no vit_{side}_num_layers")
    if heads is None:
        raise ConversionError(f"cannot determine the {long} heads: config has neither vit_{side}_model_size "
                              f"small/base/large nor vit_{side}_num_heads")
    if width <= 0 or heads <= 0 or width % heads:
        raise ConversionError(f"{long} width {width} is not divisible by {heads} heads")
    return {"width": width, "layers": layers, "heads": heads}


def titok_config(root: Mapping[str, Any], shapes: Shapes | None = None) -> dict[str, Any]:
    """The .tzw config for a reference config, cross-checked with the tensor shapes when given
    (every disagreement is an error naming both sides). With no shapes, the config alone."""
    s = shapes or {}
    vq = ConfigView(root, "model.vq_model")
    kind = _kind(vq)

    p_cfg = vq.int("vit_enc_patch_size")
    p_ten = dim(s, "encoder.patch_embed.weight", 2)
    patch = _agree("the patch size", p_cfg, p_ten,
                   f"config says vit_enc_patch_size {p_cfg} but encoder.patch_embed.weight has {p_ten}x{p_ten} kernels",
                   "config has no vit_enc_patch_size")
    p_dec = vq.int("vit_dec_patch_size", patch)
    if p_dec != patch:
        raise ConversionError(f"config has vit_enc_patch_size {patch} but vit_dec_patch_size {p_dec}: "
                              "the format needs one patch size")

    n_cfg = vq.int("num_latent_tokens")
    n_ten = dim(s, "latent_tokens", 0)
    tokens = _agree("the number of tokens", n_cfg, n_ten,
                    f"config says num_latent_tokens {n_cfg} but latent_tokens has {n_ten} rows",
                    "config has no num_latent_tokens")

    r_cfg = crop_size(root)
    positions = dim(s, "encoder.positional_embedding", 0)
    r_ten = None
    if positions is not None:
        side = isqrt(max(positions - 1, 0))
        if side * side != positions - 1 or side == 0:
            raise ConversionError(f"encoder.positional_embedding has {positions} rows, not 1 + a square number of patches")
        r_ten = side * patch
    if r_cfg is not None and r_cfg % patch:
        raise ConversionError(f"config crop_size {r_cfg} is not a multiple of the patch size {patch}")
    g = (r_cfg or 0) // patch
    resolution = _agree("the resolution", r_cfg, r_ten,
                        f"config says crop_size {r_cfg} ({g}x{g} patches of {patch}: {g * g + 1} positions) but "
                        f"encoder.positional_embedding has {positions} rows",
                        "config has no dataset.preprocessing.crop_size")

    c_cfg = vq.int("token_size")
    c_out = dim(s, "encoder.conv_out.weight", 0)
    factor = 2 if kind == "vae" else 1
    if c_cfg is not None and c_out is not None and c_out != factor * c_cfg:
        extra = f" (a VAE's encoder needs 2 x token_size = {2 * c_cfg})" if kind == "vae" else ""
        raise ConversionError(f"config says token_size {c_cfg} but encoder.conv_out.weight has {c_out} "
                              f"output channels{extra}")
    token_size = _agree("token_size", c_cfg, None if c_out is None else c_out // factor, "",
                        "config has no token_size")

    codebook = 0
    if kind != "vae":
        k_cfg = vq.int("codebook_size")
        k_ten = dim(s, "quantize.embedding.weight", 0)
        codebook = _agree("codebook_size", k_cfg, k_ten,
                          f"config says codebook_size {k_cfg} but quantize.embedding.weight has {k_ten} rows",
                          "config has no codebook_size")
        use_l2 = vq.bool("use_l2_norm")
        if use_l2 is None:
            raise ConversionError("config has no model.vq_model.use_l2_norm (needed for a VQ model)")
    else:
        use_l2 = False
        if "quantize.embedding.weight" in s:
            raise ConversionError("config says quantize_mode vae but the checkpoint has a VQ codebook "
                                  "(quantize.embedding.weight)")

    if kind == "legacy_vq" and s and "pixel_decoder.conv_in.weight" not in s and "decoder.conv_out.weight" in s:
        raise ConversionError("config describes a legacy two-stage model (is_legacy absent or true) but the "
                              "tensors are a single-stage one (decoder.conv_out, no pixel_decoder)")
    if kind != "legacy_vq" and "pixel_decoder.conv_in.weight" in s:
        raise ConversionError("config says is_legacy false but the checkpoint has a pixel decoder "
                              "(pixel_decoder.*): set is_legacy true for two-stage models")

    config: dict[str, Any] = {
        "kind": kind,
        "resolution": resolution,
        "patch_size": patch,
        "num_tokens": tokens,
        "codebook_size": codebook,
        "token_size": token_size,
        "use_l2_norm": use_l2,
        "encoder": _vit_size(vq, "enc", s, ("encoder.patch_embed.weight", 0), "output channels"),
        "decoder": _vit_size(vq, "dec", s, ("decoder.decoder_embed.weight", 0), "rows"),
    }
    if kind == "legacy_vq":
        h_cfg = vq.int("pixel_hidden_channels", 128 if not s else None)
        h_ten = dim(s, "pixel_decoder.conv_out.weight", 1)
        z_cfg = vq.int("pixel_z_channels", 256 if not s else None)
        z_ten = dim(s, "pixel_quantize.embedding.weight", 1)
        config["pixel_hidden_channels"] = _agree(
            "pixel_hidden_channels", h_cfg, h_ten,
            f"config says pixel_hidden_channels {h_cfg} but pixel_decoder.conv_out.weight has {h_ten} input channels",
            "config has no pixel_hidden_channels and pixel_decoder.conv_out.weight is missing")
        config["pixel_z_channels"] = _agree(
            "pixel_z_channels", z_cfg, z_ten,
            f"config says pixel_z_channels {z_cfg} but pixel_quantize.embedding.weight has {z_ten} columns",
            "config has no pixel_z_channels and pixel_quantize.embedding.weight is missing")
        config["pixel_codebook_size"] = dim(s, "pixel_quantize.embedding.weight", 0) or 1024
        if config["pixel_hidden_channels"] % 32:
            raise ConversionError(f"pixel_hidden_channels {config['pixel_hidden_channels']} is not a multiple "
                                  "of 32 (the GroupNorm groups)")
    return config


def _vit_tensors(out: dict, prefix: str, width: int, layers: int) -> None:
    for name in ("ln_pre", "ln_post"):
        out[f"{prefix}.{name}.weight"] = (width,)
        out[f"{prefix}.{name}.bias"] = (width,)
    for i in range(layers):
        b = f"{prefix}.transformer.{i}"
        for ln in ("ln_1", "ln_2"):
            out[f"{b}.{ln}.weight"] = (width,)
            out[f"{b}.{ln}.bias"] = (width,)
        out[f"{b}.attn.in_proj_weight"] = (3 * width, width)
        out[f"{b}.attn.in_proj_bias"] = (3 * width,)
        out[f"{b}.attn.out_proj.weight"] = (width, width)
        out[f"{b}.attn.out_proj.bias"] = (width,)
        out[f"{b}.mlp.c_fc.weight"] = (4 * width, width)
        out[f"{b}.mlp.c_fc.bias"] = (4 * width,)
        out[f"{b}.mlp.c_proj.weight"] = (width, 4 * width)
        out[f"{b}.mlp.c_proj.bias"] = (width,)


def _res_block(out: dict, prefix: str, cin: int, cout: int) -> None:
    out[f"{prefix}.norm1.weight"] = (cin,)
    out[f"{prefix}.norm1.bias"] = (cin,)
    out[f"{prefix}.conv1.weight"] = (cout, cin, 3, 3)
    out[f"{prefix}.norm2.weight"] = (cout,)
    out[f"{prefix}.norm2.bias"] = (cout,)
    out[f"{prefix}.conv2.weight"] = (cout, cout, 3, 3)
    if cin != cout:
        out[f"{prefix}.nin_shortcut.weight"] = (cout, cout, 1, 1)


LINEAR_WEIGHT_SUFFIXES = (".attn.in_proj_weight", ".attn.out_proj.weight", ".mlp.c_fc.weight", ".mlp.c_proj.weight")
LINEAR_WEIGHT_NAMES = ("decoder.ffn.0.weight", "decoder.ffn.2.weight")


def is_linear_weight(name: str) -> bool:
    """Whether the engine reads this TiTok tensor as a Linear weight (the tensors a converted file
    stores as strips16; Swift's TiTokTensorLayout.isLinearWeight names the same ones)."""
    return name.endswith(LINEAR_WEIGHT_SUFFIXES) or name in LINEAR_WEIGHT_NAMES


def titok_expected_shapes(config: Mapping[str, Any]) -> dict[str, tuple]:
    """Every tensor a TiTok model of this config has, with its shape (reference key names)."""
    we, le = config["encoder"]["width"], config["encoder"]["layers"]
    wd, ld = config["decoder"]["width"], config["decoder"]["layers"]
    n, p, c = config["num_tokens"], config["patch_size"], config["token_size"]
    positions = (config["resolution"] // p) ** 2 + 1
    c_pre = 2 * c if config["kind"] == "vae" else c
    out: dict[str, tuple] = {"latent_tokens": (n, we)}
    out["encoder.class_embedding"] = (1, we)
    out["encoder.positional_embedding"] = (positions, we)
    out["encoder.latent_token_positional_embedding"] = (n, we)
    out["encoder.patch_embed.weight"] = (we, 3, p, p)
    out["encoder.patch_embed.bias"] = (we,)
    _vit_tensors(out, "encoder", we, le)
    out["encoder.conv_out.weight"] = (c_pre, we, 1, 1)
    out["encoder.conv_out.bias"] = (c_pre,)
    out["decoder.class_embedding"] = (1, wd)
    out["decoder.positional_embedding"] = (positions, wd)
    out["decoder.mask_token"] = (1, 1, wd)
    out["decoder.latent_token_positional_embedding"] = (n, wd)
    out["decoder.decoder_embed.weight"] = (wd, c)
    out["decoder.decoder_embed.bias"] = (wd,)
    _vit_tensors(out, "decoder", wd, ld)
    if config["kind"] != "vae":
        out["quantize.embedding.weight"] = (config["codebook_size"], c)
    if config["kind"] == "legacy_vq":
        pk, h, z = config["pixel_codebook_size"], config["pixel_hidden_channels"], config["pixel_z_channels"]
        out["decoder.ffn.0.weight"] = (2 * wd, wd, 1, 1)
        out["decoder.ffn.0.bias"] = (2 * wd,)
        out["decoder.ffn.2.weight"] = (pk, 2 * wd, 1, 1)
        out["decoder.ffn.2.bias"] = (pk,)
        out["pixel_quantize.embedding.weight"] = (pk, z)
        m = PIXEL_CHANNEL_MULT
        top = h * m[-1]
        out["pixel_decoder.conv_in.weight"] = (top, z, 3, 3)
        out["pixel_decoder.conv_in.bias"] = (top,)
        for j in range(2):
            _res_block(out, f"pixel_decoder.mid.{j}", top, top)
        for level in range(len(m)):
            cin = top if level == len(m) - 1 else h * m[level + 1]
            cout = h * m[level]
            _res_block(out, f"pixel_decoder.up.{level}.block.0", cin, cout)
            _res_block(out, f"pixel_decoder.up.{level}.block.1", cout, cout)
            if level != 0:
                out[f"pixel_decoder.up.{level}.upsample_conv.weight"] = (cout, cout, 3, 3)
                out[f"pixel_decoder.up.{level}.upsample_conv.bias"] = (cout,)
        out["pixel_decoder.norm_out.weight"] = (h,)
        out["pixel_decoder.norm_out.bias"] = (h,)
        out["pixel_decoder.conv_out.weight"] = (3, h, 3, 3)
        out["pixel_decoder.conv_out.bias"] = (3,)
    else:
        out["decoder.ffn.0.weight"] = (p * p * 3, wd, 1, 1)
        out["decoder.ffn.0.bias"] = (p * p * 3,)
        out["decoder.conv_out.weight"] = (3, 3, 3, 3)
        out["decoder.conv_out.bias"] = (3,)
    return out


def check_titok(root: Mapping[str, Any], shapes: Shapes) -> dict[str, Any]:
    """Derives the config from the reference config and the shapes, then checks the whole tensor set."""
    config = titok_config(root, shapes)
    check_tensor_set(titok_expected_shapes(config), shapes, f"a TiTok {config['kind']} model of this config")
    return config
