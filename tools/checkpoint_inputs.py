"""Finding and reading a conversion's inputs: a hub-style folder or a checkpoint file, its
reference config (JSON, or YAML with PyYAML), the tensors (safetensors or torch.save zip)."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass
from typing import Any

from checkpoint_types import ConversionError, SourceTensor
from safetensors_reader import read_safetensors
from torch_zip_reader import read_torch_zip

WEIGHT_NAMES = ("model.safetensors", "pytorch_model.bin")
TORCH_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt")
GENERIC_STEMS = {"model", "pytorch_model", "checkpoint", "weights"}


@dataclass
class Inputs:
    weights: str
    config: str
    label: str  # used for custom-<label> names
    hub_repo: str | None = None


def _label(path: str) -> str:
    path = os.path.abspath(path)
    if os.path.isdir(path):
        return os.path.basename(path.rstrip(os.sep))
    stem = os.path.splitext(os.path.basename(path))[0]
    if stem.lower() in GENERIC_STEMS:
        return os.path.basename(os.path.dirname(path)) or stem
    return stem


def _folder_weights(folder: str) -> str:
    for name in WEIGHT_NAMES:
        if os.path.isfile(os.path.join(folder, name)):
            return os.path.join(folder, name)
    files = sorted(os.listdir(folder))
    candidates = [f for f in files if f.endswith(".safetensors")] or \
                 [f for f in files if f.endswith(TORCH_SUFFIXES)]
    if len(candidates) == 1:
        return os.path.join(folder, candidates[0])
    if not candidates:
        raise ConversionError(f"{folder} holds no model.safetensors, pytorch_model.bin or other checkpoint file")
    raise ConversionError(f"{folder} holds several checkpoint files ({', '.join(candidates)}): pass one of them")


def locate_inputs(args, hub_folder: str | None = None) -> Inputs:
    source = hub_folder or args.input
    if source is None:
        raise ConversionError("no input: give a checkpoint folder or file, or --from-hub REPO_ID")
    if not os.path.exists(source):
        raise ConversionError(f"{source}: no such file or folder")
    if os.path.isdir(source):
        weights = _folder_weights(source)
        config = args.config or os.path.join(source, "config.json")
        if not args.config and not os.path.isfile(config):
            raise ConversionError(f"{source} has no config.json (pass --config FILE)")
    else:
        weights = source
        config = args.config
        if config is None:
            beside = os.path.join(os.path.dirname(os.path.abspath(source)), "config.json")
            if not os.path.isfile(beside):
                raise ConversionError(f"{os.path.basename(source)} needs its config: pass --config FILE "
                                      "(the reference config with model.vq_model.*)")
            config = beside
            if not args.quiet:
                print(f"using the config beside the checkpoint: {beside}", file=sys.stderr)
    label = args.from_hub.split("/")[-1] if hub_folder else _label(source)
    return Inputs(weights, config, label, args.from_hub if hub_folder else None)


def download_from_hub(repo_id: str) -> str:
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        raise ConversionError("--from-hub needs the huggingface_hub package (pip install huggingface_hub); "
                              "or download the repository yourself and pass its folder") from None
    try:
        # safetensors when the repository has it; the pickled checkpoint only as a fallback
        folder = snapshot_download(repo_id=repo_id, allow_patterns=["config.json", "*.safetensors"])
        if not any(name.endswith(".safetensors") for name in os.listdir(folder)):
            folder = snapshot_download(repo_id=repo_id, allow_patterns=["config.json", "*.bin", "*.pt", "*.pth"])
        return folder
    except Exception as e:  # network errors, unknown repo, gated repo...
        raise ConversionError(f"could not download {repo_id} from the hub: {type(e).__name__}: {e}") from None


def load_config(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            text = f.read()
    except OSError as e:
        raise ConversionError(f"cannot read config {path}: {e.strerror or e}") from None
    if path.endswith((".yaml", ".yml")):
        try:
            import yaml
        except ImportError:
            raise ConversionError(f"{path} is YAML but PyYAML is not installed: convert it to JSON") from None
        try:
            obj = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise ConversionError(f"config {path} is not valid YAML: {e}") from None
    else:
        try:
            obj = json.loads(text.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise ConversionError(f"config {os.path.basename(path)} is not valid JSON: {e}") from None
    if not isinstance(obj, dict):
        raise ConversionError(f"config {path} is not an object")
    return obj


def load_tensors(path: str) -> dict[str, SourceTensor]:
    """Reads a checkpoint file, telling the format from its first bytes."""
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as e:
        raise ConversionError(f"cannot read {path}: {e.strerror or e}") from None
    if head.startswith(b"PK"):
        tensors = read_torch_zip(path)
    elif head[:1] == b"\x80":
        raise ConversionError(f"{os.path.basename(path)} is a legacy (pre-1.6, not zip) torch.save file: "
                              "re-save it with a recent torch, or export safetensors")
    else:
        tensors = read_safetensors(path)
    if tensors and all(k.startswith("module.") for k in tensors):  # saved from DistributedDataParallel
        tensors = {k[len("module."):]: SourceTensor(k[len("module."):], t.dtype, t.shape, t.load)
                   for k, t in tensors.items()}
    return tensors


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
