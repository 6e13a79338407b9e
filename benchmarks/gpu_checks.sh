#!/usr/bin/env bash
# The device-side checks, in calls that each fit the device's 10-minute limit. Run from the
# repository root on the GPU machine (its image has torch and Triton; nothing is installed):
#
#   bash benchmarks/gpu_checks.sh suites         # the GPU suite, `-m gpu` (~4.5 min)
#   bash benchmarks/gpu_checks.sh small          # the small-shape (CPU) suite on CUDA (> 280 s with
#                                                # a cold Triton cache)
#   bash benchmarks/gpu_checks.sh backward       # the Gluon backward (its D = 64 and fused dQ are
#                                                # experimental), each case in a process with a time
#                                                # limit; then, if none hung, its GPU tests (~8 min)
#   bash benchmarks/gpu_checks.sh bias           # the same for the Gluon forward's bias (~5 min)
#   bash benchmarks/gpu_checks.sh padded         # head dims 96 / 80 in the Gluon kernels (zero-filled
#                                                # columns) against Triton and cuDNN, then their tests
#   bash benchmarks/gpu_checks.sh extra          # python -m flashsdpa.bench --grid extra
#   bash benchmarks/gpu_checks.sh grids          # the anchor grid in bf16 and fp16, and the extra grid,
#                                                # ours / cuDNN / FLASH side by side (~3 min)
#   bash benchmarks/gpu_checks.sh bias-backward  # the bias in the Gluon backward: the feature
#                                                # benchmark's bias case, then (no hang) its tests,
#                                                # then the case again with dQ from the stored dS
#   bash benchmarks/gpu_checks.sh fused-ablation # where the fused dQ backward loses its time: its
#                                                # dK/dV launch with parts of the dQ work cut (~2 min)
#   bash benchmarks/gpu_checks.sh compiled       # torch.compile on CUDA: the compile, nn and transformers
#                                                # tests (inductor), our op's host time, and ours against
#                                                # torch's module compiled, with and without dropout (~8 min)
#   bash benchmarks/gpu_checks.sh dropout        # dropout in the Gluon backward (FLASHSDPA_HOPPER_DROPOUT=1):
#                                                # its mask's toy against the portable mask, then (equal) its
#                                                # GPU tests, then the dropout features with it off, on with two
#                                                # launches and on with the fused dQ (~6 min)
#   bash benchmarks/gpu_checks.sh head-group     # the causal Gluon backward by heads per group, peel on / off,
#                                                # two launches and fused dQ, against cuDNN (~6 min)
#   bash benchmarks/gpu_checks.sh peel           # the fused dQ's causal backward with its diagonal tiles apart
#                                                # (FLASHSDPA_HOPPER_PEEL_DIAGONAL=1): its GPU tests, then causal
#                                                # D = 128 / 64 backward with it off and on, the two launches and cuDNN
#   bash benchmarks/gpu_checks.sh host           # issue 5's host time: the dropout seed and packed-call GPU
#                                                # tests, host_floor, the example's attention call alone, and
#                                                # the example's steps interleaved with torch's, eager (~5 min)
#   bash benchmarks/gpu_checks.sh flat-heads     # the fused dQ's causal loops flat (FLASHSDPA_HOPPER_FLAT_HEADS=1):
#                                                # its GPU tests, then causal D = 128 / 64 backward as shipped,
#                                                # fused dQ nested, fused dQ flat, against cuDNN (~5 min)
#   bash benchmarks/gpu_checks.sh lean           # the lean paths (packed and plain calls): their GPU tests, host time
#                                                # lean against generic alternating, then the example eager with the
#                                                # one-line swap, lean plain calls on and off (~6 min)
#   bash benchmarks/gpu_checks.sh compiled-memory # the example's GPT compiled: peak memory and inductor's code,
#                                                # torch's attention, ours through the triton ops and the opaque ops
#   bash benchmarks/gpu_checks.sh dropout-launches # the Gluon backward's two launches timed apart, with and
#                                                # without dropout (causal D = 128; ~1 min)
#   bash benchmarks/gpu_checks.sh draw-ahead     # the dQ launch's dropout bits drawn a tile ahead (default since
#                                                # v0.24, FLASHSDPA_HOPPER_DROPOUT_DRAW_AHEAD): the Gluon dropout tests
#                                                # (its variant among them), then the launches off / on (~3 min)
#   bash benchmarks/gpu_checks.sh drawer         # the dK/dV launch's dropout bits from warps of their own (experimental,
#                                                # FLASHSDPA_HOPPER_DROPOUT_DRAWER=2 / 4 warps): the Gluon dropout tests
#                                                # (its variants among them), then the launches with the dQ launch's
#                                                # draw ahead: no drawer, 2 warps, 4 warps (~5 min)
#   bash benchmarks/gpu_checks.sh dropout-ablation # the dropout backward's two launches as shipped, with Philox at
#                                                # one round, and without the mask (copies of src/ patched; ~3 min)
#   bash benchmarks/gpu_checks.sh ab-backward    # an earlier commit's kernels against the working tree's in one
#                                                # call: the dropout launches and the backward of 7 shapes with
#                                                # cuDNN, each version in its own processes (~3 min). Export the
#                                                # base first, on this machine: `rm -rf ab_base && mkdir ab_base &&
#                                                # git archive REV src | tar -x -C ab_base` (ignored by git; pass
#                                                # carry=["ab_base"] to the device tool)
#   bash benchmarks/gpu_checks.sh window         # windows in the Gluon kernels (with and without the
#                                                # experimental skip_empty) against the Triton ones per
#                                                # window size, then (no hang) their tests
#
# Results go to $OUT (one tarball: the device returns only a few files) and a short summary
# to stdout.
set -u
export PYTHONPATH=src
OUT=${OUT:-/tmp/gpu_checks}
mkdir -p "$OUT/results"
R="$OUT/results"
PYTEST="python3 -m pytest -q -p no:cacheprovider -W ignore::DeprecationWarning -rfEs --tb=short"

experiment_then_tests() {  # SECONDS NAME FLAG TESTS SCRIPT [ARGS...]: an experiment, then, if no case
  local seconds=$1 name=$2 flag=$3 tests=$4   # hung, the opt-in GPU tests of its path
  shift 4
  timeout "$seconds" python3 "$@" --timeout 60 --out "$R/$name.json" > "$R/$name.txt" 2>&1
  grep "^|" "$R/$name.txt"
  if ! grep -q "timed out" "$R/$name.txt"; then
    env "FLASHSDPA_$flag=1" timeout 150 $PYTEST -m gpu -n 8 -k "$tests" tests/test_gpu.py > "$R/gpu_test_$name.txt" 2>&1
    tail -1 "$R/gpu_test_$name.txt"
  fi
}

# NAME TESTS FLAG SHAPES: the GPU tests TESTS of tests/test_gpu.py, then the backward of SHAPES
# against cuDNN with FLASHSDPA_HOPPER_FUSED_DQ / FLASHSDPA_HOPPER_$FLAG at auto / 0, 1 / 0 and 1 / 1
fused_dq_with() {
  local name=$1 tests=$2 flag=$3 shapes=$4
  timeout 200 $PYTEST -m gpu -n 8 -k "$tests" tests/test_gpu.py > "$R/gpu_test_$name.txt" 2>&1
  tail -1 "$R/gpu_test_$name.txt"; grep -hE "^(FAILED|ERROR)" "$R/gpu_test_$name.txt" | head -10
  for setting in "auto 0" "1 0" "1 1"; do
    read -r fused on <<< "$setting"   # (not `set --`: $1 names the mode's tarball)
    env FLASHSDPA_HOPPER_FUSED_DQ=$fused "FLASHSDPA_HOPPER_$flag=$on" timeout 150 python3 -m flashsdpa.bench \
      --grid none $shapes --providers ours,cudnn --directions bwd > "$R/${name}_${fused}_$on.txt" 2>&1
    echo "FLASHSDPA_HOPPER_FUSED_DQ=$fused FLASHSDPA_HOPPER_$flag=$on:"; grep "^|" "$R/${name}_${fused}_$on.txt"
  done
}

script_then_tests() {  # SECONDS NAME TESTS TEST_FILE ARGS...: `python3 ARGS` (its table rows printed),
  local seconds=$1 name=$2 tests=$3 file=$4   # then, if it finished (no hang), the GPU tests TESTS of TEST_FILE
  shift 4
  if timeout "$seconds" python3 "$@" > "$R/$name.txt" 2>&1; then
    grep "^|" "$R/$name.txt"
    timeout 200 $PYTEST -m gpu -n 8 -k "$tests" "$file" > "$R/gpu_test_$name.txt" 2>&1
    tail -1 "$R/gpu_test_$name.txt"
  else
    echo "python3 $* failed or timed out (a hang?):"; tail -5 "$R/$name.txt"
  fi
}

case "${1:-}" in
  suites)
    timeout 540 $PYTEST -m gpu -n 8 tests > "$R/gpu_suite.txt" 2>&1
    tail -1 "$R/gpu_suite.txt"
    grep -hE "^(FAILED|ERROR|SKIPPED)" "$R/gpu_suite.txt" | head -20
    ;;
  small)
    timeout 540 $PYTEST -n 16 tests > "$R/small_suite.txt" 2>&1
    tail -1 "$R/small_suite.txt"
    grep -hE "^(FAILED|ERROR)" "$R/small_suite.txt" | head -20
    ;;
  backward)
    experiment_then_tests 420 gluon_backward HOPPER_BACKWARD "hopper_backward and not bias" \
      benchmarks/experiment_gluon_backward.py
    ;;
  bias)
    experiment_then_tests 300 gluon_forward_bias HOPPER_BIAS hopper_forward_bias \
      benchmarks/experiment_gluon_forward.py --filter d=128 --filter seq=2048
    ;;
  bias-backward)
    script_then_tests 240 bias_backward "hopper_backward_bias or dq_from_ds" tests/test_gpu.py \
      -m flashsdpa.bench_features --cases bias
    FLASHSDPA_HOPPER_DQ_FROM_DS=1 timeout 120 python3 -m flashsdpa.bench_features --cases bias \
      > "$R/bias_backward_dq_from_ds.txt" 2>&1
    echo "dQ from the stored dS:"; grep "^|" "$R/bias_backward_dq_from_ds.txt"
    ;;
  fused-ablation)
    timeout 420 python3 benchmarks/experiment_fused_dq_ablation.py --out "$R/fused_ablation.json" \
      > "$R/fused_ablation.txt" 2>&1
    grep "^|" "$R/fused_ablation.txt"
    ;;
  compiled)
    timeout 240 $PYTEST -n 8 tests/test_compile.py tests/test_nn.py tests/test_transformers.py \
      > "$R/compile_tests.txt" 2>&1
    tail -1 "$R/compile_tests.txt"
    grep -hE "^(FAILED|ERROR)" "$R/compile_tests.txt" | head -10
    timeout 60 python3 benchmarks/op_overhead.py > "$R/op_overhead.txt" 2>&1
    grep -E "^\||synchron" "$R/op_overhead.txt"
    timeout 220 python3 benchmarks/compile_check.py --steps 30 --modules ours,torch --dropouts 0.1,0 \
      > "$R/compile_check.txt" 2>&1
    grep "^|" "$R/compile_check.txt"
    ;;
  dropout-launches)
    (cd benchmarks && PYTHONPATH=../src:. timeout 300 python3 experiment_dropout_launches.py \
      --out "$R/dropout_launches.json") > "$R/dropout_launches.txt" 2>&1
    grep "^|" "$R/dropout_launches.txt"
    ;;
  draw-ahead)   # the dQ launch's dropout bits drawn a tile ahead: its tests, then the launches off / on
    timeout 200 $PYTEST -m gpu -n 8 -k "hopper_dropout_backward" tests/test_gpu.py > "$R/gpu_test_draw_ahead.txt" 2>&1
    tail -1 "$R/gpu_test_draw_ahead.txt"; grep -hE "^(FAILED|ERROR)" "$R/gpu_test_draw_ahead.txt" | head -10
    for ahead in 0 1; do
      (cd benchmarks && FLASHSDPA_HOPPER_DROPOUT_DRAW_AHEAD=$ahead PYTHONPATH=../src:. timeout 200 python3 \
        experiment_dropout_launches.py --out "$R/dropout_launches_ahead_$ahead.json") \
        > "$R/dropout_launches_ahead_$ahead.txt" 2>&1
      echo "FLASHSDPA_HOPPER_DROPOUT_DRAW_AHEAD=$ahead:"; grep "^|" "$R/dropout_launches_ahead_$ahead.txt" | grep apart
    done
    ;;
  drawer)   # the dK/dV launch's dropout bits from warps of their own (experimental): its tests, then the launches
    timeout 240 $PYTEST -m gpu -n 8 -k "hopper_dropout_backward" tests/test_gpu.py > "$R/gpu_test_drawer.txt" 2>&1
    tail -1 "$R/gpu_test_drawer.txt"; grep -hE "^(FAILED|ERROR)" "$R/gpu_test_drawer.txt" | head -10
    for setting in "0 1" "2 1" "4 1"; do
      read -r drawer ahead <<< "$setting"
      (cd benchmarks && FLASHSDPA_HOPPER_DROPOUT_DRAWER=$drawer FLASHSDPA_HOPPER_DROPOUT_DRAW_AHEAD=$ahead \
        PYTHONPATH=../src:. timeout 200 python3 experiment_dropout_launches.py \
        --out "$R/launches_${drawer}_$ahead.json") \
        > "$R/launches_${drawer}_$ahead.txt" 2>&1
      echo "DRAWER=$drawer DRAW_AHEAD=$ahead:"; grep "^| [af]" "$R/launches_${drawer}_$ahead.txt" | grep -v "| 0.0 |"
    done
    ;;
  dropout-ablation)   # the dropout backward's launches with parts of its work cut (timing only)
    timeout 500 python3 benchmarks/experiment_dropout_ablation.py --out "$R/dropout_ablation.json" \
      > "$R/dropout_ablation.txt" 2>&1
    grep "^|" "$R/dropout_ablation.txt" || tail -5 "$R/dropout_ablation.txt"
    ;;
  ab-backward)
    for version in ab_base/src src; do
      [ -d "$version" ] || { echo "no $version: export the base first (see the header)"; continue; }
      tag=$( [ "$version" = src ] && echo new || echo base )
      (cd benchmarks && PYTHONPATH="$PWD/../$version:." timeout 200 python3 experiment_dropout_launches.py \
        --out "$R/dropout_launches_$tag.json") > "$R/dropout_launches_$tag.txt" 2>&1
      PYTHONPATH="$PWD/$version" timeout 200 python3 -m flashsdpa.bench --grid none --providers ours,cudnn \
        --directions bwd --shape 8,16,2048,128,causal --shape 2,16,8192,128,causal --shape 2,16,8192,128 \
        --shape 4,16,4096,128 --shape 16,16,1024,128,causal --shape 1,16,16384,128,causal \
        --shape 2,32,8192,64,causal --json "$R/backward_$tag.json" > "$R/backward_$tag.txt" 2>&1
      echo "== $version"; grep "^|" "$R/dropout_launches_$tag.txt"; grep "^|" "$R/backward_$tag.txt"
    done
    ;;
  dropout)
    if timeout 120 python3 benchmarks/experiment_gluon_dropout_mask.py > "$R/gluon_dropout_mask.txt" 2>&1; then
      echo "Gluon dropout mask equal to the portable kernels'"
      FLASHSDPA_HOPPER_DROPOUT=1 timeout 240 $PYTEST -m gpu -n 8 -k "hopper_dropout_backward" tests/test_gpu.py \
        > "$R/gpu_test_dropout.txt" 2>&1
      tail -1 "$R/gpu_test_dropout.txt"; grep -hE "^(FAILED|ERROR)" "$R/gpu_test_dropout.txt" | head -10
      for setting in "0 auto" "1 0" "1 1"; do   # off; on with two launches; on with the fused dQ
        read -r on fused <<< "$setting"   # (not `set --`: $1 names the mode's tarball below)
        FLASHSDPA_HOPPER_DROPOUT=$on FLASHSDPA_HOPPER_FUSED_DQ=$fused timeout 150 python3 -m flashsdpa.bench_features \
          --cases dropout > "$R/features_dropout_${on}_$fused.txt" 2>&1
        echo "FLASHSDPA_HOPPER_DROPOUT=$on FLASHSDPA_HOPPER_FUSED_DQ=$fused:"
        grep "^|" "$R/features_dropout_${on}_$fused.txt"
      done
    else
      echo "Gluon dropout mask differs or failed:"; tail -8 "$R/gluon_dropout_mask.txt"
    fi
    ;;
  peel)   # settings: as shipped but without the peel; fused dQ; fused dQ with the diagonal apart
    fused_dq_with peel "hopper_backward and fused_dq_peeled" PEEL_DIAGONAL \
      "--shape 8,16,2048,128,causal --shape 2,16,8192,128,causal --shape 1,16,16384,128,causal
       --shape 4,32,4096,64,causal --shape 1,32,16384,64,causal"
    ;;
  flat-heads)   # settings: as shipped; fused dQ nested; fused dQ flat
    fused_dq_with flat "test_hopper_backward and flat" FLAT_HEADS \
      "--shape 8,16,2048,128,causal --shape 2,16,8192,128,causal --shape 1,16,16384,128,causal
       --shape 1,16,32768,128,causal --shape 1,32,16384,64,causal"
    ;;
  head-group)
    timeout 420 python3 benchmarks/experiment_head_group.py --out "$R/head_group.json" > "$R/head_group.txt" 2>&1
    grep -A20 "^backward TFLOP" "$R/head_group.txt"
    ;;
  host)
    timeout 200 $PYTEST -n 8 -k "dropout or seed or packed or checkpoint or captured or graph" tests/test_dropout.py \
      tests/test_compile.py tests/test_nn.py > "$R/host_tests_small.txt" 2>&1
    tail -1 "$R/host_tests_small.txt"; grep -hE "^(FAILED|ERROR)" "$R/host_tests_small.txt" | head -10
    timeout 200 $PYTEST -m gpu -n 8 -k "dropout or seed or packed or checkpoint or captured" tests/test_gpu.py \
      > "$R/host_tests_gpu.txt" 2>&1
    tail -1 "$R/host_tests_gpu.txt"; grep -hE "^(FAILED|ERROR)" "$R/host_tests_gpu.txt" | head -10
    timeout 120 python3 benchmarks/host_floor.py > "$R/host_floor.txt" 2>&1; grep "^|" "$R/host_floor.txt"
    timeout 150 python3 benchmarks/profile_training.py --alone-only > "$R/attention_alone.txt" 2>&1
    grep "^|" "$R/attention_alone.txt"
    timeout 200 python3 benchmarks/profile_training.py --interleaved --rounds 8 > "$R/interleaved_eager.txt" 2>&1
    tail -6 "$R/interleaved_eager.txt"
    timeout 120 python3 benchmarks/profile_training.py --skip-alone > "$R/profile_eager.txt" 2>&1
    grep "^|" "$R/profile_eager.txt"
    ;;
  lean)
    timeout 200 $PYTEST -m gpu -n 8 -k "lean" tests/test_gpu.py > "$R/lean_tests_gpu.txt" 2>&1
    tail -1 "$R/lean_tests_gpu.txt"; grep -hE "^(FAILED|ERROR)" "$R/lean_tests_gpu.txt" | head -10
    for path in plain packed; do
      (cd benchmarks && PYTHONPATH=../src:. timeout 100 python3 lean_profile.py --shape 8,256,6,64 --path $path) \
        > "$R/lean_profile_$path.txt" 2>&1
      grep "^|" "$R/lean_profile_$path.txt"
    done
    for on in 1 0; do
      FLASHSDPA_LEAN_CALLS=$on timeout 150 python3 examples/train_gpt.py --runs torch,swap --timing-rounds 16 \
        --timing-steps 50 --out "$R/swap_lean_$on" > "$R/swap_lean_$on.txt" 2>&1
      echo "FLASHSDPA_LEAN_CALLS=$on:"; grep "^| ours\|^| torch" "$R/swap_lean_$on.txt"
    done
    ;;
  compiled-memory)
    timeout 420 python3 benchmarks/compiled_memory.py --out "$R/compiled_memory" > "$R/compiled_memory.txt" 2>&1
    grep "^|" "$R/compiled_memory.txt" || tail -5 "$R/compiled_memory.txt"
    ;;
  window)
    script_then_tests 330 window "hopper_window or skip_empty" tests benchmarks/experiment_window.py --gluon
    ;;
  padded)
    script_then_tests 300 padded "padded_head_dims" tests/test_gpu.py benchmarks/experiment_padded_dims.py
    ;;
  extra)
    timeout 560 python3 -m flashsdpa.bench --grid extra --json "$R/extra.json" --markdown "$R/extra.md" \
      > "$R/extra.txt" 2>&1
    tail -25 "$R/extra.txt"
    ;;
  grids)
    for dtype in bf16 fp16; do
      timeout 150 python3 -m flashsdpa.bench --dtype $dtype --providers ours,cudnn,flash --json "$R/grid_$dtype.json" \
        --markdown "$R/grid_$dtype.md" --plot "$R/grid_$dtype.png" > "$R/grid_$dtype.txt" 2>&1
      grep geomean "$R/grid_$dtype.txt"
    done
    timeout 200 python3 -m flashsdpa.bench --grid extra --providers ours,cudnn,flash --json "$R/extra.json" \
      --markdown "$R/extra.md" > "$R/extra.txt" 2>&1
    grep geomean "$R/extra.txt"
    ;;
  *)
    echo "usage: bash benchmarks/gpu_checks.sh suites|small|compiled|dropout|draw-ahead|drawer|dropout-ablation|ab-backward|peel|backward|bias|bias-backward|fused-ablation|window|padded|extra|grids" >&2
    exit 2
    ;;
esac
tar -czf "$OUT/${1}.tar.gz" -C "$R" . && rm -rf "$R"
