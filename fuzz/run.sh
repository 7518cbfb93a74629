#!/usr/bin/env bash
# Builds and runs the .tzw parser fuzzer (libFuzzer + AddressSanitizer) for [seconds] (default 300).
# Seeds: small valid files written by fuzz/MakeSeeds.swift into fuzz/corpus/ (git-ignored);
# crashes land in fuzz/artifacts/. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
build=fuzz/.build
mkdir -p "$build" fuzz/corpus fuzz/artifacts
sources=(Sources/WeightFormat/*.swift)
swiftc -O -parse-as-library -suppress-warnings -module-name MakeSeeds -I Sources/CZlib \
  "${sources[@]}" fuzz/MakeSeeds.swift -lz -o "$build/make-seeds"
"$build/make-seeds" fuzz/corpus
swiftc -O -parse-as-library -suppress-warnings -sanitize=fuzzer,address -module-name WeightFileFuzz \
  -I Sources/CZlib "${sources[@]}" fuzz/WeightFileFuzz.swift -lz -o "$build/weight-file-fuzz"
"$build/weight-file-fuzz" -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=2048 -timeout=10 \
  -print_final_stats=1 -artifact_prefix=fuzz/artifacts/ fuzz/corpus
