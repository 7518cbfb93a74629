#!/usr/bin/env bash
# Measures crc32 throughput, the open time of a large raw-f32 .tzw (the CRC policy's numbers) and
# the load throughput of converted/compressed tensors.
# Usage: fuzz/bench.sh [MB]   (default 2400; writes and deletes files under /tmp)
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out" /tmp/tzw-open-bench.tzw /tmp/tzw-convert-bench.tzw' EXIT
swiftc -O -parse-as-library -module-name OpenBenchmark -I Sources/CZlib \
  -suppress-warnings Sources/WeightFormat/*.swift fuzz/OpenBenchmark.swift -lz -o "$out/open-benchmark"
"$out/open-benchmark" write /tmp/tzw-open-bench.tzw "${1:-2400}"
"$out/open-benchmark" measure /tmp/tzw-open-bench.tzw
rm -f /tmp/tzw-open-bench.tzw
"$out/open-benchmark" convert /tmp/tzw-convert-bench.tzw
