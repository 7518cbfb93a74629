"""The three implementations compared by scripts/bench.py, each run in its own process (fresh
thread pools, no shared allocator): "ours" (libtitok through the titok Python binding),
"torch" (the reference PyTorch model) and "ort" (its ONNX export under ONNX Runtime).

A peer process answers commands from the coordinator over a pipe: ("encode",) and ("decode",)
run one timed call and reply with its milliseconds; ("quit",) ends it. Inputs are the same
smooth synthetic batch as `zoo bench` makes. The torch peer also answers ("pixel_decoder",):
the reference's convolutional pixel decoder alone (models that have one), on a [B, Z, g, g]
input of the shape the decoder hands it, for comparing with `zoo bench`'s pixel_decoder stage.
"""

from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path


def synthetic_batch(batch: int, side: int):
    """[B,3,R,R] float32 in [0,1], the pattern of `zoo bench` (BenchCommand.syntheticBatch)."""
    import numpy as np
    y, x = np.mgrid[0:side, 0:side].astype(np.float64)
    out = np.empty((batch, 3, side, side), dtype=np.float32)
    for b in range(batch):
        for c in range(3):
            out[b, c] = 0.5 + 0.5 * np.sin((x * (c + 1) + y * (b + 2)) * 0.05)
    return out


class OursPeer:
    def __init__(self, spec):
        lib = spec.get("library")
        if lib:
            os.environ["TITOK_LIBRARY"] = lib
        sys.path.insert(0, str(Path(spec["repo"]) / "python"))
        import titok
        self.model = titok.Model(spec["tzw"], threads=spec["threads"])
        self.pixels = synthetic_batch(spec["batch"], self.model.info.resolution)
        self.latents = self.model.encode_latents(self.pixels)

    def encode(self):
        self.latents = self.model.encode_latents(self.pixels)

    def decode(self):
        self.model.decode_latents(self.latents)


class TorchPeer:
    def __init__(self, spec):
        import torch
        torch.set_num_threads(spec["threads"])
        torch.set_grad_enabled(False)
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import reference
        model, config = reference.build_model(Path(spec["reference"]), spec["variant"], spec["resolution"], spec["seed"])
        if spec.get("checkpoint"):  # the very weights the other peers run
            from safetensors.torch import load_file
            model.load_state_dict(load_file(str(Path(spec["checkpoint"]) / "model.safetensors")), strict=True)
        self.torch = torch
        self.encoder, self.decoder = reference.Encoder(model), reference.Decoder(model)
        self.pixels = torch.from_numpy(synthetic_batch(spec["batch"], spec["resolution"]))
        with torch.inference_mode():
            self.codes = self.encoder(self.pixels)
        self.pixel_module = getattr(model, "pixel_decoder", None)
        if self.pixel_module is not None:
            # What the legacy decoder hands it: the softmax mix of the pixel codebook, [B, Z, g, g].
            z = model.pixel_quantize.embedding.weight.shape[1]
            g = spec["resolution"] // 16
            gen = torch.Generator().manual_seed(spec["seed"])
            self.pixel_input = torch.randn(spec["batch"], z, g, g, generator=gen)

    def encode(self):
        with self.torch.inference_mode():
            self.codes = self.encoder(self.pixels)

    def decode(self):
        with self.torch.inference_mode():
            self.decoder(self.codes)

    def pixel_decoder(self):
        if self.pixel_module is None:
            raise RuntimeError("this model has no pixel decoder")
        with self.torch.inference_mode():
            self.pixel_module(self.pixel_input)


class OrtPeer:
    def __init__(self, spec):
        import onnxruntime as ort
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = spec["threads"]
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.enc = ort.InferenceSession(spec["onnx_encoder"], opts, providers=["CPUExecutionProvider"])
        self.dec = ort.InferenceSession(spec["onnx_decoder"], opts, providers=["CPUExecutionProvider"])
        self.pixels = synthetic_batch(spec["batch"], spec["resolution"])
        self.codes = self.enc.run(None, {"pixels": self.pixels})[0]

    def encode(self):
        self.codes = self.enc.run(None, {"pixels": self.pixels})[0]

    def decode(self):
        self.dec.run(None, {"codes": self.codes})


PEERS = {"ours": OursPeer, "torch": TorchPeer, "ort": OrtPeer}


def serve(kind: str, spec: dict, conn) -> None:
    """Process entry point: build the peer, then answer timed calls until ("quit",)."""
    try:
        peer = PEERS[kind](spec)
        conn.send(("ready", None))
    except Exception as e:  # reported to the coordinator, which names the peer
        conn.send(("error", f"{type(e).__name__}: {e}"))
        return
    while True:
        cmd = conn.recv()
        if cmd[0] == "quit":
            return
        try:
            fn = getattr(peer, cmd[0])
            t0 = time.perf_counter()
            fn()
            conn.send(("ms", (time.perf_counter() - t0) * 1000))
        except Exception as e:
            conn.send(("error", f"{type(e).__name__}: {e}"))


def median(xs):
    s = sorted(xs)
    n = len(s)
    return math.nan if n == 0 else (s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2]))
