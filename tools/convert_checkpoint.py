#!/usr/bin/env python3
"""Converts a TiTok tokenizer or MaskGIT generator checkpoint (PyTorch / safetensors, reference
key names) into a TiTok Zoo `.tzw` weight file (docs/weight-format.md).

Needs only numpy. `torch.save` files are read without torch and without running pickle code.
Run with --help for the options; errors print one line and exit with status 1.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime, timezone
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tzw  # noqa: E402
from checkpoint_inputs import Inputs, download_from_hub, load_config, load_tensors, locate_inputs, sha256_of  # noqa: E402
from checkpoint_types import ConversionError  # noqa: E402
from conversion_plan import Plan, plan_conversion  # noqa: E402
from tensor_conversion import tensor_specs  # noqa: E402
from maskgit_arch import is_generator_linear_weight  # noqa: E402
from titok_arch import is_linear_weight  # noqa: E402

VERSION = "1.0.0"
CONVERTER = f"convert_checkpoint.py {VERSION}"
PROGRESS_MIN_BYTES = 64 * 1024 * 1024

DESCRIPTION = """\
Convert a TiTok tokenizer or MaskGIT generator checkpoint into a .tzw weight file.

INPUT is one of:
  * a folder as on the Hugging Face hub: config.json plus model.safetensors or
    pytorch_model.bin;
  * a .safetensors file, with --config CONFIG (or a config.json beside it);
  * a torch.save checkpoint (.bin/.pt/.pth: a zip holding data.pkl), with --config.
    It is read WITHOUT torch and without running the pickle: only tensor-rebuild
    entries, storage types and OrderedDict are accepted; anything else is refused.
    A state dict nested under "state_dict" or "model" is found.
CONFIG is the reference training config as JSON (YAML if PyYAML is installed):
model.vq_model.* and dataset.preprocessing.crop_size for tokenizers, plus
model.generator.* for generators. The architecture is derived from the config AND
the tensor shapes; any disagreement, missing or unexpected tensor is an error.

The file is named after the registry variant when the architecture is a registered
one (TiTok-L-32, TiTok-BL-64-VQ, MaskGIT-TiTok-L-32, ...), else --variant, else
custom-<input name>. With --models-dir DIR it is written as DIR/<Variant>-<R>.tzw,
where `zoo` looks for models (--models, $TITOK_MODELS, $XDG_CACHE_HOME/titok).
"""

EPILOG = """\
examples:
  convert_checkpoint.py ~/dl/tokenizer_titok_l32_imagenet --models-dir ~/.cache/titok
  convert_checkpoint.py tokenizer_titok_l32.bin --config titok_l32.json --out l32.tzw --dtype f16
  convert_checkpoint.py --from-hub yucornetto/tokenizer_titok_b64_imagenet --compress zlib --shuffle
"""


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line and status 1, like every other error of the converter."""

    def error(self, message: str):
        self.exit(1, f"convert_checkpoint: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="convert_checkpoint.py", description=DESCRIPTION, epilog=EPILOG,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", nargs="?", help="checkpoint folder or file (omit with --from-hub)")
    p.add_argument("--config", metavar="FILE", help="reference config (JSON or YAML) for a checkpoint file")
    p.add_argument("--from-hub", metavar="REPO_ID",
                   help="download REPO_ID from the Hugging Face hub first (needs huggingface_hub and network)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--out", metavar="FILE", help="output .tzw path")
    where.add_argument("--models-dir", metavar="DIR",
                       help="write DIR/<Variant>-<R>.tzw (default without --out: $TITOK_MODELS, else "
                            "$XDG_CACHE_HOME/titok, else ~/.cache/titok)")
    p.add_argument("--dtype", choices=("f32", "f16", "bf16"), default="f32",
                   help="element type for float tensors (default f32; f16/bf16 round to nearest even; "
                        "integer tensors keep their type)")
    p.add_argument("--compress", choices=("none", "zlib"), default=None,
                   help="store tensors raw (default; used in place from a memory map) or zlib-compressed")
    p.add_argument("--shuffle", action="store_true",
                   help="byte-shuffle before zlib (implies --compress zlib; compresses floats better)")
    p.add_argument("--layout", choices=("strips16", "row-major"), default="strips16",
                   help="how a model's Linear weights are stored: strips16 (default; the AVX2 kernel's packed "
                        "layout, used straight from the memory map with nothing packed on first use, f16/bf16 "
                        "values widened by the kernel; compressed files stay row-major) or row-major (a version 1 "
                        "file, as older builds read)")
    p.add_argument("--alignment", type=int, choices=(64, 4096), default=64,
                   help="tensor record alignment in bytes (default 64; 4096 for page alignment)")
    p.add_argument("--variant", metavar="NAME",
                   help="variant name for a custom architecture (a registered architecture keeps its name)")
    p.add_argument("--tokenizer-variant", metavar="NAME",
                   help="generators only: registry name of the paired tokenizer, when not derivable")
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    p.add_argument("--check", action="store_true", help="check the checkpoint against its config; write nothing")
    p.add_argument("--no-verify", action="store_true", help="skip reading the written file back")
    p.add_argument("--quiet", action="store_true", help="no progress or summary (errors still print)")
    p.add_argument("--version", action="version", version=CONVERTER)
    return p


# ---------------------------------------------------------------------------------------------
# Output


def default_models_dir() -> str:
    if os.environ.get("TITOK_MODELS"):
        return os.environ["TITOK_MODELS"]
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "titok")


def output_path(args, plan: Plan) -> str:
    if args.out:
        return args.out
    if plan.resolution is None:
        raise ConversionError("cannot name the file <Variant>-<R>.tzw: the config has no "
                              "dataset.preprocessing.crop_size; pass --out FILE")
    folder = args.models_dir or default_models_dir()
    return os.path.join(folder, f"{plan.variant}-{plan.resolution}.tzw")


class Progress:
    """Progress on stderr for large checkpoints: a bar on a terminal, else a line per tenth."""

    def __init__(self, total_tensors: int, total_bytes: int, enabled: bool):
        self.total, self.bytes_total = total_tensors, total_bytes
        self.enabled = enabled and total_bytes >= PROGRESS_MIN_BYTES
        self.tty = sys.stderr.isatty()
        self.done_bytes = 0
        self.last_tenth = 0

    def __call__(self, index: int, entry: tzw.TableEntry) -> None:
        if not self.enabled:
            return
        self.done_bytes += entry.raw_length
        fraction = self.done_bytes / self.bytes_total if self.bytes_total else 1.0
        if self.tty:
            bar = "#" * int(fraction * 30)
            sys.stderr.write(f"\r  [{bar:<30}] {index + 1}/{self.total} tensors, "
                             f"{_size(self.done_bytes)} of {_size(self.bytes_total)}   ")
            if index + 1 == self.total:
                sys.stderr.write("\n")
            sys.stderr.flush()
        elif int(fraction * 10) > self.last_tenth or index + 1 == self.total:
            self.last_tenth = int(fraction * 10)
            print(f"  {index + 1}/{self.total} tensors ({fraction:.0%})", file=sys.stderr, flush=True)


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1000
    return f"{n:.2f} GB"


def _dominant_dtype(specs: list[tzw.TensorSpec]) -> str:
    totals: dict[str, int] = {}
    for s in specs:
        size = tzw.DTYPES[s.dtype].size
        for d in s.shape:
            size *= d
        totals[s.dtype] = totals.get(s.dtype, 0) + size
    return max(totals, key=totals.get) if totals else "f32"


def build_metadata(plan: Plan, specs: list[tzw.TensorSpec], inputs: Inputs) -> dict[str, Any]:
    sources = [{"file": os.path.basename(inputs.config), "sha256": sha256_of(inputs.config)},
               {"file": os.path.basename(inputs.weights), "sha256": sha256_of(inputs.weights)}]
    provenance: dict[str, Any] = {
        "sources": sources,
        "converter": CONVERTER,
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if inputs.hub_repo:
        provenance["hub_repo"] = inputs.hub_repo
    return {"format": tzw.FORMAT_NAME, "family": plan.family, "variant": plan.variant, "config": plan.config,
            "dtype": _dominant_dtype(specs), "provenance": provenance}


def _encoding(args) -> str:
    if args.shuffle:
        if args.compress == "none":
            raise ConversionError("--shuffle needs zlib compression; drop --compress none")
        return "zlib+shuffle"
    return "zlib" if args.compress == "zlib" else "raw"


def _describe(plan: Plan) -> str:
    c = plan.config
    if plan.family == "titok":
        return f"titok {c['kind']}, {c['resolution']}x{c['resolution']}, {c['num_tokens']} tokens"
    tok = c["tokenizer_variant"] or "no registered tokenizer"
    return f"maskgit {c['kind']}, {c['num_tokens']} tokens, {c['layers']} layers, for {tok}"


def convert(args) -> int:
    started = time.monotonic()
    encoding = _encoding(args)
    if args.from_hub and args.input:
        raise ConversionError("give either INPUT or --from-hub REPO_ID, not both")
    hub_folder = download_from_hub(args.from_hub) if args.from_hub else None
    inputs = locate_inputs(args, hub_folder)
    root = load_config(inputs.config)
    tensors = load_tensors(inputs.weights)
    plan = plan_conversion(args, root, tensors, inputs.label)
    params = sum(t.numel for t in plan.tensors)
    for warning in plan.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.check:
        if not args.quiet:
            print(f"ok: {plan.variant} ({_describe(plan)}), {len(plan.tensors)} tensors, "
                  f"{params / 1e6:.2f} M parameters")
        return 0
    out = output_path(args, plan)
    if os.path.exists(out) and not args.force:
        raise ConversionError(f"{out} exists (use --force to overwrite)")
    folder = os.path.dirname(os.path.abspath(out))
    os.makedirs(folder, exist_ok=True)

    warnings: list[str] = []
    linear = is_linear_weight if plan.family == "titok" else is_generator_linear_weight
    strips = (lambda name: args.layout == "strips16" and linear(name))
    specs = tensor_specs(plan.tensors, args.dtype, encoding, warnings, strips)
    metadata = build_metadata(plan, specs, inputs)
    raw_bytes = sum(t.numel * tzw.DTYPES[s.dtype].size for t, s in zip(plan.tensors, specs))
    progress = Progress(len(specs), raw_bytes, enabled=not args.quiet)
    temp = os.path.join(folder, f".{os.path.basename(out)}.partial-{os.getpid()}")
    try:
        tzw.write_tzw(temp, metadata, specs, alignment=args.alignment, progress=progress,
                      workers=min(8, os.cpu_count() or 1))
        if not args.no_verify:
            with tzw.TZWFile(temp) as written:
                written.verify()
        os.replace(temp, out)
    finally:
        if os.path.exists(temp):
            os.remove(temp)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)

    if not args.quiet:
        size_in = os.path.getsize(inputs.weights)
        size_out = os.path.getsize(out)
        print(f"wrote {out}")
        print(f"  variant     {plan.variant} ({_describe(plan)})")
        stored_strips = sum(s.order == "strips16" for s in specs)
        layout = f", {stored_strips} Linear weights as strips16" if stored_strips else ""
        print(f"  tensors     {len(specs)}, {params / 1e6:.2f} M parameters, {metadata['dtype']}, {encoding}{layout}")
        print(f"  size        {_size(size_in)} in -> {_size(size_out)} out (ratio {size_out / max(size_in, 1):.3f})")
        print(f"  time        {time.monotonic() - started:.2f} s")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return convert(args)
    except (ConversionError, tzw.TZWError) as e:
        print(f"convert_checkpoint: error: {e}", file=sys.stderr)
    except OSError as e:
        where = f"{e.filename}: " if e.filename else ""
        print(f"convert_checkpoint: error: {where}{e.strerror or e}", file=sys.stderr)
    except KeyboardInterrupt:
        print("convert_checkpoint: interrupted", file=sys.stderr)
        return 130
    return 1


if __name__ == "__main__":
    sys.exit(main())
