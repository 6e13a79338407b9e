"""Host time of one call (tiny shape, so the GPU is idle and the CPU sets the pace), and where
it goes. Compare with torch's SDPA on the same shape.

    PYTHONPATH=src python3 benchmarks/launch_overhead.py

Rows: forward under no_grad, forward + backward, and forward + backward with dropout 0.1, for
ours and torch's default SDPA; then ours with Triton's plain launch instead of the cached
launcher (kernels/launch.py), to show what that saves; then a profile of ours.
"""
import cProfile
import pstats
import time

import torch
import torch.nn.functional as F

import flashsdpa
from flashsdpa.kernels import launch


def per_call_us(fn, n=1000):
    for _ in range(30):
        fn()
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(n):
        fn()
    torch.cuda.synchronize()
    return (time.perf_counter() - start) / n * 1e6


def cases(sdpa, q, k, v):
    def forward():
        with torch.no_grad():
            sdpa(q, k, v, is_causal=True)

    def forward_backward(p=0.0):
        sdpa(q, k, v, dropout_p=p, is_causal=True).sum().backward()

    return {"forward (no_grad)": forward, "forward + backward": forward_backward,
            "forward + backward, dropout 0.1": lambda: forward_backward(0.1)}


def main():
    q, k, v = (torch.randn(1, 1, 128, 64, device="cuda", dtype=torch.bfloat16, requires_grad=True) for _ in range(3))
    rows = []
    for name in cases(None, q, k, v):
        ours = per_call_us(cases(flashsdpa.scaled_dot_product_attention, q, k, v)[name])
        theirs = per_call_us(cases(F.scaled_dot_product_attention, q, k, v)[name])
        rows.append((name, ours, theirs))
    launch.FAST = False
    plain = [per_call_us(cases(flashsdpa.scaled_dot_product_attention, q, k, v)[name]) for name, _, _ in rows]
    launch.FAST = True

    profile = cProfile.Profile()
    step = cases(flashsdpa.scaled_dot_product_attention, q, k, v)["forward + backward"]
    profile.enable()
    for _ in range(300):
        step()
    profile.disable()
    pstats.Stats(profile).sort_stats("tottime").print_stats(20)

    print("host µs per call, (1, 1, 128, 64) bf16 causal (the GPU idles: this is the CPU's pace)")
    print("| call | ours | torch | ours ÷ torch | ours, plain Triton launch |")
    print("|---|---|---|---|---|")
    for (name, ours, theirs), slow in zip(rows, plain):
        print(f"| {name} | {ours:.1f} | {theirs:.1f} | {ours / theirs:.2f} | {slow:.1f} |")


if __name__ == "__main__":
    main()
