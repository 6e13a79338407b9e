"""Sweep tile configs of the flash kernels on the GPU at hand and print the best per shape.

    PYTHONPATH=src python3 benchmarks/tune.py [--dims 64,128] [--seqs 2048,16384] [--out FILE]
    PYTHONPATH=src python3 benchmarks/tune.py --dims 64 --seqs 256 --heads 6 --causal yes --dropout 0.1
        # the training example's attention (examples/train_gpt.py: B = 64, H = 6, S = 256)

Each candidate is timed with triton.testing.do_bench (median); torch's FLASH and cuDNN
backends are timed on the same inputs for scale. Results feed kernels/configs.py.
"""
import argparse
import json
import sys

import torch
import triton
from torch.nn.attention import SDPBackend, sdpa_kernel

from flashsdpa.backends.flash import ScoreOptions, flash_backward, flash_forward
from flashsdpa.kernels.configs import BackwardConfig, TileConfig

# Candidates per head dim; the backward lists keep to tiles that compile without (or with
# little) register spilling for sm_90 (ptxas resource usage, checked before the run).
FWD = {64: [(128, 64, 4, 3), (128, 64, 8, 3), (128, 128, 8, 3), (128, 128, 4, 3), (128, 64, 4, 4),
            (64, 64, 4, 3), (128, 32, 4, 3), (64, 128, 4, 3)],
       128: [(128, 64, 8, 3), (128, 64, 4, 3), (128, 128, 8, 3), (128, 128, 8, 2), (128, 64, 8, 4),
             (64, 64, 4, 3), (128, 32, 4, 3), (64, 128, 4, 3)]}
DKDV = {64: [(32, 128, 8, 2), (16, 128, 4, 3), (32, 64, 8, 3), (32, 64, 4, 3), (16, 64, 4, 2),
             (32, 128, 4, 3), (64, 64, 4, 3)],
        128: [(32, 32, 4, 2), (16, 64, 4, 2), (32, 64, 8, 3), (32, 128, 8, 2), (32, 64, 4, 3),
              (16, 128, 4, 3), (64, 64, 8, 2)]}
DQ = {64: [(128, 32, 8, 2), (128, 64, 8, 2), (64, 64, 4, 3), (128, 64, 8, 3), (64, 64, 8, 3), (128, 32, 4, 3)],
      128: [(128, 32, 8, 2), (128, 64, 8, 2), (128, 64, 8, 3), (64, 32, 4, 3), (64, 64, 8, 3), (32, 32, 4, 2)]}


def bench(fn):
    return triton.testing.do_bench(fn, warmup=10, rep=40, return_mode="median")


def try_time(fn):
    try:
        fn()
        torch.cuda.synchronize()
        return bench(fn)
    except Exception as error:  # out of resources and the like: skip the candidate
        return float("inf") if "resources" in str(error) or "memory" in str(error).lower() else _raise(error)


def _raise(error):
    raise error


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dims", default="64,128")
    ap.add_argument("--seqs", default="2048,16384")
    ap.add_argument("--out", default=None)
    ap.add_argument("--kernels", default="fwd,dkdv,dq", help="which kernels to sweep (the others keep their first candidate)")
    ap.add_argument("--causal", choices=("both", "yes", "no"), default="both")
    ap.add_argument("--dropout", type=float, default=0.0, help="dropout_p of our calls and torch's")
    ap.add_argument("--heads", type=int, default=None, help="heads (default: hidden 2048 / D)")
    ap.add_argument("--tokens", type=int, default=16384, help="tokens a batch: B = tokens / S")
    args = ap.parse_args()
    kernels = args.kernels.split(",")
    sweep = {name: (table if name in kernels else {d: cands[:1] for d, cands in table.items()})
             for name, table in (("fwd", FWD), ("dkdv", DKDV), ("dq", DQ))}
    results = []
    for d in map(int, args.dims.split(",")):
        for causal in {"both": (False, True), "yes": (True,), "no": (False,)}[args.causal]:
            for s in map(int, args.seqs.split(",")):
                b, h = max(1, args.tokens // s), args.heads or 2048 // d
                q, k, v = (torch.randn(b, h, s, d, device="cuda", dtype=torch.bfloat16) for _ in range(3))
                scale = d ** -0.5
                flops = 4 * b * h * s * s * d * (0.5 if causal else 1)
                opts = ScoreOptions(scale, causal, 0, dropout_p=args.dropout, seed=1)
                out, lse = flash_forward(q, k, v, scale, causal, 0, opts=opts)
                do = torch.randn_like(out)
                row = {"d": d, "causal": causal, "s": s}
                fwd = {c: try_time(lambda c=c: flash_forward(q, k, v, scale, causal, 0, TileConfig(*c), opts=opts)) for c in sweep['fwd'][d]}
                base_dq = TileConfig(*sweep['dq'][d][0])
                dkdv = {c: try_time(lambda c=c: flash_backward(do, q, k, v, out, lse, scale, causal, 0,
                                                               BackwardConfig(TileConfig(*c), base_dq), opts=opts)) for c in sweep['dkdv'][d]}
                best_dkdv = TileConfig(*min(dkdv, key=dkdv.get))
                dq = {c: try_time(lambda c=c: flash_backward(do, q, k, v, out, lse, scale, causal, 0,
                                                             BackwardConfig(best_dkdv, TileConfig(*c)), opts=opts)) for c in sweep['dq'][d]}
                qr, kr, vr = (t.detach().requires_grad_() for t in (q, k, v))
                for name, backend in (("fa2", SDPBackend.FLASH_ATTENTION), ("cudnn", SDPBackend.CUDNN_ATTENTION)):
                    with sdpa_kernel(backend):
                        f = lambda: torch.nn.functional.scaled_dot_product_attention(qr, kr, vr, is_causal=causal,
                                                                                 dropout_p=args.dropout)
                        row[name + "_fwd"] = flops / bench(f) * 1e-9
                        o = f()
                        row[name + "_bwd"] = 2.5 * flops / bench(lambda: torch.autograd.grad(o, (qr, kr, vr), do, retain_graph=True)) * 1e-9
                bf, bk, bq = min(fwd, key=fwd.get), min(dkdv, key=dkdv.get), min(dq, key=dq.get)
                row.update(best_fwd=bf, fwd=flops / fwd[bf] * 1e-9, best_dkdv=bk, best_dq=bq,
                           bwd=2.5 * flops / dq[bq] * 1e-9,
                           all_fwd={str(c): flops / t * 1e-9 for c, t in fwd.items()},
                           all_dkdv={str(c): 2.5 * flops / t * 1e-9 for c, t in dkdv.items()},
                           all_dq={str(c): 2.5 * flops / t * 1e-9 for c, t in dq.items()})
                results.append(row)
                print(f"D={d} causal={causal} S={s}: ours fwd {row['fwd']:.0f} {bf} bwd {row['bwd']:.0f} "
                      f"{bk}/{bq} | fa2 {row['fa2_fwd']:.0f}/{row['fa2_bwd']:.0f} cudnn "
                      f"{row['cudnn_fwd']:.0f}/{row['cudnn_bwd']:.0f}", flush=True)
    if args.out:
        json.dump(results, open(args.out, "w"), indent=1)


if __name__ == "__main__":
    sys.exit(main())
