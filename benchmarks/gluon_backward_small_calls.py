"""Where the Gluon backward loses to the Triton one: flash_backward alone on calls near and below
hopper_backward.MIN_SCORES, ragged and not. Per call: do_bench median (GPU time, unless the host
is slower), host time per call (20 calls without a sync), and each Gluon launch alone.

    PYTHONPATH=src python3 benchmarks/gluon_backward_small_calls.py     # on an H100/H200
"""
import time

import torch
import triton.testing

from flashsdpa.backends import flash, hopper
from flashsdpa.kernels import hopper_backward

CASES = [(2, 8, 2047, False), (2, 8, 2048, False), (8, 16, 2047, False), (8, 16, 2048, False),
         (32, 16, 512, False), (32, 16, 512, True), (4, 8, 4096, False)]   # (B, H, S, causal), D = 128


def host_ms(fn, calls=20):
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    elapsed = (time.perf_counter() - start) / calls * 1e3
    torch.cuda.synchronize()
    return elapsed


def main():
    hopper_backward.MIN_SCORES = 0   # the Gluon kernels on every case
    scale = 128 ** -0.5
    for b, h, s, causal in CASES:
        q, k, v = (torch.randn(b, h, s, 128, device="cuda", dtype=torch.bfloat16) for _ in range(3))
        opts = flash.ScoreOptions(scale, causal)
        out, lse = flash.flash_forward(q, k, v, scale, causal, 0, opts=opts)
        dout = torch.randn_like(out)
        flops = 2.5 * 4 * b * h * s * s * 128 * (0.5 if causal else 1)
        row = f"B={b} H={h} S={s} causal={causal}:"
        for gluon in (False, True):
            hopper.BACKWARD = gluon
            def backward():
                return flash.flash_backward(dout, q, k, v, out, lse, scale, causal, 0, opts=opts)
            ms = triton.testing.do_bench(backward, return_mode="median")
            name = "gluon" if gluon else "triton"
            row += f" {name} {flops / ms * 1e-9:.0f} TFLOP/s ({ms:.3f} ms; host {host_ms(backward):.3f})"
        dq, dk, dv = (torch.empty_like(t) for t in (q, k, v))
        stats = hopper_backward.row_stats(lse)
        dq_launch, dkdv_launch = hopper_backward.backward_launches(q, k, scale, causal)
        t_dq = triton.testing.do_bench(lambda: dq_launch(q, k, v, out, dout, lse, stats, dq), return_mode="median")
        t_kv = triton.testing.do_bench(lambda: dkdv_launch(q, k, v, dout, stats, dk, dv), return_mode="median")
        print(f"{row}; Gluon dQ alone {t_dq:.3f} ms, dK/dV alone {t_kv:.3f} ms", flush=True)


if __name__ == "__main__":
    main()
