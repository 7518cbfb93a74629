"""The reference PyTorch TiTok (a local checkout of bytedance/1d-tokenizer) built with random
weights for a registry variant, saved as config.json + model.safetensors (for the converter),
and exported to ONNX (encoder and decoder graphs) for ONNX Runtime.

Nothing of the reference is copied here: its modules are imported from the checkout given with
--reference. Imports the reference does not need for inference (training losses, accelerate)
are skipped by registering its packages without running their __init__ files.
"""

from __future__ import annotations

import json
import re
import sys
import types
from pathlib import Path

SIZES = {"S": "small", "B": "base", "L": "large"}
NAME = re.compile(r"^TiTok-([SBL])([SBL]?)-(\d+)(?:-(VQ|VAE))?$")


def reference_config(variant: str, resolution: int) -> dict:
    """The reference training-config subset for a registry variant name (TiTok-L-32, TiTok-BL-64-VQ, ...)."""
    m = NAME.match(variant)
    if not m:
        raise ValueError(f"not a TiTok tokenizer variant name: {variant}")
    enc, dec, tokens, kind = m.group(1), m.group(2) or m.group(1), int(m.group(3)), m.group(4)
    vq = {"vit_enc_model_size": SIZES[enc], "vit_dec_model_size": SIZES[dec],
          "vit_enc_patch_size": 16, "vit_dec_patch_size": 16, "num_latent_tokens": tokens}
    if kind is None:
        vq.update(codebook_size=4096, token_size=12, use_l2_norm=True, commitment_cost=0.25, finetune_decoder=True)
    elif kind == "VQ":
        vq.update(codebook_size=8192, token_size=64, use_l2_norm=False, commitment_cost=0.25,
                  finetune_decoder=False, is_legacy=False)
    else:
        vq.update(quantize_mode="vae", token_size=16, finetune_decoder=False, is_legacy=False)
    return {"model": {"vq_model": vq}, "dataset": {"preprocessing": {"crop_size": resolution}}}


def import_reference(checkout: Path):
    """The reference TiTok class, imported from `checkout` without its training-only imports."""
    checkout = Path(checkout).resolve()
    if not (checkout / "modeling" / "titok.py").is_file():
        raise FileNotFoundError(f"{checkout} is not a 1d-tokenizer checkout (no modeling/titok.py)")
    if str(checkout) not in sys.path:
        sys.path.insert(0, str(checkout))
    for pkg in ("modeling", "modeling.modules", "modeling.quantizer"):
        if pkg not in sys.modules:
            module = types.ModuleType(pkg)
            module.__path__ = [str(checkout / pkg.replace(".", "/"))]
            sys.modules[pkg] = module
    try:
        import accelerate.utils.operations  # noqa: F401
    except ImportError:  # only used by training-time codebook statistics
        ops = types.ModuleType("accelerate.utils.operations")
        ops.gather = lambda x: x
        for name, module in (("accelerate", types.ModuleType("accelerate")),
                             ("accelerate.utils", types.ModuleType("accelerate.utils")),
                             ("accelerate.utils.operations", ops)):
            sys.modules.setdefault(name, module)
    from modeling.titok import TiTok
    return TiTok


def build_model(checkout: Path, variant: str, resolution: int, seed: int = 0):
    """A reference TiTok in eval mode with seeded random weights: the reference's own init, then
    biases and norm weights moved off 0 and 1 so no parameter is trivial."""
    import torch
    TiTok = import_reference(checkout)
    torch.manual_seed(seed)
    config = reference_config(variant, resolution)
    model = TiTok(config).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("bias") or p.dim() == 1:
                p.add_(0.02 * torch.randn_like(p))
    return model, config


def save_checkpoint(model, config: dict, folder: Path) -> None:
    """config.json + model.safetensors as on the hub (the converter's input)."""
    from safetensors.torch import save_file
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(folder / "model.safetensors"))


class Encoder:
    """pixels [B,3,R,R] -> token ids [B,N] (VQ) or posterior mean [B,C,1,N] (VAE)."""

    def __new__(cls, model):
        import torch

        class _Encoder(torch.nn.Module):
            def __init__(self, m):
                super().__init__()
                self.m = m

            def forward(self, x):
                z = self.m.encoder(pixel_values=x, latent_tokens=self.m.latent_tokens)
                if self.m.quantize_mode == "vae":
                    mean, _ = torch.chunk(z.float(), 2, dim=1)
                    return mean
                _, result = self.m.quantize(z)
                return result["min_encoding_indices"].reshape(x.shape[0], -1)

        return _Encoder(model).eval()


class Decoder:
    """token ids [B,N] (VQ) or latents [B,C,1,N] (VAE) -> pixels [B,3,R,R] (unclamped)."""

    def __new__(cls, model):
        import torch

        class _Decoder(torch.nn.Module):
            def __init__(self, m):
                super().__init__()
                self.m = m

            def forward(self, t):
                if self.m.quantize_mode == "vae":
                    return self.m.decode_tokens(t)
                return self.m.decode_tokens(t.reshape(t.shape[0], 1, -1))

        return _Decoder(model).eval()


def export_onnx(model, config: dict, folder: Path, batch: int = 1) -> tuple[Path, Path]:
    """encoder.onnx and decoder.onnx (weights in external data files) for a fixed batch size."""
    import torch
    folder.mkdir(parents=True, exist_ok=True)
    r = config["dataset"]["preprocessing"]["crop_size"]
    x = torch.rand(batch, 3, r, r)
    enc, dec = Encoder(model), Decoder(model)
    with torch.no_grad():
        codes = enc(x)
    paths = folder / f"encoder_b{batch}.onnx", folder / f"decoder_b{batch}.onnx"
    for module, arg, path, names in ((enc, x, paths[0], (["pixels"], ["codes"])),
                                     (dec, codes, paths[1], (["codes"], ["pixels"]))):
        torch.onnx.export(module, (arg,), str(path), input_names=names[0], output_names=names[1],
                          opset_version=18, dynamo=False, external_data=True)
    return paths
