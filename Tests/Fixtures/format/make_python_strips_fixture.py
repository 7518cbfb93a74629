# Writes Tests/Fixtures/format/python_strips16.tzw with tools/tzw.py: two f32 matrices stored as
# strips16 ("w" [32, 3], "conv" [16, 2, 1, 1]) and their values row-major ("expected.w",
# "expected.conv"), so the Swift reader's strips16 order is checked against the Python writer's.
import sys; sys.path.insert(0, 'tools')
import numpy as np, tzw
rng = np.random.default_rng(1)
w = rng.standard_normal((32, 3)).astype(np.float32)
conv = rng.standard_normal((16, 2, 1, 1)).astype(np.float32)
specs = [
    tzw.TensorSpec("w", "f32", (32, 3), lambda: w, "raw", "strips16"),
    tzw.TensorSpec("conv", "f32", (16, 2, 1, 1), lambda: conv, "raw", "strips16"),
    tzw.TensorSpec("expected.w", "f32", (32, 3), lambda: w),
    tzw.TensorSpec("expected.conv", "f32", (16, 2, 1, 1), lambda: conv),
]
meta = {"format": "titok-zoo-weights", "family": "titok", "variant": "python_strips16", "config": {"note": "strips16 interop"}}
tzw.write_tzw(sys.argv[1], meta, specs)
