"""Host time of a packed qkv call through the lean path and the generic one, alternating, then
where the lean path's time goes (cProfile). GPU only.

    PYTHONPATH=src python3 benchmarks/lean_profile.py [--shape B,S,H,D]
"""
import argparse
import cProfile
import pstats

import torch

import flashsdpa
from flashsdpa import functional
from flashsdpa.backends import packed_calls
from host_floor import _Forgetful
from launch_overhead import per_call_us


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shape", default="1,128,1,64")
    parser.add_argument("--dropout", type=float, default=0.1)
    args = parser.parse_args()
    batch, seq, heads, dim = (int(x) for x in args.shape.split(","))
    qkv = torch.randn(batch, seq, 3, heads, dim, device="cuda", dtype=torch.bfloat16, requires_grad=True)
    dout = torch.randn(batch, seq, heads, dim, device="cuda", dtype=torch.bfloat16)
    lean_calls = []
    apply = packed_calls.LeanPackedAttention.apply
    packed_calls.LeanPackedAttention.apply = lambda *a: lean_calls.append(1) or apply(*a)

    def packed(lean: bool):
        saved = functional._LEAN
        if not lean:
            functional._LEAN = _Forgetful()
        try:
            flashsdpa.flash_attn_qkvpacked_func(qkv, dropout_p=args.dropout, causal=True).backward(dout)
        finally:
            functional._LEAN = saved
    for _ in range(3):
        lean_calls.clear()
        lean_us = per_call_us(lambda: packed(True), 1000)
        taken = len(lean_calls)
        generic_us = per_call_us(lambda: packed(False), 1000)
        print(f"| lean {lean_us:.1f} µs ({taken} of 1030 calls lean) | generic {generic_us:.1f} µs |")
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(500):
        packed(True)
    torch.cuda.synchronize()
    profile.disable()
    pstats.Stats(profile).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
