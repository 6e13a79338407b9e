"""Host time of a call through its lean path and the generic one, alternating, then where the
lean path's time goes (cProfile). GPU only. --path packed: flash_attn_qkvpacked_func on a
contiguous qkv (packed_calls.LeanPackedAttention); plain: the public SDPA on nanoGPT's q, k, v,
views of one projection (lean_calls.LeanFlashAttention).

    cd benchmarks && PYTHONPATH=../src:. python3 lean_profile.py [--shape B,S,H,D] [--path plain]
"""
import argparse
import cProfile
import pstats

import torch

import flashsdpa
from flashsdpa import functional
from flashsdpa.backends import lean_calls, packed_calls
from host_floor import _Forgetful
from launch_overhead import per_call_us


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shape", default="1,128,1,64")
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--path", choices=["packed", "plain"], default="packed")
    args = parser.parse_args()
    batch, seq, heads, dim = (int(x) for x in args.shape.split(","))
    qkv = torch.randn(batch, seq, 3, heads, dim, device="cuda", dtype=torch.bfloat16, requires_grad=True)
    dout = torch.randn(batch, seq, heads, dim, device="cuda", dtype=torch.bfloat16)
    taken = []
    lean_class = packed_calls.LeanPackedAttention if args.path == "packed" else lean_calls.LeanFlashAttention
    apply = lean_class.apply
    lean_class.apply = lambda *a: taken.append(1) or apply(*a)
    x = qkv.detach().reshape(batch, seq, 3 * heads * dim).requires_grad_()
    dout_bhsd = dout.transpose(1, 2)

    def packed(lean: bool):
        saved = functional._LEAN
        if not lean:
            functional._LEAN = _Forgetful()
        try:
            flashsdpa.flash_attn_qkvpacked_func(qkv, dropout_p=args.dropout, causal=True).backward(dout)
        finally:
            functional._LEAN = saved

    def plain(lean: bool):
        lean_calls.LEAN = lean
        try:
            q, k, v = (t.view(batch, seq, heads, dim).transpose(1, 2) for t in x.split(heads * dim, dim=2))
            flashsdpa.scaled_dot_product_attention(q, k, v, dropout_p=args.dropout, is_causal=True).backward(dout_bhsd)
        finally:
            lean_calls.LEAN = True
    call = packed if args.path == "packed" else plain
    for _ in range(3):
        taken.clear()
        lean_us = per_call_us(lambda: call(True), 1000)
        count = len(taken)
        generic_us = per_call_us(lambda: call(False), 1000)
        print(f"| {args.path}: lean {lean_us:.1f} µs ({count} of 1030 calls lean) | generic {generic_us:.1f} µs |")
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(500):
        call(True)
    torch.cuda.synchronize()
    profile.disable()
    pstats.Stats(profile).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
