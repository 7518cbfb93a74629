"""Opening cost and memory of one model through libtitok, in a fresh process:
time to open, resident memory added by opening (before first use), and the peak resident
memory added by one encode + decode, and how much of the memory resident after it is mapped
file pages (RssFile) and how much anonymous (RssAnon: packed weights, buffers), and how much of
each is mapped in 2 MiB pages. Usage: memory_probe.py REPO MODEL.tzw THREADS [LIBRARY].
Prints one JSON object (bytes and milliseconds)."""

import json
import os
import sys
import time
from pathlib import Path


def status(key: str, path: str = "/proc/self/status") -> int:
    for line in Path(path).read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    return -1


def main() -> None:
    repo, model_path, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if len(sys.argv) > 4:
        os.environ["TITOK_LIBRARY"] = sys.argv[4]
    sys.path.insert(0, str(Path(repo) / "python"))
    sys.path.insert(0, str(Path(repo) / "scripts" / "bench"))
    import titok
    from peers import synthetic_batch
    pixels = synthetic_batch(1, 256 if "-256" in model_path else 512)
    before = status("VmRSS")
    t0 = time.perf_counter()
    model = titok.Model(model_path, threads=threads)
    open_ms = (time.perf_counter() - t0) * 1000
    after_open = status("VmRSS")
    if model.info.resolution != pixels.shape[-1]:
        pixels = synthetic_batch(1, model.info.resolution)
    base_peak = status("VmHWM")
    latents = model.encode_latents(pixels)
    model.decode_latents(latents)
    print(json.dumps({
        "file_bytes": os.path.getsize(model_path), "open_ms": open_ms,
        "resident_added_by_open_bytes": after_open - before,
        "resident_before_open_bytes": before, "peak_before_use_bytes": base_peak,
        "peak_after_encode_decode_bytes": status("VmHWM"),
        "peak_added_by_encode_decode_bytes": status("VmHWM") - before,
        "resident_file_after_bytes": status("RssFile"), "resident_anon_after_bytes": status("RssAnon"),
        # Of those, the bytes mapped in 2 MiB pages (the weight file's where the page cache holds it so).
        "resident_file_huge_after_bytes": status("FilePmdMapped", "/proc/self/smaps_rollup"),
        "resident_anon_huge_after_bytes": status("AnonHugePages", "/proc/self/smaps_rollup"),
    }))


if __name__ == "__main__":
    main()
