#!/usr/bin/env bash
# C ABI tests: builds libtitok.so if needed, converts the fixture models, compiles tests/c/test_abi.c
# as C99 and the header as C++ (-Wall -Wextra -Werror), runs them, then runs the C test under
# valgrind (definite and indirect leaks and memory errors fail the run; the two compute-heavy
# sections run without it).
# TITOK_SCRATCH_PATH=DIR uses `swift build --scratch-path DIR` instead of .build.
set -euo pipefail
cd "$(dirname "$0")/../.."

SCRATCH=()
if [ -n "${TITOK_SCRATCH_PATH:-}" ]; then SCRATCH=(--scratch-path "$TITOK_SCRATCH_PATH"); fi
BIN="$(swift build "${SCRATCH[@]}" --show-bin-path)"
if [ ! -f "$BIN/libtitok.so" ]; then swift build "${SCRATCH[@]}" --product titok; fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
FIX=Tests/Fixtures/titok

echo "-- converting fixture models"
python3 tools/convert_checkpoint.py "$FIX/tiny_legacy_vq_r64_t32" --variant tiny_legacy_vq_r64_t32 \
    --out "$WORK/legacy.tzw" --quiet
python3 tools/convert_checkpoint.py "$FIX/tiny_vq8k_r64_t16" --variant tiny_vq8k_r64_t16 \
    --out "$WORK/vq.tzw" --quiet
python3 tools/convert_checkpoint.py "$FIX/tiny_vae_r64_t32" --variant tiny_vae_r64_t32 \
    --out "$WORK/vae.tzw" --quiet
python3 tools/convert_checkpoint.py Tests/Fixtures/generator/tiny_gen_bert_t32 --variant tiny_gen_bert_t32 \
    --out "$WORK/generator.tzw" --quiet
head -c 4000 "$WORK/legacy.tzw" > "$WORK/truncated.tzw"
head -c 5000 /dev/zero | tr '\0' 'x' > "$WORK/garbage.tzw"
python3 tests/c/dump_fixtures.py "$FIX" "$WORK"

echo "-- compiling"
cc -std=c99 -Wall -Wextra -Wpedantic -Werror -Iinclude tests/c/test_abi.c -o "$WORK/test_abi" \
    -L"$BIN" -ltitok -Wl,-rpath,"$BIN" -lpthread -lm
c++ -std=c++11 -Wall -Wextra -Wpedantic -Werror -x c++ -Iinclude tests/c/header_cpp.cc -o "$WORK/header_cpp" \
    -L"$BIN" -ltitok -Wl,-rpath,"$BIN"

cc -std=c99 -Wall -Wextra -Werror -Iinclude tests/c/example.c -o "$WORK/demo" -L"$BIN" -ltitok -Wl,-rpath,"$BIN"
python3 - <<'PY'  # the README shows tests/c/example.c verbatim
import sys
example = open("tests/c/example.c").read()
sys.exit(0 if example in open("README.md").read() else "README.md does not show tests/c/example.c verbatim")
PY

# Keep the user's installed models out of the registry lookups.
export TITOK_MODELS="" XDG_CACHE_HOME="$WORK/cache"

echo "-- running"
"$WORK/header_cpp"
"$WORK/test_abi" "$WORK" "$FIX/tiny_legacy_vq_r64_t32"
DEMO="$("$WORK/demo" "$WORK/legacy.tzw" assets/images/ILSVRC2012_val_00010240.png)"
echo "$DEMO"
case "$DEMO" in "tiny_legacy_vq_r64_t32: 32 tokens: "*) echo "demo     ok" ;; *) echo "demo     FAILED"; exit 1 ;; esac

if command -v valgrind > /dev/null; then
    # Every section but the compute-heavy ones (the legacy pixel decoder is slow under valgrind in a
    # debug build); the same ABI code paths run in the vq and vae sections.
    # Valgrind does not run AVX-512 code, and OpenBLAS's runtime dispatch still picks its AVX-512
    # kernels on such a CPU under it (SIGILL in sgemm_small_kernel_tn_SKYLAKEX): pin OpenBLAS to its
    # AVX2 kernels and ours to the AVX2 kernel for this run.
    echo "-- under valgrind"
    OPENBLAS_CORETYPE=Haswell TITOK_GEMM=avx2 valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,indirect \
        --show-leak-kinds=definite,indirect --error-exitcode=1 \
        "$WORK/test_abi" "$WORK" "$FIX/tiny_legacy_vq_r64_t32" basics errors vq vae generator generate images
else
    echo "-- valgrind not installed: memory check SKIPPED (apt-get install valgrind)"
fi
echo "-- C ABI tests passed"
