"""titok.ray on a local Ray cluster: rows equal `zoo tokenize`'s, byte for byte (VQ) or value for
value (VAE), in the center and tencrop modes; unreadable images skipped; Parquet output."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

ray = pytest.importorskip("ray")

from PIL import Image  # noqa: E402

from titok import ray as titok_ray  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
PHOTOS = sorted((REPO / "assets" / "images").glob("*.png"))


def zoo_binary() -> Path:
    env = os.environ.get("TITOK_ZOO")
    if env:
        return Path(env)
    built = [REPO / ".build" / c / "zoo" for c in ("debug", "release")]
    built = [p for p in built if p.is_file()]
    assert built, "the zoo executable is not built (swift build --product zoo, or set $TITOK_ZOO)"
    return max(built, key=lambda p: p.stat().st_mtime)


@pytest.fixture(scope="module")
def local_cluster():
    from titok import _library

    python_dir = str(REPO / "python")
    env = {"PYTHONPATH": os.pathsep.join([python_dir, os.environ.get("PYTHONPATH", "")]),
           "TITOK_LIBRARY": _library.library_path()}
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, runtime_env={"env_vars": env})
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    """An ImageFolder with two classes, a nested folder, a root image, PNG and JPEG, a broken file."""
    root = tmp_path_factory.mktemp("data")
    a = np.asarray(Image.open(PHOTOS[0]).convert("RGB"))
    b = np.asarray(Image.open(PHOTOS[1]).convert("RGB"))
    files = {"zebra/z1.png": a[10:80, 20:110], "zebra/nested/z2.jpg": b[:64, :64],
             "apple/a2.jpeg": b[5:105, 30:100], "apple/a1.png": a[100:164, 100:164], "loose.png": a[50:130, 50:130]}
    for rel, arr in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.ascontiguousarray(arr)).save(path, quality=92)
    (root / "apple" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    return root


def zoo_tokenize(data: Path, model: Path, out: Path, *extra: str) -> None:
    r = subprocess.run([str(zoo_binary()), "tokenize", str(data), "--model", str(model), "--out", str(out),
                        "--threads", "1", *extra], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_list_matches_zoo_order(dataset):
    items = titok_ray.list_images(str(dataset))
    assert [i["path"] for i in items] == ["apple/a1.png", "apple/a2.jpeg", "apple/broken.png", "loose.png",
                                          "zebra/nested/z2.jpg", "zebra/z1.png"]
    assert [i["class_id"] for i in items] == [0, 0, 0, None, 1, 1]
    assert [i["path"] for i in titok_ray.shard(items, 1, 4)] == ["apple/a2.jpeg", "zebra/z1.png"]


@pytest.mark.parametrize("mode", ["center", "tencrop"])
def test_rows_equal_zoo_tokenize(local_cluster, dataset, model_paths, tmp_path, mode):
    expected = tmp_path / "zoo.jsonl"
    zoo_tokenize(dataset, model_paths["legacy"], expected, "--preprocess", mode)
    out = tmp_path / "ray.jsonl"
    result = titok_ray.tokenize(str(dataset), str(model_paths["legacy"]), str(out), preprocess=mode,
                                batch_size=2, concurrency=2)
    assert out.read_bytes() == expected.read_bytes()
    assert len(result["skipped"]) == 1 and "broken.png" in result["skipped"][0]
    assert result["images"] == 5 and result["rows"] == 5 * (10 if mode == "tencrop" else 1)


def test_vae_latents_equal_zoo_tokenize(local_cluster, dataset, model_paths, tmp_path):
    expected = tmp_path / "zoo.jsonl"
    # Batches of one on both sides: Ray batches rows before the unreadable file is dropped, zoo
    # after, so with larger batches an image can share its batch with different neighbours, and
    # an sgemm over a different number of rows may round its float latents differently (by an
    # ulp; the tokens of the legacy tests above stay identical). Same batches: bit-identical.
    zoo_tokenize(dataset, model_paths["vae"], expected, "--batch", "1")
    out = tmp_path / "ray.jsonl"
    titok_ray.tokenize(str(dataset), str(model_paths["vae"]), str(out), batch_size=1, concurrency=1)
    got, want = titok_ray.read_rows(str(out)), titok_ray.read_rows(str(expected))
    assert [r["path"] for r in got] == [r["path"] for r in want]
    for g, w in zip(got, want):
        assert np.array_equal(np.float32(g["latents"]), np.float32(w["latents"])), g["path"]


def test_parquet_rows(local_cluster, dataset, model_paths, tmp_path):
    pytest.importorskip("pyarrow")
    expected = tmp_path / "zoo.jsonl"
    zoo_tokenize(dataset, model_paths["legacy"], expected)
    out = tmp_path / "ray.parquet"
    titok_ray.tokenize(str(dataset), str(model_paths["legacy"]), str(out), output_format="parquet")
    assert titok_ray.read_rows(str(out)) == titok_ray.read_rows(str(expected))


def test_row_text_matches_json_dumps():
    row = titok_ray.row_text("a/\u00e9 \"q\".png", 3, None, tokens=np.array([1, 2], dtype=np.int32))
    assert row == json.dumps({"path": "a/\u00e9 \"q\".png", "class_id": 3, "tokens": [1, 2]}, ensure_ascii=False)
    # Floats as Swift prints a Float (checked against swiftc output for 20,000 values).
    lat = titok_ray.row_text("x.png", None, 4, latents=np.float32([[0.1, -2.5e-05, 0.0001], [1.0, 16777218.0, -0.0]]))
    assert lat == '{"path": "x.png", "crop": 4, "latents": [[0.1, -2.5e-05, 0.0001], [1.0, 1.6777218e+07, -0.0]]}'
