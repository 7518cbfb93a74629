"""The MaskGIT generator architecture (BERT-style "ViT" or "UViT"): derived from the reference
config (`model.generator.*`, `model.vq_model.codebook_size`) and checked against the tensor
shapes; the expected tensor set. The result is the `config` object of the .tzw metadata."""

from __future__ import annotations

from typing import Any, Mapping

from arch_common import ConfigView, Shapes, check_tensor_set, count_layers, dim
from checkpoint_types import ConversionError

# Buffers some checkpoints carry that the model does not need: dropped by the converter.
IGNORED_TENSORS = ("model.embeddings.position_ids",)
GUIDANCE_DECAYS = ("constant", "linear", "power-cosine")
# The reference `generate()` defaults, for configs that leave a sampling key out.
REFERENCE_SAMPLING_DEFAULTS = {"steps": 8, "randomize_temperature": 4.5, "guidance_scale": 3.0,
                               "guidance_decay": "constant", "softmax_temperature_annealing": False}


def is_generator(shapes: Shapes) -> bool:
    return "model.lm_head.weight" in shapes or "lm_head.weight" in shapes


def _tensor_kind(shapes: Shapes) -> str | None:
    if "model.lm_head.weight" in shapes or any(k.startswith("model.encoder.layer.") for k in shapes):
        return "vit"
    if "pos_embed" in shapes or any(k.startswith("in_blocks.") for k in shapes):
        return "uvit"
    return None


def _agree(from_config, from_tensors, mismatch: str, missing: str):
    if from_config is not None and from_tensors is not None and from_config != from_tensors:
        raise ConversionError(mismatch)
    value = from_config if from_config is not None else from_tensors
    if value is None:
        raise ConversionError(missing)
    return value


def sampling_from_config(gen: ConfigView) -> dict[str, Any]:
    d = REFERENCE_SAMPLING_DEFAULTS
    sampling = {
        "steps": gen.int("num_steps", d["steps"]),
        "randomize_temperature": gen.float("randomize_temperature", d["randomize_temperature"]),
        "guidance_scale": gen.float("guidance_scale", d["guidance_scale"]),
        "guidance_decay": gen.str("guidance_decay", d["guidance_decay"]),
        "softmax_temperature_annealing": gen.bool("softmax_temperature_annealing",
                                                  d["softmax_temperature_annealing"]),
    }
    if sampling["guidance_decay"] not in GUIDANCE_DECAYS:
        raise ConversionError(f"config model.generator.guidance_decay is {sampling['guidance_decay']!r}; "
                              f"expected one of {', '.join(GUIDANCE_DECAYS)}")
    if sampling["steps"] <= 0:
        raise ConversionError("config model.generator.num_steps must be positive")
    return sampling


def maskgit_config(root: Mapping[str, Any], shapes: Shapes) -> dict[str, Any]:
    """The generator's .tzw config (tokenizer_variant left None), every value cross-checked."""
    gen = ConfigView(root, "model.generator")
    vq = ConfigView(root, "model.vq_model")
    model_type = gen.str("model_type", "ViT")
    kinds = {"vit": "vit", "uvit": "uvit"}
    if model_type.lower() not in kinds:
        raise ConversionError(f"config model.generator.model_type is {model_type!r}; expected ViT or UViT")
    kind = kinds[model_type.lower()]
    seen = _tensor_kind(shapes)
    if seen is not None and seen != kind:
        shown = "ViT/BERT (model.encoder.layer.*)" if seen == "vit" else "UViT (in_blocks.*, pos_embed)"
        raise ConversionError(f"config says model_type {model_type} but the tensors are a {shown} generator")

    if kind == "vit":
        embed, positions_key, positions_axis = "model.embeddings.word_embeddings.weight", \
            "model.embeddings.position_embeddings.weight", 0
        head = "model.lm_head.weight"
        tensor_layers = count_layers(shapes, "model.encoder.layer.")
        inter_key = "model.encoder.layer.0.intermediate.dense.weight"
    else:
        embed, positions_key, positions_axis = "embeddings.weight", "pos_embed", 1
        head = "lm_head.weight"
        tensor_layers = 2 * count_layers(shapes, "in_blocks.")
        inter_key = "mid_block.mlp.fc1.weight"

    h_cfg, h_ten = gen.int("hidden_size"), dim(shapes, embed, 1)
    hidden = _agree(h_cfg, h_ten, f"config says hidden_size {h_cfg} but {embed} has {h_ten} columns",
                    "cannot determine the hidden size: config has no model.generator.hidden_size")
    l_cfg = gen.int("num_hidden_layers")
    if kind == "uvit" and l_cfg is not None and l_cfg % 2:
        raise ConversionError(f"config says num_hidden_layers {l_cfg}: a UViT generator needs an even number "
                              "(as many in-blocks as out-blocks)")
    if kind == "uvit" and l_cfg is not None:
        l_cfg_blocks = 2 * (l_cfg // 2)
        if tensor_layers != l_cfg_blocks:
            raise ConversionError(f"config says num_hidden_layers {l_cfg} ({l_cfg // 2} in-blocks and "
                                  f"{l_cfg // 2} out-blocks) but the checkpoint has {tensor_layers // 2} in_blocks")
        outs = count_layers(shapes, "out_blocks.")
        if outs != l_cfg // 2:
            raise ConversionError(f"config says num_hidden_layers {l_cfg} but the checkpoint has {outs} out_blocks")
        layers = l_cfg
    else:
        layers = _agree(l_cfg, tensor_layers,
                        f"config says num_hidden_layers {l_cfg} but the checkpoint has {tensor_layers} layers "
                        "(model.encoder.layer.*)", "config has no model.generator.num_hidden_layers")
    heads = gen.int("num_attention_heads")
    if heads is None:
        raise ConversionError("cannot determine the heads: config has no model.generator.num_attention_heads")
    if heads <= 0 or hidden % heads:
        raise ConversionError(f"hidden size {hidden} is not divisible by {heads} heads")
    i_cfg, i_ten = gen.int("intermediate_size"), dim(shapes, inter_key, 0)
    intermediate = _agree(i_cfg, i_ten, f"config says intermediate_size {i_cfg} but {inter_key} has {i_ten} rows",
                          "cannot determine the MLP width: config has no model.generator.intermediate_size")
    n_cfg, rows = gen.int("image_seq_len"), dim(shapes, positions_key, positions_axis)
    n_ten = None if rows is None else rows - 1
    tokens = _agree(n_cfg, n_ten, f"config says image_seq_len {n_cfg} but {positions_key} has {rows} positions "
                    f"(needs image_seq_len + 1 = {(n_cfg or 0) + 1})",
                    "cannot determine the number of tokens: config has no model.generator.image_seq_len")
    k_cfg, k_ten = vq.int("codebook_size"), dim(shapes, head, 0)
    codebook = _agree(k_cfg, k_ten, f"config says codebook_size {k_cfg} but {head} has {k_ten} rows",
                      "cannot determine the codebook size: config has no model.vq_model.codebook_size")
    vocab = dim(shapes, embed, 0)
    m_cfg = gen.int("condition_num_classes")
    m_ten = None if vocab is None else vocab - codebook - 2
    classes = _agree(m_cfg, m_ten, f"config says codebook_size {codebook} and condition_num_classes {m_cfg}, "
                     f"so {codebook + (m_cfg or 0) + 2} embeddings, but {embed} has {vocab} rows",
                     "cannot determine the classes: config has no model.generator.condition_num_classes")
    if min(tokens, codebook, classes, intermediate) <= 0:
        raise ConversionError("generator sizes must be positive")
    return {
        "kind": kind, "num_tokens": tokens, "codebook_size": codebook, "num_classes": classes,
        "hidden": hidden, "layers": layers, "heads": heads, "intermediate": intermediate,
        "tokenizer_variant": None, "sampling": sampling_from_config(gen),
    }


def _linear(out: dict, name: str, cout: int, cin: int, bias: bool = True) -> None:
    out[f"{name}.weight"] = (cout, cin)
    if bias:
        out[f"{name}.bias"] = (cout,)


def _norm(out: dict, name: str, width: int) -> None:
    out[f"{name}.weight"] = (width,)
    out[f"{name}.bias"] = (width,)


# The generator tensors the engine multiplies as Linear weights (Swift's
# MaskGITTensorLayout.isLinearWeight names the same ones): every Linear weight but the BERT
# generator's query/key/value, which are fused into one matrix when loaded (copied, so they stay
# row-major).
GENERATOR_LINEAR_WEIGHT_SUFFIXES = (
    ".attention.output.dense.weight", ".intermediate.dense.weight", ".output.dense.weight", "lm_head.weight",
    ".attn.qkv.weight", ".attn.proj.weight", ".mlp.fc1.weight", ".mlp.fc2.weight", ".skip_linear.weight",
)


def is_generator_linear_weight(name: str) -> bool:
    """Whether the engine reads this MaskGIT generator tensor as a Linear weight (stored as strips16
    in a converted raw file)."""
    return name.endswith(GENERATOR_LINEAR_WEIGHT_SUFFIXES)


def maskgit_expected_shapes(config: Mapping[str, Any]) -> dict[str, tuple]:
    """Every tensor a generator of this config has, with its shape (reference key names)."""
    h, i, n = config["hidden"], config["intermediate"], config["num_tokens"]
    k, vocab = config["codebook_size"], config["codebook_size"] + config["num_classes"] + 2
    out: dict[str, tuple] = {}
    if config["kind"] == "vit":
        out["model.embeddings.word_embeddings.weight"] = (vocab, h)
        out["model.embeddings.position_embeddings.weight"] = (n + 1, h)
        out["model.embeddings.token_type_embeddings.weight"] = (2, h)
        _norm(out, "model.embeddings.LayerNorm", h)
        for layer in range(config["layers"]):
            b = f"model.encoder.layer.{layer}"
            for proj in ("query", "key", "value"):
                _linear(out, f"{b}.attention.self.{proj}", h, h)
            _linear(out, f"{b}.attention.output.dense", h, h)
            _norm(out, f"{b}.attention.output.LayerNorm", h)
            _linear(out, f"{b}.intermediate.dense", i, h)
            _linear(out, f"{b}.output.dense", h, i)
            _norm(out, f"{b}.output.LayerNorm", h)
        _linear(out, "model.lm_head", k, h)
        return out
    out["embeddings.weight"] = (vocab, h)
    out["pos_embed"] = (1, n + 1, h)
    half = config["layers"] // 2
    blocks = [f"in_blocks.{j}" for j in range(half)] + ["mid_block"] + [f"out_blocks.{j}" for j in range(half)]
    for b in blocks:
        _norm(out, f"{b}.norm1", h)
        _linear(out, f"{b}.attn.qkv", 3 * h, h, bias=False)
        _linear(out, f"{b}.attn.proj", h, h)
        _norm(out, f"{b}.norm2", h)
        _linear(out, f"{b}.mlp.fc1", i, h)
        _linear(out, f"{b}.mlp.fc2", h, i)
        if b.startswith("out_blocks."):
            _linear(out, f"{b}.skip_linear", h, 2 * h)
    _norm(out, "norm", h)
    _linear(out, "lm_head", k, h)
    return out


def check_maskgit(root: Mapping[str, Any], shapes: Shapes) -> dict[str, Any]:
    """Derives the generator config and checks the whole tensor set (ignored buffers excluded)."""
    kept = {k: v for k, v in shapes.items() if k not in IGNORED_TENSORS}
    config = maskgit_config(root, kept)
    check_tensor_set(maskgit_expected_shapes(config), kept, f"a MaskGIT {config['kind']} generator of this config")
    return config
