#!/usr/bin/env python3
"""Benchmark TiTok Zoo against the reference PyTorch implementation and ONNX Runtime.

For each variant: `zoo bench --json` (per-stage ms per image, GFLOP/s, peak RSS). With
--reference DIR (a local checkout of github.com/bytedance/1d-tokenizer; nothing of it is
stored here) the reference model is built with seeded random weights, saved as safetensors,
converted with tools/convert_checkpoint.py, exported to ONNX (when onnxruntime and onnx are
installed), and the three implementations run the identical weights in the same run: one
process each, calls alternated one by one (the order rotated every round, a pause between
calls so no peer's idle threads spin on the next one's cores). Prints medians and their ratios,
and the ratios of each round's back-to-back calls (median and range), which drift moves less.
An OpenBLAS sgemm peak and FMA-throughput measurement opens the run (scripts/bench/sgemm_peak.c).

  python scripts/bench.py --variants TiTok-S-128,TiTok-L-32 --reference /tmp/ref --threads 2
  python scripts/bench.py --json results.json          # every variant, ours only

Run it with a Python that has torch, onnx and onnxruntime for the comparison; build first:
  swift build -c release --product zoo && swift build -c release --product titok
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts" / "bench"))
sys.path.insert(0, str(REPO / "tools"))

import peers  # noqa: E402


def registry_tokenizers(resolution: int) -> list[str]:
    from variants import TOKENIZERS
    return [name for name, c in TOKENIZERS if c["resolution"] == resolution]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def machine() -> dict:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version()}


def sgemm_peak(threads: int, work: Path) -> dict | None:
    exe = work / "sgemm_peak"
    src = REPO / "scripts" / "bench" / "sgemm_peak.c"
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        log("sgemm peak: no C compiler, skipped")
        return None
    if not exe.exists() or exe.stat().st_mtime < src.stat().st_mtime:
        subprocess.run([cc, "-O2", "-pthread", "-o", str(exe), str(src), "-lopenblas"], check=True)
    out = json.loads(subprocess.run([str(exe), str(threads)], check=True, capture_output=True, text=True).stdout)
    # OpenBLAS 0.3.21 runs CPUs it does not know on older kernels (Zen 4/5 on Haswell, an Emerald
    # Rapids Xeon on Prescott); the library then forces the right set (Kernels/BLASCore.swift) and
    # so does this probe, the same rule, so the peak is the machine's and not a stale table's.
    upgrade = blas_core_upgrade(out.get("core", ""))
    if upgrade:
        env = dict(os.environ, OPENBLAS_CORETYPE=upgrade)
        forced = json.loads(subprocess.run([str(exe), str(threads)], check=True, capture_output=True, text=True,
                                           env=env).stdout)
        forced["core_chosen_by_openblas"] = out.get("core")
        return forced
    return out


def blas_core_upgrade(core: str) -> str | None:
    """The OpenBLAS kernel set BLASCore.upgrade forces for this CPU, or None (keep OpenBLAS's choice)."""
    if not core or "OPENBLAS_CORETYPE" in os.environ or "TITOK_BLAS_CORE" in os.environ:
        return None
    try:
        flags: set[str] = set()
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    except OSError:
        return None
    core = core.lower()
    pre_avx2 = {"prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "sandybridge",
                "opteron", "opteron_sse3", "barcelona", "bobcat", "bulldozer", "piledriver"}
    if core in pre_avx2 | {"haswell", "zen"} and {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"} <= flags:
        return "SkylakeX"
    if core in pre_avx2 and {"avx2", "fma"} <= flags:
        return "Haswell"
    return None


def zoo_bench(zoo: Path, model: str, resolution: int, args, random_weights: bool) -> dict:
    cmd = [str(zoo), "bench", model, "--json", "--threads", str(args.threads), "--batch", str(args.batch),
           "--iterations", str(args.iterations), "--warmup", str(args.warmup)]
    if random_weights:
        cmd += ["--random-weights", "--res", str(resolution)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {r.stderr.strip() or r.stdout.strip()}")
    return json.loads(r.stdout)


def memory_probe(args, tzw: Path) -> dict:
    """Open time, resident memory before first use and peak over one encode+decode (fresh process)."""
    cmd = [sys.executable, str(REPO / "scripts" / "bench" / "memory_probe.py"), str(REPO), str(tzw), str(args.threads),
           str(args.library)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"memory probe failed: {r.stderr.strip()[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def _older_layout(path: Path) -> bool:
    """A cached file converted before the converter stored Linear weights as strips16 (f32 files
    since format version 2, f16 and bf16 files since version 3)."""
    import tzw
    with tzw.TZWFile(path) as f:
        return not any(e.order == "strips16" for e in f.entries)


def prepare_reference(args, variant: str, resolution: int, want_onnx: bool) -> dict:
    """Checkpoint, .tzw files and ONNX graphs for one variant (cached under --work)."""
    import reference
    folder = args.work / f"{variant}-{resolution}"
    ckpt = folder / "ckpt"
    onnx_dir = folder / "onnx"
    enc_onnx, dec_onnx = onnx_dir / f"encoder_b{args.batch}.onnx", onnx_dir / f"decoder_b{args.batch}.onnx"
    need_model = not (ckpt / "model.safetensors").exists() or (want_onnx and not dec_onnx.exists())
    if need_model:
        log(f"{variant}: building the reference model with random weights (seed {args.seed})")
        model, config = reference.build_model(args.reference, variant, resolution, args.seed)
        reference.save_checkpoint(model, config, ckpt)
        if want_onnx:
            log(f"{variant}: exporting ONNX (batch {args.batch})")
            reference.export_onnx(model, config, onnx_dir, args.batch)
        del model
    files = {}
    for dtype in args.dtypes:
        out = folder / f"{variant}-{resolution}-{dtype}.tzw"
        if not out.exists() or _older_layout(out):
            log(f"{variant}: converting to {out.name}")
            subprocess.run([sys.executable, str(REPO / "tools" / "convert_checkpoint.py"), str(ckpt), "--out", str(out),
                            "--dtype", dtype, "--compress", "none", "--quiet", "--force"], check=True)
        files[dtype] = out
    from variants import TOKENIZERS
    legacy = any(n == variant and c["resolution"] == resolution and c["kind"] == "legacy_vq" for n, c in TOKENIZERS)
    return {"ckpt": ckpt, "tzw": files, "onnx": (enc_onnx, dec_onnx) if want_onnx else None, "pixel_decoder": legacy}


def compare(args, variant: str, resolution: int, prepared: dict) -> dict:
    """Alternated encode and decode calls of ours, torch and ort; medians per stage."""
    base = {"threads": args.threads, "batch": args.batch, "variant": variant, "resolution": resolution,
            "seed": args.seed, "repo": str(REPO), "reference": str(args.reference), "checkpoint": str(prepared["ckpt"])}
    specs = {"ours": dict(base, tzw=str(prepared["tzw"]["f32"]), library=str(args.library) if args.library else None),
             "torch": dict(base)}
    if prepared["onnx"]:
        specs["ort"] = dict(base, onnx_encoder=str(prepared["onnx"][0]), onnx_decoder=str(prepared["onnx"][1]))
    ctx = mp.get_context("spawn")
    procs, conns = {}, {}
    try:
        for name, spec in specs.items():
            parent, child = ctx.Pipe()
            p = ctx.Process(target=peers.serve, args=(name, spec, child), daemon=True)
            p.start()
            procs[name], conns[name] = p, parent
            status, detail = parent.recv()  # one at a time: set-up costs do not overlap
            if status != "ready":
                raise RuntimeError(f"{name} peer failed to start: {detail}")
        names = list(specs)
        # The reference's pixel decoder alone (torch only: ours is zoo bench's pixel_decoder stage).
        stages = ("encode", "decode") + (("pixel_decoder",) if prepared.get("pixel_decoder") else ())
        times = {stage: {n: [] for n in names} for stage in stages}
        rounds = args.warmup + args.iterations
        for r in range(rounds):
            order = names[r % len(names):] + names[:r % len(names)]
            for stage in stages:
                for n in order:
                    if stage == "pixel_decoder" and n != "torch":
                        continue
                    time.sleep(args.pause)
                    conns[n].send((stage,))
                    status, value = conns[n].recv()
                    if status != "ms":
                        raise RuntimeError(f"{n} {stage} failed: {value}")
                    if r >= args.warmup:
                        times[stage][n].append(value / args.batch)
            log(f"{variant}: round {r + 1}/{rounds}: " + ", ".join(
                f"{s} " + " ".join(f"{n} {times[s][n][-1]:.0f}" for n in names if times[s][n])
                for s in stages if r >= args.warmup))
        result = {stage: {n: peers.median(v) for n, v in per.items()} for stage, per in times.items()}
        result["samples_ms_per_image"] = times
        # Ours over each peer call by call within a round (the calls of a round run back to back,
        # so a slow stretch of the machine weighs on both sides of each ratio).
        result["round_ratios"] = {
            stage: {n: [a / b for a, b in zip(per["ours"], per[n]) if b] for n in per if n != "ours" and per.get("ours")}
            for stage, per in times.items() if stage in ("encode", "decode")}
        return result
    finally:
        for n, c in conns.items():
            try:
                c.send(("quit",))
            except (BrokenPipeError, OSError):
                pass
        for p in procs.values():
            p.join(timeout=30)
            if p.is_alive():
                p.terminate()


def fmt(x) -> str:
    return "-" if x is None or x != x else f"{x:.0f}"


def ratio(a, b) -> str:
    return "-" if a is None or b is None or a != a or b != b or b == 0 else f"{a / b:.2f}"


def print_table(results: list[dict], sgemm: dict | None) -> None:
    if sgemm:
        print(f"sgemm peak ({sgemm['threads']} threads): 2048^3 {sgemm['sgemm_2048_gflops']:.0f} GFLOP/s, "
              f"289x4096x1024 {sgemm['sgemm_289x4096x1024_gflops']:.0f} GFLOP/s"
              + (f"; FMA ceiling {sgemm['fma_peak_gflops']:.0f} GFLOP/s ({sgemm['fma_lanes']}-lane FMAs)"
                 if sgemm.get("fma_peak_gflops") else "")
              + (f"; OpenBLAS kernels {sgemm['core']}" if sgemm.get("core") else "")
              + (f" (forced, as the library does: OpenBLAS chose {sgemm['core_chosen_by_openblas']})"
                 if sgemm.get("core_chosen_by_openblas") else ""))
    head = f"{'variant':<22} {'stage':<7} {'ours':>7} {'torch':>7} {'ort':>7} {'/torch':>7} {'/ort':>6}  zoo bench: ms, GFLOP/s, peak RSS"
    print(head)
    print("-" * len(head))
    for r in results:
        z = r.get("zoo") or {}
        for stage in ("encode", "decode"):
            c = (r.get("compare") or {}).get(stage, {})
            ours, torch_ms, ort_ms = c.get("ours"), c.get("torch"), c.get("ort")
            zms = z.get(f"{stage}_ms_per_image")
            zrate = z.get(f"{stage}_gflops_per_s")
            extra = f"{fmt(zms)} ms" + (f", {zrate:.0f} GFLOP/s" if zrate else "")
            if stage == "decode" and z.get("peak_rss_bytes"):
                extra += f", {z['peak_rss_bytes'] / 2**20:.0f} MiB"
            name = f"{r['variant']}@{r['resolution']}" if stage == "encode" else ""
            print(f"{name:<22} {stage:<7} {fmt(ours):>7} {fmt(torch_ms):>7} {fmt(ort_ms):>7} "
                  f"{ratio(ours, torch_ms):>7} {ratio(ours, ort_ms):>6}  {extra}")
            per_round = ((r.get("compare") or {}).get("round_ratios") or {}).get(stage) or {}
            spans = [f"/{n} {peers.median(v):.2f} ({min(v):.2f}-{max(v):.2f})" for n, v in per_round.items() if v]
            if spans:
                print(f"{'':<22} {'':<7} ratios round by round: median (range) " + ", ".join(spans))
        torch_pixels = ((r.get("compare") or {}).get("pixel_decoder") or {}).get("torch")
        ours_pixels = ((r.get("zoo") or {}).get("decode_stages_ms_per_image") or {}).get("pixel_decoder")
        if torch_pixels and ours_pixels:
            print(f"{'':<22} pixel decoder: ours {fmt(ours_pixels)} ms (zoo bench stage), torch {fmt(torch_pixels)} ms "
                  f"(alone, alternated): {torch_pixels / ours_pixels:.2f}x faster")
        m = r.get("memory")
        if m:
            print(f"{'':<22} memory: open {m['open_ms']:.1f} ms, +{m['resident_added_by_open_bytes'] / 2**20:.1f} MiB resident "
                  f"before first use; encode+decode peak = file {m['file_bytes'] / 2**20:.0f} MiB + "
                  f"{(m['peak_added_by_encode_decode_bytes'] - m['file_bytes']) / 2**20:.0f} MiB")
            if "resident_file_after_bytes" in m:
                print(f"{'':<22} resident after it: file pages {m['resident_file_after_bytes'] / 2**20:.0f} MiB, "
                      f"anonymous {m['resident_anon_after_bytes'] / 2**20:.0f} MiB"
                      + (f" (in 2 MiB pages: {m['resident_file_huge_after_bytes'] / 2**20:.0f} / "
                         f"{m['resident_anon_huge_after_bytes'] / 2**20:.0f} MiB)"
                         if m.get("resident_file_huge_after_bytes", -1) >= 0 else ""))
        for dtype, zd in (r.get("zoo_dtypes") or {}).items():
            print(f"{'':<22} {dtype:<7} encode {fmt(zd.get('encode_ms_per_image'))} ms, "
                  f"decode {fmt(zd.get('decode_ms_per_image'))} ms (zoo bench)")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--variants", help="comma-separated variant names (default: every tokenizer at --resolution)")
    p.add_argument("--resolution", type=int, default=256)
    p.add_argument("--reference", type=Path, help="local checkout of bytedance/1d-tokenizer: compare with PyTorch and ORT")
    p.add_argument("--no-onnx", action="store_true", help="skip ONNX Runtime even when installed")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--iterations", type=int, default=5, help="timed calls per stage and implementation")
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--pause", type=float, default=0.2, help="seconds between alternated calls")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dtypes", default="f32", help="weight dtypes for zoo bench on converted files: f32,f16,bf16")
    p.add_argument("--build-dir", type=Path, default=REPO / ".build" / "release",
                   help="where zoo and libtitok.so were built (swift build -c release)")
    p.add_argument("--work", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "titok-bench",
                   help="cache for checkpoints, .tzw files and ONNX graphs")
    p.add_argument("--json", type=Path, help="also write every number to this file")
    p.add_argument("--skip-zoo-bench", action="store_true", help="only the alternated comparison")
    p.add_argument("--prepare-only", action="store_true", help="build the checkpoints, .tzw files and ONNX graphs, then stop")
    args = p.parse_args()
    args.dtypes = [d.strip() for d in args.dtypes.split(",") if d.strip()]
    if "f32" not in args.dtypes:
        args.dtypes.insert(0, "f32")
    zoo = args.build_dir / "zoo"
    if not zoo.exists():
        p.error(f"{zoo} not found: build with `swift build -c release --product zoo` (or pass --build-dir)")
    args.library = args.build_dir / "libtitok.so"
    if args.reference and not args.library.exists():
        p.error(f"{args.library} not found: build with `swift build -c release --product titok`")
    args.work.mkdir(parents=True, exist_ok=True)
    variants = args.variants.split(",") if args.variants else registry_tokenizers(args.resolution)
    want_onnx = False
    if args.reference and not args.no_onnx:
        try:
            import onnx  # noqa: F401
            import onnxruntime  # noqa: F401
            want_onnx = True
        except ImportError:
            log("onnxruntime/onnx not installed: comparing with PyTorch only")

    report = {"machine": machine(), "threads": args.threads, "batch": args.batch, "iterations": args.iterations,
              "warmup": args.warmup, "command": " ".join([Path(sys.executable).name] + sys.argv)}
    report["sgemm"] = sgemm_peak(args.threads, args.work)
    results = []
    for variant in variants:
        r = {"variant": variant, "resolution": args.resolution}
        prepared = prepare_reference(args, variant, args.resolution, want_onnx) if args.reference else None
        if args.prepare_only:
            continue
        if not args.skip_zoo_bench:
            target = str(prepared["tzw"]["f32"]) if prepared else variant
            r["zoo"] = zoo_bench(zoo, target, args.resolution, args, random_weights=prepared is None)
            if prepared:
                r["zoo_dtypes"] = {d: zoo_bench(zoo, str(f), args.resolution, args, False)
                                   for d, f in prepared["tzw"].items() if d != "f32"}
        if prepared:
            r["memory"] = memory_probe(args, prepared["tzw"]["f32"])
            r["compare"] = compare(args, variant, args.resolution, prepared)
        results.append(r)
        print_table([r], None)
    report["sgemm_end"] = sgemm_peak(args.threads, args.work)
    report["results"] = results
    print()
    print_table(results, report["sgemm"])
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
