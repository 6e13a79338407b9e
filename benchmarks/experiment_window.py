"""Sliding window (1024, 0), causal, S = 16384, B = 1, H = 16, D = 128, bf16: time per kept
score of the window against full causal attention (the default configs), over tile configs.

    PYTHONPATH=src python3 benchmarks/experiment_window.py
    PYTHONPATH=src python3 benchmarks/experiment_window.py --gluon   # Gluon vs Triton, per window size

The bar (issue 3): at most 1.15x the time per kept score of full causal attention.
"""
import itertools

import torch
import triton.testing

from flashsdpa.backends import flash, hopper
from flashsdpa.kernels import configs
from flashsdpa.kernels.configs import BackwardConfig, TileConfig

S, H, D, LEFT = 16384, 16, 128, 1024


def kept_scores(left):
    i = torch.arange(S, dtype=torch.float64)
    lo = torch.clamp(i - left, min=0) if left >= 0 else i * 0
    return float((i - lo + 1).sum())


def main():
    q, k, v, dout = (torch.randn(1, H, S, D, device="cuda", dtype=torch.bfloat16) for _ in range(4))
    scale = D ** -0.5
    full = flash.ScoreOptions(scale, True)
    window = flash.ScoreOptions(scale, True, window=(LEFT, 0))

    def fwd_ms(opts, cfg=None):
        return triton.testing.do_bench(lambda: flash.flash_forward(q, k, v, scale, True, 0, cfg, opts=opts),
                                       return_mode="median")

    def bwd_ms(opts, cfg=None):
        out, lse = flash.flash_forward(q, k, v, scale, True, 0, opts=opts)
        return triton.testing.do_bench(
            lambda: flash.flash_backward(dout, q, k, v, out, lse, scale, True, 0, cfg, opts=opts),
            return_mode="median")

    per_full = kept_scores(-1)
    per_window = kept_scores(LEFT)
    base_f, base_b = fwd_ms(full) / per_full, bwd_ms(full) / per_full
    print(f"full causal: fwd {base_f * per_full:.3f} ms, bwd {base_b * per_full:.3f} ms")
    rows = [("default", fwd_ms(window) / per_window / base_f, bwd_ms(window) / per_window / base_b)]
    for m, n, w in ((64, 64, 4), (64, 128, 4), (128, 64, 8), (128, 128, 8)):
        cfg = TileConfig(m, n, w, 3)
        try:
            rows.append((f"fwd {cfg}", fwd_ms(window, cfg) / per_window / base_f, float("nan")))
        except Exception as error:  # out of shared memory or registers
            rows.append((f"fwd {cfg}: {type(error).__name__}", float("nan"), float("nan")))
    default_bwd = configs.backward_config((9, 0), 2, D, D, True, S)
    for dkdv, dq in itertools.product(((32, 64, 4), (64, 64, 4), (64, 128, 8)),
                                      ((128, 64, 8), (64, 64, 4))):
        cfg = BackwardConfig(TileConfig(*dkdv, 3), TileConfig(*dq, 3))
        try:
            rows.append((f"bwd {cfg}", float("nan"), bwd_ms(window, cfg) / per_window / base_b))
        except Exception as error:
            rows.append((f"bwd {cfg}: {type(error).__name__}", float("nan"), float("nan")))
    print(f"default backward: {default_bwd}")
    print("| config | fwd time per kept score ÷ full causal | bwd |")
    print("|---|---|---|")
    for name, f, b in rows:
        print(f"| {name} | {f:.2f} | {b:.2f} |")


def gluon_vs_triton():
    """Windows (w, 0), causal, in the Gluon kernels (also with the EXPERIMENTAL skip_empty,
    FLASHSDPA_HOPPER_SKIP_EMPTY) and in the Triton ones: forward and backward time per kept score
    against full causal's in the same kernels, and TFLOP/s of the kept scores."""
    q, k, v, dout = (torch.randn(1, H, S, D, device="cuda", dtype=torch.bfloat16) for _ in range(4))
    scale = D ** -0.5

    def times(opts):
        out, lse = flash.flash_forward(q, k, v, scale, True, 0, opts=opts)
        fwd = triton.testing.do_bench(lambda: flash.flash_forward(q, k, v, scale, True, 0, opts=opts),
                                      return_mode="median")
        bwd = triton.testing.do_bench(lambda: flash.flash_backward(dout, q, k, v, out, lse, scale, True, 0, opts=opts),
                                      return_mode="median")
        return fwd, bwd
    per_full = kept_scores(-1)
    print("| window | kernels | fwd ms | bwd ms | fwd TFLOP/s | bwd TFLOP/s | fwd / bwd time per score ÷ full causal |")
    print("|---|---|---|---|---|---|---|")
    for name, gluon, skip in (("Gluon", True, False), ("Gluon skip_empty", True, True), ("Triton", False, False)):
        hopper.FORWARD = hopper.BACKWARD = gluon
        hopper.SKIP_EMPTY = skip
        full_f, full_b = times(flash.ScoreOptions(scale, True))
        print(f"| full causal | {name} | {full_f:.3f} | {full_b:.3f} | | | |", flush=True)
        for left in (128, 256, 512, 1024, 4096):
            f, b = times(flash.ScoreOptions(scale, True, window=(left, 0)))
            kept = kept_scores(left)
            tf = 4 * H * D * kept / f / 1e9
            print(f"| ({left}, 0) | {name} | {f:.3f} | {b:.3f} | {tf:.0f} | {2.5 * tf * f / b:.0f} "
                  f"| {f / kept / (full_f / per_full):.2f} / {b / kept / (full_b / per_full):.2f} |", flush=True)
    hopper.FORWARD = hopper.BACKWARD = True
    hopper.SKIP_EMPTY = "auto"


if __name__ == "__main__":
    import sys
    gluon_vs_triton() if "--gluon" in sys.argv else main()
