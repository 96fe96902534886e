#!/usr/bin/env bash
# The CUDA build and its figures, on a GPU machine with a pip torch (CUDA), CMake and a compiler,
# and none of the host's Debian packages: builds the engine and train_bench against the torch
# inside the pip package (LONGALIGN_ENGINE_ONLY), checks gradients on the GPU against the CPU,
# then times naive, sorted and packed batching on the LongAlign-like mix and the MFU of a larger
# model, packed (CHECK_ONLY=1: the checks alone). With transformers installed it also remakes the golden fixture
# (tests/reference/make_transformers_golden.py), as golden.tar. Logs go to OUT_DIR.
#   tests/bench/cuda_bench.sh OUT_DIR
set -uo pipefail
out="${1:?usage: cuda_bench.sh OUT_DIR}"
mkdir -p "$out"
cd "$(dirname "$0")/../.."

{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'cxx11 abi', torch.compiled_with_cxx11_abi())"
  nproc
} 2>&1 | tee "$out/env.txt"

if [ -z "${SKIP_GOLDEN:-}" ] && python3 -c "import transformers" 2>/dev/null; then
  golden="$(mktemp -d)"
  python3 tests/reference/make_transformers_golden.py "$golden" 2>&1 | tail -5 | tee "$out/golden.log" &&
    tar -C "$golden" -cf "$out/golden.tar" .
fi

prefix="$(python3 -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')"
build=/tmp/longalign-cuda
built=""
for std in 17 20; do  # a newer libtorch may need C++20
  rm -rf "$build"
  if cmake -S . -B "$build" -G Ninja -DLONGALIGN_ENGINE_ONLY=ON -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_STANDARD=$std \
       -DCMAKE_PREFIX_PATH="$prefix" >"$out/build-cxx$std.log" 2>&1 &&
     ninja -C "$build" train_bench >>"$out/build-cxx$std.log" 2>&1; then
    built=$std
    break
  fi
  tail -25 "$out/build-cxx$std.log"
done
[ -n "$built" ] || { echo "the CUDA build failed (logs in $out)"; exit 1; }
echo "built with C++$built; $(grep -o 'data parallelism over.*' "$out/build-cxx$built.log")" | tee -a "$out/env.txt"

bench="$build/bin/train_bench"
if [ -n "${CHECK_ONLY:-}" ]; then  # the checks alone, on a small mix
  "$bench" --device cuda --precision bf16 --d-model 1024 --layers 2 --heads 16 --vocab 32000 --long 1 --short 4 \
    --methods packed --check 2>&1 | tee "$out/train_bench.txt"
  exit
fi
{
  # The methods side by side on the full-size mix (rows of 65,536), a 0.27B model.
  timeout 300 "$bench" --device cuda --precision bf16 --d-model 1024 --layers 16 --heads 16 --vocab 32000 --check
  echo
  # MFU of a 0.94B model, packed; layers recomputed in the backward pass to fit (not counted in MFU).
  timeout 200 "$bench" --device cuda --precision bf16 --d-model 2048 --layers 16 --heads 16 --vocab 32000 \
    --methods packed --checkpointing
} 2>&1 | tee "$out/train_bench.txt"
