#!/usr/bin/env python3
"""Generates a folder of JPEGs in the ImageFolder layout for `zoo tokenize` benchmarks.

    python3 tests/data/make_benchmark_images.py OUT_DIR [--count 300] [--classes 10]

Each image is a random crop of one of the shipped photos (assets/images), scaled to an
ImageNet-like size (short side 300-500, aspect 3:4 to 4:3), possibly mirrored, saved at quality 90.
Seeded: the same arguments give the same files.
"""
import argparse
import os
import random

from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out")
    p.add_argument("--count", type=int, default=300)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    rng = random.Random(a.seed)
    photos = [Image.open(os.path.join(ROOT, "assets", "images", f)).convert("RGB")
              for f in sorted(os.listdir(os.path.join(ROOT, "assets", "images"))) if f.endswith(".png")]
    for i in range(a.count):
        src = photos[i % len(photos)]
        w = rng.randint(96, 256)
        h = max(64, min(256, int(w * rng.uniform(0.75, 1.333))))
        x, y = rng.randint(0, 256 - w), rng.randint(0, 256 - h)
        crop = src.crop((x, y, x + w, y + h))
        short = rng.randint(300, 500)
        scale = short / min(w, h)
        img = crop.resize((round(w * scale), round(h * scale)), Image.BICUBIC)
        if rng.random() < 0.5:
            img = img.transpose(Image.FLIP_LEFT_RIGHT)
        folder = os.path.join(a.out, f"class_{i % a.classes:03d}")
        os.makedirs(folder, exist_ok=True)
        img.save(os.path.join(folder, f"img_{i:05d}.jpg"), quality=90)


if __name__ == "__main__":
    main()
