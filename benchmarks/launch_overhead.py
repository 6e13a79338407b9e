"""Host time of one call (tiny shape, so the GPU is idle and the CPU sets the pace), and where
it goes. Compare with torch's SDPA on the same shape.

    PYTHONPATH=src python3 benchmarks/launch_overhead.py
"""
import cProfile
import pstats
import time

import torch
import torch.nn.functional as F

import flashsdpa


def per_call_us(fn, n=2000):
    for _ in range(50):
        fn()
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(n):
        fn()
    torch.cuda.synchronize()
    return (time.perf_counter() - start) / n * 1e6


q = torch.randn(1, 1, 128, 64, device="cuda", dtype=torch.bfloat16)
with torch.no_grad():
    ours = lambda: flashsdpa.scaled_dot_product_attention(q, q, q, is_causal=True)  # noqa: E731
    print(f"ours  {per_call_us(ours):7.1f} us per call")
    print(f"torch {per_call_us(lambda: F.scaled_dot_product_attention(q, q, q, is_causal=True)):7.1f} us per call")
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(500):
        ours()
    profile.disable()
pstats.Stats(profile).sort_stats("tottime").print_stats(15)
