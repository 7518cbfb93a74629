# Writes Tests/Fixtures/format/python_half_strips16.tzw with tools/tzw.py: an f16 and a bf16
# matrix stored as strips16 (version 3: "h" [32, 3], "b" [16, 5, 1, 1]) and the same values
# row-major ("expected.h", "expected.b"), so the Swift reader's 16-bit strips16 order is checked
# against the Python writer's.
import sys; sys.path.insert(0, 'tools')
import numpy as np, tzw
rng = np.random.default_rng(2)
h = rng.standard_normal((32, 3)).astype("<f2")
b = tzw.float32_to_bfloat16_bits(rng.standard_normal((16, 5, 1, 1)).astype(np.float32))
specs = [
    tzw.TensorSpec("h", "f16", (32, 3), lambda: h, "raw", "strips16"),
    tzw.TensorSpec("b", "bf16", (16, 5, 1, 1), lambda: b, "raw", "strips16"),
    tzw.TensorSpec("expected.h", "f16", (32, 3), lambda: h),
    tzw.TensorSpec("expected.b", "bf16", (16, 5, 1, 1), lambda: b),
]
meta = {"format": "titok-zoo-weights", "family": "titok", "variant": "python_half_strips16",
        "config": {"note": "16-bit strips16 interop"}}
tzw.write_tzw(sys.argv[1], meta, specs)
