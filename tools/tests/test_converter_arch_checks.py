"""The architecture is derived from the config AND the shapes: contradictions, missing and unexpected
tensors are refused with a message naming both sides; registered architectures get registry names."""

from __future__ import annotations

import copy
import json
import struct
from argparse import Namespace

import numpy as np
import pytest

import conversion_plan
import convert_checkpoint
import tzw
import variants
from checkpoint_types import ConversionError, SourceTensor
from converter_paths import fixture_dir
from maskgit_arch import maskgit_expected_shapes
from safetensors_reader import read_safetensors
from titok_arch import titok_config, titok_expected_shapes

_ST_DTYPES = {"<f4": "F32", "<i8": "I64", "<f2": "F16", "<u2": "BF16"}  # uint16 arrays hold bf16 bits


def write_safetensors(path, tensors: dict[str, np.ndarray]) -> None:
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        raw = np.ascontiguousarray(array).tobytes()
        header[name] = {"dtype": _ST_DTYPES[array.dtype.str], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    head = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(head)) + head + b"".join(blobs))


def make_case(tmp_path, case: str, edit_config=None, edit_tensors=None):
    """A copy of a fixture with its config and/or tensors edited; returns the folder."""
    src = fixture_dir(case)
    config = json.loads((src / "config.json").read_text())
    tensors = {k: np.array(t.load()) for k, t in read_safetensors(src / "model.safetensors").items()}
    if edit_config:
        edit_config(config)
    if edit_tensors:
        edit_tensors(tensors)
    folder = tmp_path / case
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(config))
    write_safetensors(folder / "model.safetensors", tensors)
    return folder


def vq(config):
    return config["model"]["vq_model"]


def gen(config):
    return config["model"]["generator"]


def _set(section, **values):
    def edit(config):
        section(config).update(values)
    return edit


def _drop(section, *keys):
    def edit(config):
        for k in keys:
            section(config).pop(k)
    return edit


REFUSED_CONFIGS = [
    ("tiny_legacy_vq_r64_t32", _set(vq, token_size=16),
     "config says token_size 16 but encoder.conv_out.weight has 12 output channels"),
    ("tiny_vae_r64_t32", _set(vq, token_size=8),
     "config says token_size 8 but encoder.conv_out.weight has 32 output channels "
     "(a VAE's encoder needs 2 x token_size = 16)"),
    ("tiny_legacy_vq_r64_t32", _set(vq, num_latent_tokens=64),
     "config says num_latent_tokens 64 but latent_tokens has 32 rows"),
    ("tiny_legacy_vq_r64_t32", lambda c: c["dataset"]["preprocessing"].update(crop_size=256),
     "config says crop_size 256 (16x16 patches of 16: 257 positions) but encoder.positional_embedding has 17 rows"),
    ("tiny_legacy_vq_r128_t64", _set(vq, vit_enc_num_layers=3),
     "config says 3 encoder layers but the checkpoint has 2"),
    ("tiny_vq8k_r64_t16", _set(vq, vit_dec_width=64),
     "config says decoder width 64 (vit_dec_width) but decoder.decoder_embed.weight has 96 rows"),
    ("tiny_legacy_vq_r64_t32", _set(vq, vit_dec_model_size="large"),
     "config vit_dec_width 64 contradicts vit_dec_model_size large (1024)"),
    ("tiny_legacy_vq_r64_t32",
     lambda c: (_drop(vq, "vit_dec_width", "vit_dec_num_layers", "vit_dec_num_heads")(c),
                _set(vq, vit_dec_model_size="large")(c)),
     "config says decoder width 1024 (vit_dec_model_size large) but decoder.decoder_embed.weight has 64 rows"),
    ("tiny_legacy_vq_r64_t32", _set(vq, codebook_size=8192),
     "config says codebook_size 8192 but quantize.embedding.weight has 4096 rows"),
    ("tiny_legacy_vq_r64_t32", _set(vq, pixel_hidden_channels=64),
     "config says pixel_hidden_channels 64 but pixel_decoder.conv_out.weight has 32 input channels"),
    ("tiny_legacy_vq_r128_t64", _set(vq, pixel_z_channels=32),
     "config says pixel_z_channels 32 but pixel_quantize.embedding.weight has 64 columns"),
    ("tiny_legacy_vq_r64_t32", _set(vq, is_legacy=False, finetune_decoder=False),
     "config says is_legacy false but the checkpoint has a pixel decoder"),
    ("tiny_vq8k_r64_t16", _set(vq, is_legacy=True, finetune_decoder=True),
     "config describes a legacy two-stage model"),
    ("tiny_vq8k_r64_t16", _drop(vq, "is_legacy"), "stage-1 legacy checkpoint"),
    ("tiny_legacy_vq_r64_t32", _drop(vq, "vit_enc_num_heads"), "cannot determine the encoder heads"),
    ("tiny_legacy_vq_r64_t32", _set(vq, vit_enc_num_heads=5), "encoder width 64 is not divisible by 5 heads"),
    ("tiny_legacy_vq_r64_t32", _set(vq, quantize_mode="fsq"), "quantize_mode is 'fsq'"),
    ("tiny_gen_bert_t32", _set(gen, hidden_size=128),
     "config says hidden_size 128 but model.embeddings.word_embeddings.weight has 64 columns"),
    ("tiny_gen_bert_t32", _set(gen, model_type="UViT"),
     "config says model_type UViT but the tensors are a ViT/BERT (model.encoder.layer.*) generator"),
    ("tiny_gen_uvit_t32", _set(gen, model_type="ViT"),
     "config says model_type ViT but the tensors are a UViT (in_blocks.*, pos_embed) generator"),
    ("tiny_gen_bert_t32", _set(gen, condition_num_classes=10),
     "config says codebook_size 4096 and condition_num_classes 10, so 4108 embeddings, but "
     "model.embeddings.word_embeddings.weight has 5098 rows"),
    ("tiny_gen_uvit_t32", _set(gen, image_seq_len=64),
     "config says image_seq_len 64 but pos_embed has 33 positions"),
    ("tiny_gen_uvit_t32", _set(gen, num_hidden_layers=6),
     "config says num_hidden_layers 6 (3 in-blocks and 3 out-blocks) but the checkpoint has 2 in_blocks"),
    ("tiny_gen_uvit_t32", _set(gen, num_hidden_layers=5),
     "config says num_hidden_layers 5: a UViT generator needs an even number"),
    ("tiny_gen_bert_t32", _set(gen, intermediate_size=128),
     "config says intermediate_size 128 but model.encoder.layer.0.intermediate.dense.weight has 256 rows"),
    ("tiny_gen_bert_t32", _set(gen, guidance_decay="cosine"), "guidance_decay is 'cosine'"),
]


@pytest.mark.parametrize("case, edit, message", REFUSED_CONFIGS,
                         ids=[f"{i}-{c[0]}" for i, c in enumerate(REFUSED_CONFIGS)])
def test_config_that_contradicts_the_weights_is_refused(tmp_path, convert, case, edit, message):
    folder = make_case(tmp_path, case, edit_config=edit)
    code, out, err = convert(folder, "--out", tmp_path / "x.tzw")
    assert code == 1
    assert message in err, err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.tzw").exists()


def test_missing_tensor_is_refused(tmp_path, convert):
    folder = make_case(tmp_path, "tiny_legacy_vq_r64_t32", edit_tensors=lambda t: t.pop("decoder.ffn.2.bias"))
    code, _, err = convert(folder, "--out", tmp_path / "x.tzw")
    assert code == 1
    assert ("checkpoint lacks 1 tensor(s) that a TiTok legacy_vq model of this config needs: "
            "decoder.ffn.2.bias") in err


def test_many_missing_tensors_are_summarised(tmp_path, convert):
    def drop_pixel_decoder(t):
        for k in [k for k in t if k.startswith("pixel_decoder.up.")]:
            del t[k]
    folder = make_case(tmp_path, "tiny_legacy_vq_r64_t32", edit_tensors=drop_pixel_decoder)
    code, _, err = convert(folder, "--out", tmp_path / "x.tzw")
    assert code == 1 and "tensor(s) that a TiTok legacy_vq model of this config needs" in err and "more)" in err


def test_unexpected_tensor_is_refused(tmp_path, convert):
    def add(t):
        t["decoder.extra_head.weight"] = np.zeros((3, 3), dtype="<f4")
    folder = make_case(tmp_path, "tiny_vae_r64_t32", edit_tensors=add)
    code, _, err = convert(folder, "--out", tmp_path / "x.tzw")
    assert code == 1
    assert "checkpoint has 1 tensor(s) that a TiTok vae model of this config does not use: decoder.extra_head.weight" in err


def test_wrong_shape_is_refused(tmp_path, convert):
    def reshape(t):
        t["pixel_decoder.up.1.block.0.nin_shortcut.weight"] = np.zeros((32, 32, 3, 3), dtype="<f4")
    folder = make_case(tmp_path, "tiny_legacy_vq_r64_t32", edit_tensors=reshape)
    code, _, err = convert(folder, "--out", tmp_path / "x.tzw")
    assert code == 1
    assert "tensor pixel_decoder.up.1.block.0.nin_shortcut.weight has shape [32, 32, 3, 3]" in err
    assert "needs [32, 32, 1, 1]" in err


def test_position_ids_buffer_is_dropped_and_interpolation_resolved(tmp_path, convert):
    def add(t):
        t["model.embeddings.position_ids"] = np.arange(33, dtype="<i8").reshape(1, 33)
    folder = make_case(tmp_path, "tiny_gen_bert_t32", edit_tensors=add,
                       edit_config=_set(gen, image_seq_len="${model.vq_model.num_latent_tokens}"))
    out = tmp_path / "g.tzw"
    code, _, err = convert(folder, "--out", out, "--tokenizer-variant", "tiny_legacy_vq_r64_t32")
    assert code == 0, err
    with tzw.TZWFile(out) as f:
        assert "model.embeddings.position_ids" not in f.names and len(f.names) == 39
        assert f.metadata["config"]["num_tokens"] == 32
        assert f.metadata["config"]["tokenizer_variant"] == "tiny_legacy_vq_r64_t32"


# --- registry names (shapes only: a full-size model would be too big for a test) ----------------


def _args(**kw):
    base = dict(variant=None, tokenizer_variant=None, out=None, models_dir=None)
    base.update(kw)
    return Namespace(**base)


def _fake_tensors(shapes: dict[str, tuple]) -> dict[str, SourceTensor]:
    def never():
        raise AssertionError("planning must not load tensor data")
    return {k: SourceTensor(k, "f32", tuple(v), never) for k, v in shapes.items()}


def reference_config(size_enc, size_dec, tokens, crop=256, **vq_extra):
    names = {"S": "small", "B": "base", "L": "large"}
    vq_model = {"vit_enc_model_size": names[size_enc], "vit_dec_model_size": names[size_dec],
                "vit_enc_patch_size": 16, "vit_dec_patch_size": 16, "num_latent_tokens": tokens, **vq_extra}
    return {"model": {"vq_model": vq_model}, "dataset": {"preprocessing": {"crop_size": crop}}}


LEGACY = dict(codebook_size=4096, token_size=12, use_l2_norm=True, commitment_cost=0.25, finetune_decoder=True)
VQ8K = dict(codebook_size=8192, token_size=64, use_l2_norm=False, finetune_decoder=False, is_legacy=False)
VAE16 = dict(quantize_mode="vae", token_size=16, finetune_decoder=False, is_legacy=False)


@pytest.mark.parametrize("config, name, resolution", [
    (reference_config("L", "L", 32, **LEGACY), "TiTok-L-32", 256),
    (reference_config("S", "S", 128, **LEGACY), "TiTok-S-128", 256),
    (reference_config("B", "B", 64, crop=512, **LEGACY), "TiTok-B-64", 512),
    (reference_config("B", "L", 64, **VQ8K), "TiTok-BL-64-VQ", 256),
    (reference_config("S", "L", 256, **VQ8K), "TiTok-SL-256-VQ", 256),
    (reference_config("L", "L", 32, **VAE16), "TiTok-LL-32-VAE", 256),
    (reference_config("B", "L", 128, **VAE16), "TiTok-BL-128-VAE", 256),
])
def test_registered_tokenizers_get_their_registry_name(tmp_path, config, name, resolution):
    derived = titok_config(config)
    tensors = _fake_tensors(titok_expected_shapes(derived))
    plan = conversion_plan.plan_conversion(_args(variant="my-name"), config, tensors, "whatever")
    assert (plan.family, plan.variant, plan.resolution) == ("titok", name, resolution)
    assert plan.warnings == [f"--variant my-name ignored: the architecture is the registered {name}"]
    path = convert_checkpoint.output_path(_args(models_dir=str(tmp_path)), plan)
    assert path == str(tmp_path / f"{name}-{resolution}.tzw")


def test_a_near_miss_is_custom_and_cannot_borrow_a_registered_name():
    config = reference_config("L", "L", 32, **dict(LEGACY, token_size=16))
    tensors = _fake_tensors(titok_expected_shapes(titok_config(config)))
    plan = conversion_plan.plan_conversion(_args(), config, tensors, "l32_c16")
    assert plan.variant == "custom-l32_c16"
    with pytest.raises(ConversionError, match="--variant TiTok-L-32 is the registered variant TiTok-L-32, but this "
                                              "checkpoint differs from it: token_size 16 vs 12"):
        conversion_plan.plan_conversion(_args(variant="TiTok-L-32"), config, tensors, "x")
    with pytest.raises(ConversionError, match="--variant titok-l-32 is the registered variant TiTok-L-32"):
        conversion_plan.plan_conversion(_args(variant="titok-l-32"), config, tensors, "x")
    with pytest.raises(ConversionError, match="MaskGIT-TiTok-L-32, but this checkpoint differs from it: another family"):
        conversion_plan.plan_conversion(_args(variant="MaskGIT-TiTok-L-32"), config, tensors, "x")
    with pytest.raises(ConversionError, match="variant name"):
        conversion_plan.plan_conversion(_args(variant="../evil"), config, tensors, "x")


@pytest.mark.parametrize("yaml_like, name", [
    ({"model_type": "ViT", "hidden_size": 768, "num_hidden_layers": 24, "num_attention_heads": 16,
      "intermediate_size": 3072, "image_seq_len": "${model.vq_model.num_latent_tokens}",
      "condition_num_classes": 1000, "num_steps": 8, "randomize_temperature": 9.5, "guidance_scale": 4.5,
      "guidance_decay": "linear"}, "MaskGIT-TiTok-L-32"),
    ({"model_type": "UViT", "hidden_size": 1024, "num_hidden_layers": 20, "num_attention_heads": 16,
      "intermediate_size": 4096, "image_seq_len": 128, "condition_num_classes": 1000, "num_steps": 64,
      "randomize_temperature": 2.8, "guidance_scale": 6.9, "guidance_decay": "power-cosine"},
     "MaskGIT-TiTok-S-128"),
])
def test_registered_generators_get_name_sampling_and_tokenizer(yaml_like, name):
    tokens = {"MaskGIT-TiTok-L-32": 32, "MaskGIT-TiTok-S-128": 128}[name]
    size = {"MaskGIT-TiTok-L-32": "L", "MaskGIT-TiTok-S-128": "S"}[name]
    config = reference_config(size, size, tokens, **LEGACY)
    config["model"]["generator"] = yaml_like
    network, paired, sampling = variants.GENERATORS[name]
    shapes = maskgit_expected_shapes(network)
    if network["kind"] == "vit":
        shapes["model.embeddings.position_ids"] = (1, tokens + 1)
    plan = conversion_plan.plan_conversion(_args(), config, _fake_tensors(shapes), "gen")
    assert (plan.family, plan.variant) == ("maskgit", name)
    assert plan.config["sampling"] == sampling and sampling["softmax_temperature_annealing"] is True
    assert plan.config["tokenizer_variant"] == paired
    assert "model.embeddings.position_ids" not in [t.name for t in plan.tensors]


def test_generator_pairs_with_a_registered_tokenizer_from_its_config():
    config = reference_config("B", "B", 64, **LEGACY)
    config["model"]["generator"] = {"model_type": "ViT", "hidden_size": 64, "num_hidden_layers": 2,
                                    "num_attention_heads": 4, "intermediate_size": 256, "image_seq_len": 64,
                                    "condition_num_classes": 1000}
    network = {"kind": "vit", "num_tokens": 64, "codebook_size": 4096, "num_classes": 1000, "hidden": 64,
               "layers": 2, "heads": 4, "intermediate": 256}
    plan = conversion_plan.plan_conversion(_args(), config, _fake_tensors(maskgit_expected_shapes(network)), "g")
    assert plan.variant == "custom-g"
    assert plan.config["tokenizer_variant"] == "TiTok-B-64"
    assert plan.config["sampling"] == {"steps": 8, "randomize_temperature": 4.5, "guidance_scale": 3.0,
                                       "guidance_decay": "constant", "softmax_temperature_annealing": False}


def test_every_registered_tokenizer_round_trips_through_the_matcher():
    for name, config in variants.TOKENIZERS:
        assert variants.match_tokenizer(copy.deepcopy(config)) == name
    assert len(variants.TOKENIZERS) == 3 * 3 * 2 + 3 + 3


def test_f16_overflow_is_reported(tmp_path, convert):
    def big(t):
        t["latent_tokens"][0, 0] = 1.0e6  # beyond the f16 maximum of 65504
    folder = make_case(tmp_path, "tiny_vae_r64_t32", edit_tensors=big)
    code, _, err = convert(folder, "--out", tmp_path / "x.tzw", "--dtype", "f16")
    assert code == 0
    assert "warning: 1 value(s) of latent_tokens exceed the f16 range and became infinite" in err


def test_half_precision_sources_convert_exactly(tmp_path, convert):
    """A checkpoint already in f16 (or bf16) keeps its bits at that dtype and widens exactly to f32."""
    src = fixture_dir("tiny_vae_r64_t32")
    tensors = {k: np.array(t.load()) for k, t in read_safetensors(src / "model.safetensors").items()}
    folder = tmp_path / "half"
    folder.mkdir()
    (folder / "config.json").write_text((src / "config.json").read_text())
    for half in ("f16", "bf16"):
        halves = {k: v.astype("<f2") if half == "f16" else tzw.float32_to_bfloat16_bits(v) for k, v in tensors.items()}
        write_safetensors(folder / "model.safetensors", halves)
        for dtype in (half, "f32"):
            out = tmp_path / f"{half}-{dtype}.tzw"
            assert convert(folder, "--out", out, "--dtype", dtype)[0] == 0
            with tzw.TZWFile(out) as f:
                for k, v in halves.items():
                    got = f.array(k)
                    want = v if dtype == half else tzw.to_float32(v, half)
                    assert got.dtype == want.dtype and np.array_equal(got.view(f"<u{got.itemsize}"),
                                                                      want.view(f"<u{want.itemsize}")), k
