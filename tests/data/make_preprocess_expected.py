#!/usr/bin/env python3
"""Writes the expected pixels that Tests/ImageIOTests compares the Swift image code against.

Made with Pillow + numpy only (torchvision's crop arithmetic is written out below). Run from the
repository root:  python3 tests/data/make_preprocess_expected.py
Outputs (all committed):
  tests/data/preprocess/manifest.json   one entry per case: source, operation, output size, file
  tests/data/preprocess/*.png           expected RGB8 results (ten-crop: the outer 1.1x crop; the
                                        manifest says where each of the 10 crops sits in it)
  tests/data/images/*                   decoder inputs (PNG kinds, JPEGs with EXIF orientation, grey, CMYK)
                                        and their expected RGB8 pixels as PNG
Sources are the shipped photos assets/images/*.png and integer-only derivations of them (pixel
repetition and crops) that the Swift tests rebuild exactly.
"""
import json
import os

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "data")
PHOTOS = sorted(f for f in os.listdir(os.path.join(ROOT, "assets", "images")) if f.endswith(".png"))


def load_photo(name):
    return np.array(Image.open(os.path.join(ROOT, "assets", "images", name)).convert("RGB"))


def derive(arr, source):
    """Integer-only sources: 'original', or 'up2x:WxH' = each pixel repeated 2x2, then the top-left WxH."""
    if source == "original":
        return arr
    kind, size = source.split(":")
    assert kind == "up2x"
    w, h = (int(v) for v in size.split("x"))
    up = np.repeat(np.repeat(arr, 2, axis=0), 2, axis=1)
    return np.ascontiguousarray(up[:h, :w])


# --- the reference transforms -------------------------------------------------------------------
def adm_center_crop(img, size):
    """scripts/pretokenization.py center_crop_arr (from ADM)."""
    while min(*img.size) >= 2 * size:
        img = img.resize(tuple(x // 2 for x in img.size), resample=Image.BOX)
    scale = size / min(*img.size)
    img = img.resize(tuple(round(x * scale) for x in img.size), resample=Image.BICUBIC)
    arr = np.array(img)
    y = (arr.shape[0] - size) // 2
    x = (arr.shape[1] - size) // 2
    return arr[y:y + size, x:x + size]


def tv_center_crop(arr, size):
    """torchvision center_crop: offsets int(round((H - s) / 2)), int(round((W - s) / 2))."""
    h, w = arr.shape[:2]
    top = int(round((h - size) / 2.0))
    left = int(round((w - size) / 2.0))
    return arr[top:top + size, left:left + size]


def tv_resize_shorter(img, size):
    """torchvision Resize(size) on a PIL image: short side -> size, long side int(size * long / short)."""
    w, h = img.size
    short, long = (w, h) if w <= h else (h, w)
    new_long = int(size * long / short)
    new = (size, new_long) if w <= h else (new_long, size)
    return img.resize(new, resample=Image.BICUBIC)


def five_crop(arr, size):
    h, w = arr.shape[:2]
    return [arr[:size, :size], arr[:size, w - size:], arr[h - size:, :size], arr[h - size:, w - size:],
            tv_center_crop(arr, size)]


def ten_crop(img, size):
    """pretokenization.py --ten_crop: ADM crop to int(1.1 * size), then torchvision TenCrop(size)."""
    outer = adm_center_crop(img, int(size * 1.1))
    return five_crop(outer, size) + five_crop(outer[:, ::-1], size)


def run_case(op, img, size, width=None, height=None):
    if op == "adm":
        return [adm_center_crop(img, size)]
    if op == "center":
        return [tv_center_crop(np.array(tv_resize_shorter(img, size)), size)]
    if op == "tencrop":
        return ten_crop(img, size)
    if op in ("resize_bicubic", "resize_box", "resize_bilinear"):
        f = {"resize_bicubic": Image.BICUBIC, "resize_box": Image.BOX, "resize_bilinear": Image.BILINEAR}[op]
        return [np.array(img.resize((width, height), resample=f))]
    raise ValueError(op)


CASES = [
    # (photo index, source, op, size, resize width, resize height)
    (0, "up2x:512x384", "adm", 256, None, None),
    (0, "up2x:512x384", "adm", 128, None, None),
    (1, "up2x:512x384", "adm", 64, None, None),
    (1, "up2x:301x227", "adm", 64, None, None),
    (0, "original", "adm", 100, None, None),
    (1, "up2x:301x227", "center", 256, None, None),
    (0, "original", "center", 64, None, None),
    (0, "original", "tencrop", 224, None, None),
    (1, "up2x:512x384", "tencrop", 256, None, None),
    (0, "original", "resize_bicubic", 0, 97, 131),
    (1, "up2x:301x227", "resize_box", 0, 150, 113),
    (1, "original", "resize_bilinear", 0, 300, 280),
    (0, "original", "resize_bicubic", 0, 333, 290),
]


def ten_crop_layout(outer, crops, size):
    """Ten crops overlap heavily, so they are stored compactly: the outer ADM crop once, plus where
    each crop sits in it (x, y, mirrored). Checked here against the crops themselves."""
    w = outer.shape[1]
    layout = []
    for i, crop in enumerate(crops):
        mirrored = i >= 5
        src = outer[:, ::-1] if mirrored else outer
        for y in range(outer.shape[0] - size + 1):
            hits = [x for x in range(w - size + 1) if np.array_equal(src[y:y + size, x:x + size], crop)]
            if hits:
                layout.append({"x": hits[0], "y": y, "mirrored": mirrored})
                break
        else:
            raise AssertionError("crop not found")
    # Expected offsets per torchvision five_crop: tl, tr, bl, br, centre (round-half-even).
    return layout


def make_preprocess():
    d = os.path.join(OUT, "preprocess")
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        os.remove(os.path.join(d, f))
    manifest = []
    for photo_i, source, op, size, w, h in CASES:
        photo = PHOTOS[photo_i]
        src = derive(load_photo(photo), source)
        outs = run_case(op, Image.fromarray(src), size, w, h)
        tag = f"{op}_{size or f'{w}x{h}'}_{source.replace(':', '-')}_{photo_i}"
        entry = {"name": tag, "photo": photo, "source": source, "op": op, "size": size,
                 "resize_width": w, "resize_height": h, "crops": len(outs),
                 "width": int(outs[0].shape[1]), "height": int(outs[0].shape[0]), "file": tag + ".png"}
        if op == "tencrop":
            outer = adm_center_crop(Image.fromarray(src), int(size * 1.1))
            entry["outer_size"] = int(outer.shape[0])
            entry["layout"] = ten_crop_layout(outer, outs, size)
            stored = outer
        else:
            stored = np.concatenate(outs, axis=0)
        Image.fromarray(np.ascontiguousarray(stored)).save(os.path.join(d, tag + ".png"), optimize=True)
        manifest.append(entry)
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


# --- decoder inputs -----------------------------------------------------------------------------
def make_decoder_inputs():
    d = os.path.join(OUT, "images")
    os.makedirs(d, exist_ok=True)
    base = load_photo(PHOTOS[0])[100:124, 60:96]  # 36x24 crop
    rgb = base.astype(np.uint16)
    grey8 = np.array(Image.fromarray(base).convert("L"))
    alpha = (np.arange(36)[None, :] * 7 + np.arange(24)[:, None] * 3).astype(np.uint8)
    cases = {}
    # 8-bit RGBA: colour kept as stored, alpha dropped.
    Image.fromarray(np.dstack([base, alpha]), "RGBA").save(os.path.join(d, "rgba8.png"))
    cases["rgba8.png"] = base
    # 16-bit RGB with values v * 257 (exactly representable in 8 bits), written by numpy -> raw PNG.
    write_png16(os.path.join(d, "rgb16.png"), rgb * 257, color_type=2)
    cases["rgb16.png"] = base
    # 16-bit grey + alpha.
    write_png16(os.path.join(d, "greyalpha16.png"),
                np.dstack([grey8.astype(np.uint16) * 257, alpha.astype(np.uint16) * 257]), color_type=4)
    cases["greyalpha16.png"] = np.dstack([grey8] * 3)
    Image.fromarray(grey8, "L").save(os.path.join(d, "grey8.png"))
    cases["grey8.png"] = np.dstack([grey8] * 3)
    Image.fromarray(np.dstack([grey8, alpha]), "LA").save(os.path.join(d, "greyalpha8.png"))
    cases["greyalpha8.png"] = np.dstack([grey8] * 3)
    pal = Image.fromarray(base).quantize(colors=16)
    pal.save(os.path.join(d, "palette_trns.png"), transparency=bytes([0, 128] + [255] * 14))
    cases["palette_trns.png"] = np.array(Image.open(os.path.join(d, "palette_trns.png")).convert("RGB"))
    # JPEGs: expected = what Pillow decodes (both use libjpeg-turbo, accurate DCT).
    big = load_photo(PHOTOS[1])
    Image.fromarray(big).save(os.path.join(d, "photo_q90.jpg"), quality=90)
    cases["photo_q90.jpg"] = np.array(Image.open(os.path.join(d, "photo_q90.jpg")).convert("RGB"))
    Image.fromarray(np.array(Image.fromarray(big).convert("L"))).save(os.path.join(d, "grey.jpg"), quality=90)
    cases["grey.jpg"] = np.array(Image.open(os.path.join(d, "grey.jpg")).convert("RGB"))
    Image.fromarray(base).convert("CMYK").save(os.path.join(d, "cmyk.jpg"), quality=95)
    cases["cmyk.jpg"] = np.array(Image.open(os.path.join(d, "cmyk.jpg")).convert("RGB"))
    # EXIF orientations 1..8 on a block pattern (large blocks: orientation errors are gross, JPEG error small).
    blocks = np.zeros((24, 40, 3), np.uint8)
    for by in range(3):
        for bx in range(5):
            blocks[by * 8:(by + 1) * 8, bx * 8:(bx + 1) * 8] = [40 * bx + 30, 90 * by + 20, 255 - 40 * bx]
    from PIL import ImageOps
    for o in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = o
        name = f"orient{o}.jpg"
        Image.fromarray(blocks).save(os.path.join(d, name), quality=95, exif=exif.tobytes())
        cases[name] = np.array(ImageOps.exif_transpose(Image.open(os.path.join(d, name))).convert("RGB"))
    manifest = []
    for name, arr in cases.items():
        exp = name.rsplit(".", 1)[0] + ".expected.png"
        Image.fromarray(np.ascontiguousarray(arr.astype(np.uint8))).save(os.path.join(d, exp))
        manifest.append({"file": name, "expected": exp})
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


def write_png16(path, arr, color_type):
    """A minimal 16-bit PNG writer (Pillow cannot write 16-bit RGB)."""
    import struct
    import zlib
    h, w = arr.shape[:2]
    raw = b"".join(b"\x00" + arr[y].astype(">u2").tobytes() for y in range(h))

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, 16, color_type, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


if __name__ == "__main__":
    make_preprocess()
    make_decoder_inputs()
