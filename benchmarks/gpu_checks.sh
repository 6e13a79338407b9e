#!/usr/bin/env bash
# The device-side checks, in calls that each fit the device's 10-minute limit. Run from the
# repository root on the GPU machine (its image has torch and Triton; nothing is installed):
#
#   bash benchmarks/gpu_checks.sh suites         # small-shape suite on CUDA + `-m gpu` (~6 min warm)
#   bash benchmarks/gpu_checks.sh backward       # the experimental Gluon backward, each case in a
#                                                # process with a time limit; then, if none hung,
#                                                # its opt-in GPU tests (~8 min)
#   bash benchmarks/gpu_checks.sh bias           # the same for the Gluon forward's bias (~5 min)
#   bash benchmarks/gpu_checks.sh extra          # python -m flashsdpa.bench --grid extra
#
# Results go to $OUT (one tarball: the device returns only a few files) and a short summary
# to stdout.
set -u
export PYTHONPATH=src
OUT=${OUT:-/tmp/gpu_checks}
mkdir -p "$OUT/results"
R="$OUT/results"
PYTEST="python3 -m pytest -q -p no:cacheprovider -W ignore::DeprecationWarning -rfE --tb=short"

case "${1:-}" in
  suites)
    timeout 280 $PYTEST -n 16 tests > "$R/small_suite.txt" 2>&1
    tail -1 "$R/small_suite.txt"
    timeout 280 $PYTEST -m gpu -n 8 tests > "$R/gpu_suite.txt" 2>&1
    tail -1 "$R/gpu_suite.txt"
    grep -hE "^(FAILED|ERROR)" "$R/small_suite.txt" "$R/gpu_suite.txt" | head -20
    ;;
  backward)
    timeout 360 python3 benchmarks/experiment_gluon_backward.py --timeout 60 --out "$R/gluon_backward.json" \
      > "$R/gluon_backward.txt" 2>&1
    grep "^|" "$R/gluon_backward.txt"
    if ! grep -q "timed out" "$R/gluon_backward.txt"; then
      FLASHSDPA_HOPPER_BACKWARD=1 timeout 150 $PYTEST -n 8 -k hopper_backward tests/test_gpu.py \
        > "$R/gpu_test_hopper_backward.txt" 2>&1
      tail -1 "$R/gpu_test_hopper_backward.txt"
    fi
    ;;
  bias)
    timeout 300 python3 benchmarks/experiment_gluon_forward.py --filter d=128 --filter seq=2048 --timeout 60 \
      --out "$R/gluon_forward_bias.json" > "$R/gluon_forward_bias.txt" 2>&1
    grep "^|" "$R/gluon_forward_bias.txt"
    if ! grep -q "timed out" "$R/gluon_forward_bias.txt"; then
      FLASHSDPA_HOPPER_BIAS=1 timeout 150 $PYTEST -n 8 -k hopper_forward_bias tests/test_gpu.py \
        > "$R/gpu_test_hopper_bias.txt" 2>&1
      tail -1 "$R/gpu_test_hopper_bias.txt"
    fi
    ;;
  extra)
    timeout 560 python3 -m flashsdpa.bench --grid extra --json "$R/extra.json" --markdown "$R/extra.md" \
      > "$R/extra.txt" 2>&1
    tail -25 "$R/extra.txt"
    ;;
  *)
    echo "usage: bash benchmarks/gpu_checks.sh suites|backward|bias|extra" >&2
    exit 2
    ;;
esac
tar -czf "$OUT/${1}.tar.gz" -C "$R" . && rm -rf "$R"
