"""Dataset tokenization as a Ray Data job: the same rows as `zoo tokenize`, spread over a cluster.

    from titok.ray import tokenize
    tokenize("imagenet/train", "TiTok-L-32-256.tzw", "train.jsonl", preprocess="adm", concurrency=8)

The image list is built exactly as `zoo tokenize` builds it (recursive .png/.jpg/.jpeg, sorted by
path components as UTF-8 bytes, ImageFolder class ids from the sorted top-level folders), turned
into a Ray Dataset, and mapped with `map_batches` by a pool of actors that each hold one opened
`titok.Model`. Rows come back in input order and are written as JSON Lines (byte for byte what
`zoo tokenize` writes) or Parquet (columns path, class_id, crop, tokens | latents).

Running on a multi-node cluster
-------------------------------
* Start Ray on every node (`ray start --head` on one, `ray start --address=HEAD:6379` on the
  others) and pass `ray_address="auto"` (or "ray://HEAD:10001" from outside) to `tokenize`, or call
  `ray.init(address=...)` yourself before it.
* Every node must see the images and the model at the same paths: a shared filesystem (NFS, a
  mounted bucket), or copy the `.tzw` file to the same path on each node (or use a variant name
  with `$TITOK_MODELS` set on each node). Each node needs libtitok.so and this package
  (`pip install ./python` with the library inside the wheel, or `$TITOK_LIBRARY`).
* Only paths travel through the object store; each actor reads its images itself and returns
  small rows, so the driver needs little memory. `concurrency` is the number of actors (one model
  each); `threads` is the compute threads per actor (0 = the cores Ray gives it, `num_cpus`).

Ray is optional: it is imported only when these functions run.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Iterable, Optional

import numpy as np

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg"}
PREPROCESS_MODES = ("center", "adm", "tencrop")


def _require_ray():
    try:
        import ray  # noqa: F401
    except ImportError as e:  # pragma: no cover - exercised only without ray
        raise ImportError("titok.ray needs Ray: pip install 'ray[data]'") from e
    return ray


# ---------------------------------------------------------------------------------------------
# The image list (the same order and class ids as `zoo tokenize`)
# ---------------------------------------------------------------------------------------------
def _key(components: Iterable[str]):
    return [c.encode("utf-8", "surrogateescape") for c in components]


def list_images(root: str) -> list[dict]:
    """[{"path": relative path, "class_id": int | None}] in `zoo tokenize`'s canonical order."""
    if not os.path.isdir(root):
        raise NotADirectoryError(f"{root} is not a folder")
    found: list[list[str]] = []

    def walk(folder: str, parts: list[str]) -> None:
        for name in os.listdir(folder):
            if name.startswith("."):
                continue
            full = os.path.join(folder, name)
            if os.path.isdir(full) and not os.path.islink(full):
                walk(full, parts + [name])
            elif os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS:
                found.append(parts + [name])

    walk(root, [])
    found.sort(key=_key)
    classes = sorted({p[0] for p in found if len(p) > 1}, key=lambda c: c.encode("utf-8", "surrogateescape"))
    index = {c: i for i, c in enumerate(classes)}
    return [{"path": "/".join(p), "class_id": index[p[0]] if len(p) > 1 else None} for p in found]


def shard(items: list, index: int, count: int) -> list:
    """`--shard I/N`: every N-th item from the I-th."""
    if not (count >= 1 and 0 <= index < count):
        raise ValueError(f"shard must satisfy 0 <= index < count, got {index}/{count}")
    return items[index::count]


# ---------------------------------------------------------------------------------------------
# Preprocessing (docs/preprocessing.md)
# ---------------------------------------------------------------------------------------------
def _pil_rgb(path: str):
    from PIL import Image, ImageOps

    with Image.open(path) as im:
        im = ImageOps.exif_transpose(im)  # zoo applies the EXIF orientation too
        return im.convert("RGB")


def _adm_crop(img, size: int) -> np.ndarray:
    from PIL import Image

    while min(*img.size) >= 2 * size:
        img = img.resize(tuple(x // 2 for x in img.size), resample=Image.BOX)
    scale = size / min(*img.size)
    img = img.resize(tuple(round(x * scale) for x in img.size), resample=Image.BICUBIC)
    arr = np.asarray(img)
    y = (arr.shape[0] - size) // 2
    x = (arr.shape[1] - size) // 2
    return arr[y:y + size, x:x + size]


def _five_crop(arr: np.ndarray, size: int) -> list[np.ndarray]:
    h, w = arr.shape[:2]
    top, left = int(round((h - size) / 2.0)), int(round((w - size) / 2.0))
    return [arr[:size, :size], arr[:size, w - size:], arr[h - size:, :size], arr[h - size:, w - size:],
            arr[top:top + size, left:left + size]]


def preprocess(path: str, mode: str, resolution: int) -> list[np.ndarray]:
    """The uint8 [R,R,3] model inputs of one image, as `zoo tokenize --preprocess MODE`.

    `center` uses libtitok's own loader (the very code of `zoo`); `adm` and `tencrop` use Pillow,
    whose resampling and decoding the Swift code reproduces exactly (tests/data)."""
    if mode == "center":
        import titok

        return [titok.load_image(path, resolution)]
    if mode == "adm":
        return [np.ascontiguousarray(_adm_crop(_pil_rgb(path), resolution))]
    if mode == "tencrop":
        outer = _adm_crop(_pil_rgb(path), int(resolution * 1.1))
        crops = _five_crop(outer, resolution) + _five_crop(outer[:, ::-1], resolution)
        return [np.ascontiguousarray(c) for c in crops]
    raise ValueError(f"preprocess must be one of {', '.join(PREPROCESS_MODES)}, got {mode!r}")


# ---------------------------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------------------------
def _f32_text(x) -> str:
    """The text Swift prints for a Float: the shortest digits that read back as the same float32,
    positional unless the decimal exponent is below -4 or the value exceeds 2^24."""
    x = np.float32(x)
    if x == 0 or not np.isfinite(x):
        return np.format_float_positional(x, unique=True, trim="0")
    sci = np.format_float_scientific(x, unique=True, trim="-", exp_digits=2)
    if int(sci.split("e")[1]) < -4 or abs(float(x)) > 16777216.0:
        return sci
    return np.format_float_positional(x, unique=True, trim="0")


def row_text(path: str, class_id: Optional[int], crop: Optional[int], tokens=None, latents=None) -> str:
    """One JSON Lines row, the same bytes as `zoo tokenize` writes."""
    head = {"path": path}
    if class_id is not None:
        head["class_id"] = int(class_id)
    if crop is not None:
        head["crop"] = int(crop)
    text = json.dumps(head, ensure_ascii=False)[:-1]
    if tokens is not None:
        return text + ", \"tokens\": [" + ", ".join(str(int(t)) for t in tokens) + "]}"
    lat = np.asarray(latents, dtype=np.float32)
    if not np.isfinite(lat).all():
        raise ValueError(f"{path}: the model produced non-finite latents")
    body = ", ".join("[" + ", ".join(_f32_text(v) for v in channel) + "]" for channel in lat)
    return text + ", \"latents\": [" + body + "]}"


class _ModelSpec:
    """How each actor opens its model: a .tzw path, an installed variant, or random weights."""

    def __init__(self, model: str, resolution: int = 0, random_weights: bool = False, seed: int = 0,
                 models_dir: Optional[str] = None, threads: int = 0):
        self.model, self.resolution, self.random_weights = model, resolution, random_weights
        self.seed, self.models_dir, self.threads = seed, models_dir, threads

    def open(self):
        import titok

        if self.model.endswith(".tzw") or "/" in self.model:
            return titok.Model(self.model, threads=self.threads)
        if self.random_weights:
            return titok.Model.random(self.model, self.resolution, self.seed, threads=self.threads)
        return titok.Model.from_variant(self.model, self.resolution, self.models_dir, threads=self.threads)


class TokenizeActor:
    """A Ray Data callable class: holds one opened model; maps a batch of {path, class_id} to rows.

    Output columns: `line` (the JSON row text, one per crop) and `error` (why an image was skipped;
    its `line` is then empty)."""

    def __init__(self, spec: _ModelSpec, root: str, mode: str):
        self.model = spec.open()
        self.root, self.mode = root, mode

    def __call__(self, batch: dict) -> dict:
        info = self.model.info
        r = info.resolution
        lines, errors = [], []
        crops, owners = [], []
        for i, rel in enumerate(batch["path"]):
            try:
                images = preprocess(os.path.join(self.root, rel), self.mode, r)
            except Exception as e:  # unreadable image: reported, not fatal
                lines.append("")
                errors.append(f"{os.path.join(self.root, rel)}: {e}")
                continue
            for j, image in enumerate(images):
                crops.append(image)
                owners.append((i, j if len(images) > 1 else None))
        results = {}
        if crops:
            stack = np.stack(crops)
            if info.is_vae:
                pixels = stack.transpose(0, 3, 1, 2).astype(np.float32) / np.float32(255)
                out = self.model.encode_latents(pixels)
            else:
                out = self.model.encode(stack)
            for k, (i, crop) in enumerate(owners):
                cid = int(batch["class_id"][i])
                cid = None if cid < 0 else cid
                rel = batch["path"][i]
                text = row_text(rel, cid, crop, latents=out[k]) if info.is_vae else row_text(rel, cid, crop, tokens=out[k])
                results.setdefault(i, []).append(text)
        # Rows in input order, each image's crops in order, then the skipped images' errors.
        for i in range(len(batch["path"])):
            for text in results.get(i, []):
                lines.append(text)
                errors.append("")
        return {"line": lines, "error": errors}


def tokenize(directory: str, model: str, out: str, *, preprocess: str = "center", batch_size: int = 8,
             concurrency: int = 2, num_cpus_per_actor: float = 1, threads: int = 0, resolution: int = 0,
             random_weights: bool = False, seed: int = 0, models_dir: Optional[str] = None,
             shard_index: int = 0, shard_count: int = 1, output_format: str = "jsonl",
             ray_address: Optional[str] = None) -> dict:
    """Tokenizes every image under `directory` with a pool of Ray actors and writes `out`.

    Returns {"images": rows written per image, "rows": n, "skipped": [messages]}. Starts a local
    Ray instance unless Ray is already initialised or `ray_address` is given."""
    ray = _require_ray()
    if preprocess not in PREPROCESS_MODES:
        raise ValueError(f"preprocess must be one of {', '.join(PREPROCESS_MODES)}, got {preprocess!r}")
    if output_format not in ("jsonl", "parquet"):
        raise ValueError(f"output_format must be 'jsonl' or 'parquet', got {output_format!r}")
    items = shard(list_images(directory), shard_index, shard_count)
    if not ray.is_initialized():
        ray.init(address=ray_address) if ray_address else ray.init()
    ctx = ray.data.DataContext.get_current()
    ctx.execution_options.preserve_order = True
    # Each actor computes on the cores Ray reserves for it unless told otherwise.
    threads = threads or max(1, int(num_cpus_per_actor))
    spec = _ModelSpec(model, resolution, random_weights, seed, models_dir, threads)
    # class_id -1 stands for "no class" (columns need one type); rows omit it.
    records = [{"path": it["path"], "class_id": -1 if it["class_id"] is None else it["class_id"]} for it in items]
    ds = ray.data.from_items(records) if records else None
    lines, skipped = [], []
    if ds is not None:
        mapped = ds.map_batches(TokenizeActor, fn_constructor_args=(spec, directory, preprocess),
                                batch_size=batch_size, compute=ray.data.ActorPoolStrategy(size=concurrency),
                                num_cpus=num_cpus_per_actor,
                                batch_format="numpy")
        for row in mapped.iter_rows():
            if row["line"]:
                lines.append(str(row["line"]))
            if row["error"]:
                skipped.append(str(row["error"]))
    for message in skipped:
        print(f"skipped {message}", file=sys.stderr)
    if output_format == "jsonl":
        with open(out, "w", encoding="utf-8") as f:
            for text in lines:
                f.write(text + "\n")
    else:
        _write_parquet(lines, out)
    return {"images": len({json.loads(t)["path"] for t in lines}), "rows": len(lines), "skipped": skipped}


def _write_parquet(lines: list[str], out: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [json.loads(t) for t in lines]
    columns = {"path": [r["path"] for r in rows],
               "class_id": [r.get("class_id") for r in rows],
               "crop": [r.get("crop") for r in rows]}
    if rows and "latents" in rows[0]:
        columns["latents"] = [r["latents"] for r in rows]
    else:
        columns["tokens"] = [r.get("tokens") for r in rows]
    pq.write_table(pa.table(columns), out)


def read_rows(path: str) -> list[dict]:
    """Rows of a JSON Lines or Parquet output as dicts (absent class_id/crop left out)."""
    if path.endswith(".parquet"):
        import pyarrow.parquet as pq

        out = []
        for r in pq.read_table(path).to_pylist():
            out.append({k: v for k, v in r.items() if v is not None})
        return out
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def main(argv: Optional[list[str]] = None) -> int:
    """`python -m titok.ray DIR --model M --out FILE [...]`."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m titok.ray", description=__doc__.split("\n\n")[0])
    p.add_argument("directory")
    p.add_argument("--model", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--preprocess", default="center", choices=PREPROCESS_MODES)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--concurrency", type=int, default=2)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--res", type=int, default=0)
    p.add_argument("--random-weights", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--models")
    p.add_argument("--format", default="jsonl", choices=("jsonl", "parquet"))
    p.add_argument("--address", help="Ray cluster address (default: start a local instance)")
    a = p.parse_args(argv)
    result = tokenize(a.directory, a.model, a.out, preprocess=a.preprocess, batch_size=a.batch,
                      concurrency=a.concurrency, threads=a.threads, resolution=a.res,
                      random_weights=a.random_weights, seed=a.seed, models_dir=a.models,
                      output_format=a.format, ray_address=a.address)
    print(f"tokenized {result['images']} images ({result['rows']} rows), skipped {len(result['skipped'])} -> {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
