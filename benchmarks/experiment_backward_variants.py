"""The portable backward's variants against its two launches, on the calls that run the
portable kernels on an H100/H200: dQ added by atomics in the dK/dV launch (flash.ATOMIC_DQ) for
dropout, the example GPT's short causal calls, D = 64 causal and a key-padding mask; dK/dV
programs that each write half of the columns (TileConfig.col_split) for D = 256. Per case:
TFLOP/s of the two launches at the table's tiles, of each candidate, and of cuDNN on the same
call; each candidate's gradients against the two launches' (relative error, bf16).

    PYTHONPATH=src python3 benchmarks/experiment_backward_variants.py [--out FILE]

Candidates from `benchmarks/compile_report.py` (sm_90a, bytes of spill stores / loads): with
the atomic dQ, 32-row dK/dV tiles put the dQ product on mma.sync (M = 32 < 64) and 64x64/8w/3s
keeps all on wgmma (D = 64 68 / 40, D = 128 200 / 224; the two launches' 32x64/4w/3s dK/dV at
D = 128: 264 / 276). D = 256 causal dK/dV: the table's 16x64/8w/2s 208 / 208; split in two,
16x64/8w/2s 0 / 0, 32x64/8w/2s 44 / 40, 32x64/8w/3s 40 / 36 (64-row tiles need > 227 KiB of
shared memory).
"""
import argparse
import json

import torch
import triton
from torch.nn.attention import SDPBackend, sdpa_kernel

from flashsdpa.backends import flash
from flashsdpa.backends.flash import ScoreOptions, flash_backward, flash_forward
from flashsdpa.kernels import configs
from flashsdpa.kernels.configs import BackwardConfig, TileConfig

CASES = [  # name, B, H, S, D, causal, dropout_p, key padding
    ("dropout causal", 8, 16, 2048, 128, True, 0.1, False),
    ("dropout causal", 2, 16, 8192, 128, True, 0.1, False),
    ("example GPT", 64, 6, 256, 64, True, 0.1, False),
    ("example GPT, no dropout", 64, 6, 256, 64, True, 0.0, False),
    ("D=64 causal", 8, 32, 2048, 64, True, 0.0, False),
    ("key padding", 8, 16, 2048, 128, False, 0.0, True),
    ("D=256", 8, 8, 2048, 256, False, 0.0, False),
    ("D=256 causal", 2, 8, 8192, 256, True, 0.0, False),
]
# dK/dV tiles (block_m, block_n, warps, stages[, col_split]); atomic: with the atomic dQ
CANDIDATES = {64: [(64, 64, 8, 3), (64, 64, 4, 3), (64, 128, 8, 2), (32, 64, 4, 3)],
              128: [(64, 64, 8, 3), (64, 64, 8, 2), (64, 128, 8, 2), (32, 64, 4, 3)],
              256: [(16, 64, 8, 2, 2), (32, 64, 8, 2, 2), (32, 64, 8, 3, 2), (16, 64, 8, 2)]}
ATOMIC = {64: True, 128: True, 256: False}


def bench(fn):
    return triton.testing.do_bench(fn, warmup=10, rep=50, return_mode="median")


def rel(a, b):
    return float((a.float() - b.float()).norm() / b.float().norm().clamp_min(1e-30))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    rows = []
    for name, b, h, s, d, causal, p, padding in CASES:
        q, k, v, dout = (torch.randn(b, h, s, d, device="cuda", dtype=torch.bfloat16) for _ in range(4))
        mask = None
        if padding:   # each batch keeps a prefix of its keys (3/4 on average)
            lengths = torch.randint(s // 2, s + 1, (b,), device="cuda")
            mask = (torch.arange(s, device="cuda")[None, :] < lengths[:, None]).view(b, 1, 1, s).expand(b, h, s, s)
        opts = ScoreOptions(d ** -0.5, causal, 0, dropout_p=p, seed=1234)
        out, lse = flash_forward(q, k, v, opts.scale, causal, 0, opts=opts, mask=mask)
        flops = 2.5 * 4 * b * h * s * s * d * (0.5 if causal else 1)
        table = configs.backward_config((9, 0), 2, d, d, causal, s)

        def backward(config, atomic):
            flash.ATOMIC_DQ = atomic
            return lambda: flash_backward(dout, q, k, v, out, lse, opts.scale, causal, 0, config, opts=opts,
                                          mask=mask)
        row = dict(case=name, b=b, h=h, s=s, d=d, causal=causal, dropout_p=p)
        two = backward(table, False)
        reference = two()
        row["two launches"] = flops / bench(two) * 1e-9
        for c in CANDIDATES[d]:
            config = BackwardConfig(TileConfig(*c), table.dq)
            try:
                variant = backward(config, ATOMIC[d])
                grads = variant()
                row[f"{c}"] = flops / bench(variant) * 1e-9
                row[f"{c} rel err dq/dk/dv"] = [rel(x, y) for x, y in zip(grads[:3], reference[:3])]
            except Exception as error:   # out of resources and the like
                row[f"{c}"] = f"failed: {str(error).splitlines()[0][:80]}"
        flash.ATOMIC_DQ = False
        qr, kr, vr = (t.detach().requires_grad_() for t in (q, k, v))
        with sdpa_kernel(SDPBackend.CUDNN_ATTENTION):
            try:
                o = torch.nn.functional.scaled_dot_product_attention(
                    qr, kr, vr, attn_mask=None if mask is None else mask[:, :1], is_causal=causal, dropout_p=p)
                row["cudnn"] = flops / bench(lambda: torch.autograd.grad(o, (qr, kr, vr), dout, retain_graph=True)) * 1e-9
            except RuntimeError as error:
                row["cudnn"] = f"failed: {str(error).splitlines()[0][:80]}"
        rows.append(row)
        print(json.dumps(row), flush=True)
    print("\n| case | S | D | two launches | candidates (dK/dV tiles: TFLOP/s) | cuDNN |\n|---|---|---|---|---|---|")
    for row in rows:
        cells = "; ".join(f"{c}{' atomic' if ATOMIC[row['d']] else ''}: "
                          + (f"{row[str(c)]:.0f}" if isinstance(row[str(c)], float) else row[str(c)])
                          for c in CANDIDATES[row["d"]])
        cudnn = f"{row['cudnn']:.0f}" if isinstance(row["cudnn"], float) else row["cudnn"]
        print(f"| {row['case']} | {row['s']} | {row['d']} | {row['two launches']:.0f} | {cells} | {cudnn} |")
    if args.out:
        json.dump(rows, open(args.out, "w"), indent=1)


if __name__ == "__main__":
    main()
