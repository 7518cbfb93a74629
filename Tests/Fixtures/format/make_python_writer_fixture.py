# Writes Tests/Fixtures/format/python_writer.tzw with tools/tzw.py: every dtype in every
# encoding (same values across encodings), plus "expected.<dtype>" raw f32 copies of the floats.
import sys; sys.path.insert(0, 'tools')
import numpy as np, tzw
rng = np.random.default_rng(0)
specs = []
for dt in ["f32", "f16", "bf16", "f64", "i32", "i64", "u8"]:
    x = rng.standard_normal((3, 5)).astype(np.float32)
    if dt == "bf16":
        arr = tzw.float32_to_bfloat16_bits(x); expect = tzw.bfloat16_bits_to_float32(arr)
    elif dt == "f16":
        arr = x.astype(np.float16); expect = arr.astype(np.float32)
    elif dt == "f64":
        arr = x.astype(np.float64) / 3; expect = arr.astype(np.float32)
    elif dt == "f32":
        arr = x; expect = x
    else:
        arr = rng.integers(-100 if dt != "u8" else 0, 200, (3, 5)).astype({"i32": np.int32, "i64": np.int64, "u8": np.uint8}[dt]); expect = None
    for enc in ["raw", "zlib", "zlib+shuffle"]:
        specs.append(tzw.TensorSpec(f"{dt}.{enc}", dt, (3, 5), (lambda a=arr: a), enc))
    if expect is not None:
        specs.append(tzw.TensorSpec(f"expected.{dt}", "f32", (3, 5), (lambda a=expect: np.ascontiguousarray(a, dtype=np.float32)), "raw"))
specs.append(tzw.TensorSpec("scalar", "f32", (), lambda: np.array(1.5, dtype=np.float32), "raw"))
specs.append(tzw.TensorSpec("empty", "f16", (0, 3), lambda: np.zeros((0, 3), np.float16), "zlib"))
meta = {"format": "titok-zoo-weights", "family": "titok", "variant": "python_interop", "config": {"note": "format interop"}}
tzw.write_tzw(sys.argv[1], meta, specs, alignment=4096)
