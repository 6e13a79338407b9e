"""Tile candidates of the portable Triton kernels at head dim 256 on Hopper, chosen offline by
benchmarks/compile_report.py (no or few register spills), timed on the GPU, with each
backward candidate's gradients checked against the float64 reference on a small ragged call.

    PYTHONPATH=src python3 benchmarks/experiment_d256_tiles.py [--forward]   # on an H100/H200, ~3 min

bf16, B = 2, H = 8, S = 8192 (16k tokens, hidden 2048), full and causal.
"""
import sys

import torch
import triton.testing

from experiment_query_rows import backward_launch_times   # (this folder is on sys.path)
from flashsdpa.backends import flash
from flashsdpa.kernels.configs import BackwardConfig, TileConfig, backward_config, forward_config

FORWARD = [TileConfig(64, 32, 4, 2), TileConfig(128, 32, 8, 2), TileConfig(128, 64, 8, 2), TileConfig(64, 64, 8, 2)]
_SHIPPED_DQ = TileConfig(128, 32, 8, 2)
BACKWARD = [BackwardConfig(TileConfig(16, 64, 8, 2), _SHIPPED_DQ),     # (dK/dV, dQ): the shipped pair
            # scores tiles with query rows (QUERY_ROWS): no duplicate sT across warpgroups
            BackwardConfig(TileConfig(128, 64, 8, 1, True), _SHIPPED_DQ),
            BackwardConfig(TileConfig(128, 32, 8, 2, True), _SHIPPED_DQ),
            BackwardConfig(TileConfig(128, 64, 8, 1, True), TileConfig(64, 64, 8, 2))]


def name(c):
    return f"{c.block_m}x{c.block_n}/{c.num_warps}w/{c.num_stages}s" + ("/query rows" if c.query_rows else "")


def rel(a, b):
    return ((a.double() - b).norm() / b.norm()).item()


def main():
    scale = 256 ** -0.5
    # a small ragged call for correctness: float64 reference
    small = [torch.randn(1, 2, 333, 256, device="cuda", dtype=torch.bfloat16) for _ in range(4)]
    for causal in (False, True):
        b, h, s = 2, 8, 8192
        q, k, v = (torch.randn(b, h, s, 256, device="cuda", dtype=torch.bfloat16) for _ in range(3))
        opts = flash.ScoreOptions(scale, causal)
        flops = 4 * b * h * s * s * 256 * (0.5 if causal else 1.0)
        shipped = forward_config((9, 0), 2, 256, 256, causal, s), backward_config((9, 0), 2, 256, 256, causal, s)
        print(f"causal={causal}: shipped forward {name(shipped[0])}, backward {name(shipped[1].dkdv)} / "
              f"{name(shipped[1].dq)}", flush=True)
        for cfg in FORWARD if "--forward" in sys.argv else ():
            ms = triton.testing.do_bench(lambda: flash.flash_forward(q, k, v, scale, causal, 0, cfg, opts=opts),
                                         rep=30, return_mode="median")
            print(f"| fwd | {causal} | {name(cfg)} | {flops / ms * 1e-9:.0f} |", flush=True)
        out, lse = flash.flash_forward(q, k, v, scale, causal, 0, opts=opts)
        dout = torch.randn_like(out)
        sq, sk, sv, sdo = small
        leaves = [t.double().requires_grad_() for t in (sq, sk, sv)]
        ref = torch.nn.functional.scaled_dot_product_attention(*leaves, is_causal=causal, scale=scale)
        ref_grads = torch.autograd.grad(ref, leaves, sdo.double())
        s_out, s_lse = flash.flash_forward(sq, sk, sv, scale, causal, 0, opts=opts)
        for cfg in BACKWARD:
            ms = triton.testing.do_bench(lambda: flash.flash_backward(dout, q, k, v, out, lse, scale, causal, 0, cfg,
                                                                      opts=opts), rep=30, return_mode="median")
            grads = flash.flash_backward(sdo, sq, sk, sv, s_out, s_lse, scale, causal, 0, cfg, opts=opts)[:3]
            errors = "/".join(f"{rel(g, r):.1e}" for g, r in zip(grads, ref_grads))
            dq_ms, dkdv_ms = backward_launch_times(dout, q, k, v, out, lse, opts, cfg)
            print(f"| bwd | {causal} | {name(cfg.dkdv)} / {name(cfg.dq)} | {2.5 * flops / ms * 1e-9:.0f} | "
                  f"dK/dV {dkdv_ms:.2f} ms, dQ {dq_ms:.2f} ms | dq/dk/dv rel err {errors} |", flush=True)


if __name__ == "__main__":
    main()
