#!/usr/bin/env bash
# Builds the standalone kernel test (and with --bench the GEMM benchmark) with g++ directly, each
# ISA's kernels compiled with the same flags binding.gyp gives them.
#   native/test/build.sh [--bench] [--out DIR]     -> prints DIR (binaries: DIR/kernels_test, DIR/gemm_bench)
# Environment: CXX (default g++), OPT (default -O3, as binding.gyp).
set -euo pipefail
shopt -s nullglob
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$here/../src"
bench=0
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --bench) bench=1 ;;
    --out) out="$2"; shift ;;
    *) echo "usage: $0 [--bench] [--out DIR]" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$out" ] || out="$(mktemp -d "${TMPDIR:-/tmp}/studio-kernels.XXXXXX")"
rm -rf "$out/obj"  # no stale objects from sources that no longer exist
mkdir -p "$out/obj"
CXX="${CXX:-g++}"
OPT="${OPT:--O3}"
# shellcheck disable=SC2206 # OPT may hold several flags
base=(-std=c++17 $OPT -Wall -Wextra -I "$src")
defs=()
arch="$(uname -m)"

pids=()
compile() {  # compile [flags...] file: one object per source, in parallel
  local f="${@: -1}"
  local o="$out/obj/$(basename "$(dirname "$f")")_$(basename "${f%.cc}").o"
  "$CXX" "${base[@]}" "${@:1:$#-1}" -c "$f" -o "$o" &
  pids+=($!)
}
for f in "$src"/kernels/scalar/*.cc; do compile "$f"; done
compile "$src/runtime/cpu_features.cc"  # the AVX-512 GEMM reads cpu_tuning()
if { [ "$arch" = "x86_64" ] || [ "$arch" = "amd64" ]; } && [ -f "$src/kernels/avx2/table.cc" ] &&
  [ -f "$src/kernels/avx512/table.cc" ]; then
  defs=(-DSTUDIO_HAVE_X86_KERNELS)
  for f in "$src"/kernels/avx2/*.cc; do compile -mavx2 -mfma "$f"; done
  for f in "$src"/kernels/avx512/*.cc; do
    compile -mavx512f -mavx512bw -mavx512dq -mavx512vl -mfma "$f"
  done
fi
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
[ $status -eq 0 ] || { echo "kernel compilation failed" >&2; exit 1; }

"$CXX" "${base[@]}" ${defs[@]+"${defs[@]}"} "$here/kernels_test.cc" "$out"/obj/*.o -o "$out/kernels_test"
if [ $bench -eq 1 ]; then
  "$CXX" "${base[@]}" ${defs[@]+"${defs[@]}"} "$here/gemm_bench.cc" "$out"/obj/*.o -o "$out/gemm_bench" -lpthread
fi
echo "$out"
