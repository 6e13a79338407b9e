"""The main job: environment, dispatch decision, a self-check against float64 and, on a GPU,
the benchmark against torch's backends.

    python -m flashsdpa [--out DIR] [--quick]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import torch

if not torch.cuda.is_available():
    # No GPU: run the real kernels under Triton's interpreter (must be set before import).
    os.environ.setdefault("TRITON_INTERPRET", "1")

import flashsdpa  # noqa: E402
from flashsdpa.testing import reference_attention, relative_error  # noqa: E402


def self_check(device: str, dtype: torch.dtype, shapes) -> bool:
    """Flash kernel vs float64, forward and backward, next to torch's own error in `dtype`."""
    ok = True
    print(f"\nSelf-check of the flash kernel against float64 ({device}, {str(dtype)[6:]}):")
    print(f"  {'shape (B, Hq/Hkv, Sq x Sk, D)':36s} {'causal':6s}  ours out/dq/dk/dv  |  torch out/dq/dk/dv")
    for b, hq, hkv, sq, sk, d, causal in shapes:
        q, k, v = (torch.randn(b, h, s, d, device=device, dtype=dtype, requires_grad=True)
                   for h, s in ((hq, sq), (hkv, sk), (hkv, sk)))
        grad = torch.randn(b, hq, sq, d, device=device, dtype=dtype)
        kwargs = dict(is_causal=causal, enable_gqa=hq != hkv)
        ref = reference_attention(q, k, v, **kwargs)
        ref_grads = torch.autograd.grad(ref, (q, k, v), grad.double())
        with flashsdpa.sdpa_kernel(flashsdpa.Backend.FLASH):
            out = flashsdpa.scaled_dot_product_attention(q, k, v, **kwargs)
        ours = [relative_error(x, y) for x, y in zip((out, *torch.autograd.grad(out, (q, k, v), grad)), (ref, *ref_grads))]
        theirs_out = torch.nn.functional.scaled_dot_product_attention(q, k, v, **kwargs)
        theirs = [relative_error(x, y) for x, y in
                  zip((theirs_out, *torch.autograd.grad(theirs_out, (q, k, v), grad)), (ref, *ref_grads))]
        # Bar: twice torch's error in the same dtype (tiling reorders low-precision sums),
        # plus a floor for fp32 where torch's error can be ~1e-7.
        good = all(o <= 2 * t + 1e-5 for o, t in zip(ours, theirs))
        ok &= good
        print(f"  {f'({b}, {hq}/{hkv}, {sq} x {sk}, {d})':36s} {str(causal):6s}  "
              + "/".join(f"{e:.1e}" for e in ours) + "  |  " + "/".join(f"{e:.1e}" for e in theirs)
              + ("" if good else "   <-- FAILED"))
    return ok


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m flashsdpa", description=__doc__.split("\n")[0])
    ap.add_argument("--out", help="folder for the benchmark's JSON, table and plot (GPU only)")
    ap.add_argument("--quick", action="store_true", help="GPU: benchmark a few shapes instead of the grid")
    args = ap.parse_args(argv)

    from flashsdpa.bench import environment
    env = environment()
    env["triton_interpreter"] = os.environ.get("TRITON_INTERPRET") == "1"
    print("flashsdpa", flashsdpa.__version__, "environment:", json.dumps(env))

    gpu = torch.cuda.is_available()
    device = "cuda" if gpu else "cpu"
    dtype = torch.bfloat16 if gpu else torch.float16
    q = torch.randn(2, 8, 1024 if gpu else 64, 64, device=device, dtype=dtype)
    reasons = flashsdpa.why_not_flash(q, q, q, is_causal=True)
    print(f"\nA typical call, scaled_dot_product_attention(q, k, v, is_causal=True) with q {tuple(q.shape)} "
          f"{str(dtype)[6:]} on {device}: " + ("FLASH" if not reasons else "MATH, because " + "; ".join(reasons)))
    print("  with dropout_p=0.1 it would use: " + ("FLASH" if not flashsdpa.why_not_flash(
        q, q, q, dropout_p=0.1) else "MATH, because " + "; ".join(flashsdpa.why_not_flash(q, q, q, dropout_p=0.1))))

    if gpu:
        shapes = [(2, 16, 16, 1024, 1024, 128, True), (2, 32, 8, 1000, 1000, 64, False),
                  (1, 8, 8, 333, 777, 96, False), (4, 4, 4, 1, 4096, 128, False), (1, 4, 1, 2048, 2048, 256, True)]
    else:
        print("\nNo GPU here: the flash kernel runs under Triton's interpreter on the CPU, at a small size.")
        shapes = [(1, 2, 2, 33, 47, 40, False), (1, 4, 2, 29, 29, 64, True)]
    ok = self_check(device, dtype, shapes)
    print("\nself-check:", "PASSED" if ok else "FAILED")
    if not gpu:
        print("(No GPU: skipping the benchmark; on a CUDA GPU this command also times the kernels "
              "against torch's SDPA backends.)")
        return 0 if ok else 1

    from flashsdpa import bench
    out_dir = args.out or os.path.join("benchmarks", "results", time.strftime("%Y-%m-%d") + "-" +
                                       env["device"].replace(" ", "_"))
    os.makedirs(out_dir, exist_ok=True)
    free, _ = torch.cuda.mem_get_info()
    shapes = bench.anchor_grid()
    if args.quick:
        shapes = [s for s in shapes if s.seq in (1024, 8192)]
    # Each anchor shape holds 16k tokens x 2048 hidden: ~64 MiB per tensor in bf16; naive
    # attention is the one that needs more, and reports OOM where the GPU has too little.
    print(f"\nBenchmark: {len(shapes)} shapes, GPU memory free {free / 2**30:.0f} GiB, results in {out_dir}")
    providers = list(bench.DEFAULT_PROVIDERS)
    results = bench.run_benchmark(shapes, providers, ["fwd", "bwd"])
    text = bench.table(results, shapes, providers, ["fwd", "bwd"])
    stats = bench.summary(results, shapes, ["fwd", "bwd"])
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump({"environment": env, "command": "python -m flashsdpa " + " ".join(argv or sys.argv[1:]),
                   "dtype": "bf16", "summary": stats, "results": results}, f, indent=1)
    with open(os.path.join(out_dir, "table.md"), "w") as f:
        f.write(text + "\n")
    bench.plot(results, shapes, providers, ["fwd", "bwd"], os.path.join(out_dir, "tflops.png"))
    print("\nTFLOP/s (bf16), forward / backward:")
    print(text)
    for key, s in stats.items():
        print(f"{key}: geomean {s['geomean']:.2f}, worst {s['worst']:.2f} at {s['worst_shape']}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
