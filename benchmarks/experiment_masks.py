"""Tile/pipeline sweep for the 2D float bias (forward, and backward with the bias gradient) and
the dropout forward: bf16, D = 128, H = 16, 16k tokens, S = 2048.

    PYTHONPATH=src python3 benchmarks/experiment_masks.py [--only bias|dropout]

TFLOP/s are nominal (4·B·H·S²·D, half when causal; backward 2.5×). The bias streams 1 GiB
(B·H·S² bf16) per forward, and the backward reads it twice and writes its gradient: at
~3.0 TB/s those bytes alone take 0.36 ms per GiB, as long as the matmuls themselves at 760
TFLOP/s (0.36 ms forward), so the floor is ~0.36 ms fwd if overlapped, 0.72 ms if not.
"""
import argparse

import torch
import triton.testing

from flashsdpa.backends.flash import ScoreOptions, flash_backward, flash_forward
from flashsdpa.kernels.configs import BackwardConfig, TileConfig

S, B, H, D = 2048, 8, 16, 128
FWD = [None, TileConfig(64, 32, 4, 2), TileConfig(64, 64, 4, 2), TileConfig(64, 64, 4, 3), TileConfig(128, 64, 8, 2),
       TileConfig(128, 32, 4, 2), TileConfig(128, 64, 4, 2), TileConfig(128, 128, 8, 2)]
BWD = [None, BackwardConfig(TileConfig(32, 64, 4, 3), TileConfig(128, 64, 8, 3)),
       BackwardConfig(TileConfig(32, 64, 4, 2), TileConfig(64, 64, 4, 2)),
       BackwardConfig(TileConfig(32, 64, 8, 2), TileConfig(128, 64, 8, 2)),
       BackwardConfig(TileConfig(64, 64, 8, 2), TileConfig(64, 32, 4, 2)),
       BackwardConfig(TileConfig(32, 128, 8, 2), TileConfig(128, 32, 8, 2))]


def time_ms(fn):
    try:
        return triton.testing.do_bench(fn, return_mode="median")
    except Exception as error:  # out of shared memory and the like: the candidate is out
        print(f"    {type(error).__name__}: {str(error)[:100]}")
        return float("inf")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=("bias", "dropout"))
    args = ap.parse_args()
    q, k, v = (torch.randn(B, H, S, D, device="cuda", dtype=torch.bfloat16) for _ in range(3))
    bias = torch.randn(B, H, S, S, device="cuda", dtype=torch.bfloat16)
    flops = 4 * B * H * S * S * D
    scale = D ** -0.5
    if args.only in (None, "bias"):
        for cfg in FWD:
            ms = time_ms(lambda: flash_forward(q, k, v, scale, False, 0, cfg, mask=bias))
            print(f"bias fwd {cfg or 'table'}: {ms:.3f} ms {flops / ms * 1e-9:.0f} TFLOP/s", flush=True)
        out, lse = flash_forward(q, k, v, scale, False, 0, mask=bias)
        do = torch.randn_like(out)
        for cfg in BWD:
            ms = time_ms(lambda: flash_backward(do, q, k, v, out, lse, scale, False, 0, cfg, mask=bias, mask_grad=True))
            print(f"bias bwd {cfg or 'table'}: {ms:.3f} ms {2.5 * flops / ms * 1e-9:.0f} TFLOP/s", flush=True)
    if args.only in (None, "dropout"):
        opts = ScoreOptions(scale, True, 0, dropout_p=0.1, seed=1)
        for cfg in FWD:
            ms = time_ms(lambda: flash_forward(q, k, v, scale, True, 0, cfg, opts=opts))
            print(f"dropout fwd causal {cfg or 'table'}: {ms:.3f} ms {flops / 2 / ms * 1e-9:.0f} TFLOP/s", flush=True)


if __name__ == "__main__":
    main()
