"""Dropout's keep-mask drawn in Gluon straight into the wgmma accumulator's layout of a
transposed (keys x queries) tile, as the Gluon dK/dV kernel needs it
(kernels/hopper_common.dropout_keep_transposed: one Philox call per 8 scores, lanes l and l + 4
trade halves by shuffles, no shared memory). The mask must equal kernels.common.dropout_keep's
(the portable kernels'); the design is in benchmarks/NOTES.md (queue item 4).
Also the same bits in the forward's orientation (queries x keys), as the Gluon dQ launch
draws them (hopper_common.dropout_keep_rows: a thread's 8 scores are one whole Philox group, so
no lane exchange), checked the same way.

    PYTHONPATH=src python3 benchmarks/experiment_gluon_dropout_mask.py           # GPU: the toy
        kernel's mask against flash.dropout_keep_mask, transposed, for a few tiles and seeds
    PYTHONPATH=src python3 benchmarks/experiment_gluon_dropout_mask.py --compile # any machine:
        compile for sm_90a only and print the SASS size
"""
import argparse
import re
import sys

import torch
import triton
from triton.backends.compiler import GPUTarget
from triton.experimental import gluon
from triton.experimental.gluon import language as gl

from flashsdpa.kernels.hopper_common import accumulator_layout, dropout_keep_rows, dropout_keep_transposed

N_KEYS = 64                # keys (rows of S^T) of one consumer warpgroup
KEYS = gl.constexpr(N_KEYS)


@gluon.jit
def keep_mask_toy(Out, seed, bh, start_n, m0, dropout_p, QUERIES: gl.constexpr):
    """Out: [KEYS, QUERIES] uint8, the keep-mask of keys start_n.. x queries m0.."""
    acc: gl.constexpr = accumulator_layout(QUERIES, gl.bfloat16)
    keep = dropout_keep_transposed(seed, bh, start_n, m0, dropout_p, KEYS, QUERIES, acc)
    rows = gl.arange(0, KEYS, layout=gl.SliceLayout(1, acc))
    cols = gl.arange(0, QUERIES, layout=gl.SliceLayout(0, acc))
    gl.store(Out + rows[:, None] * QUERIES + cols[None, :], keep.to(gl.uint8))


@gluon.jit
def keep_rows_toy(Out, seed, bh, m0, start_n, dropout_p, KEYS_N: gl.constexpr):
    """Out: [64, KEYS_N] uint8, the keep-mask of queries m0.. x keys start_n.."""
    acc: gl.constexpr = accumulator_layout(KEYS_N, gl.bfloat16)
    keep = dropout_keep_rows(seed, bh, m0, start_n, dropout_p, KEYS, KEYS_N, acc)
    rows = gl.arange(0, KEYS, layout=gl.SliceLayout(1, acc))
    cols = gl.arange(0, KEYS_N, layout=gl.SliceLayout(0, acc))
    gl.store(Out + rows[:, None] * KEYS_N + cols[None, :], keep.to(gl.uint8))


def compile_only():
    from triton.experimental.gluon._runtime import GluonASTSource

    from sass_fingerprint import cubin_sass
    signature = dict(Out="*u8", seed="i32", bh="i32", start_n="i32", m0="i32", dropout_p="fp32", QUERIES="constexpr")
    for queries in (64, 128):
        compiled = triton.compile(GluonASTSource(keep_mask_toy, signature, {(6,): queries}, {}),
                                  target=GPUTarget("cuda", 90, 32), options={"num_warps": 4})
        sass = cubin_sass(compiled.asm["cubin"])
        count = len(re.findall(r"^\s+/\*[0-9a-f]{4,}\*/\s+\S", sass, re.M))
        print(f"64 x {queries}: {count} SASS instructions ({64 * queries // 128} scores a thread), IMAD.HI "
              f"{sass.count('IMAD.HI')}, SHFL {sass.count('SHFL')}, shared memory {compiled.metadata.shared} bytes")
    signature = dict(Out="*u8", seed="i32", bh="i32", m0="i32", start_n="i32", dropout_p="fp32", KEYS_N="constexpr")
    for keys in (64, 128):
        compiled = triton.compile(GluonASTSource(keep_rows_toy, signature, {(6,): keys}, {}),
                                  target=GPUTarget("cuda", 90, 32), options={"num_warps": 4})
        sass = cubin_sass(compiled.asm["cubin"])
        count = len(re.findall(r"^\s+/\*[0-9a-f]{4,}\*/\s+\S", sass, re.M))
        print(f"rows 64 x {keys}: {count} SASS instructions, IMAD.HI {sass.count('IMAD.HI')}, SHFL "
              f"{sass.count('SHFL')}, shared memory {compiled.metadata.shared} bytes")


def check_on_gpu():
    from flashsdpa.backends.flash import dropout_keep_mask
    failures = 0
    for seed, bh, start_n, m0, p in ((1234, 0, 0, 0, 0.1), (2**40 + 7, 5, 64, 128, 0.3), (99, 3, 192, 256, 0.5)):
        for queries in (64, 128):
            out = torch.empty(N_KEYS, queries, dtype=torch.uint8, device="cuda")
            full = dropout_keep_mask(seed, 1, bh + 1, m0 + queries, start_n + N_KEYS, p, "cuda")
            want = full[0, bh, m0:m0 + queries, start_n:start_n + N_KEYS].T
            out.fill_(2)   # poison: an unwritten entry differs from both 0 and 1
            keep_mask_toy[(1,)](out, seed, bh, start_n, m0, p, queries, num_warps=4)
            same = torch.equal(out, want.to(torch.uint8))
            failures += not same
            print(f"64 x {queries}: seed {seed} bh {bh} keys {start_n}.. queries {m0}.. p {p}: "
                  f"{'equal' if same else f'{(out != want.to(torch.uint8)).sum().item()} of {want.numel()} differ'}")
            if queries == 128:
                continue
            for keys in (64, 128):   # the forward's orientation: queries m0.. x keys start_n..
                out = torch.empty(N_KEYS, keys, dtype=torch.uint8, device="cuda")
                full = dropout_keep_mask(seed, 1, bh + 1, m0 + N_KEYS, start_n + keys, p, "cuda")
                want = full[0, bh, m0:m0 + N_KEYS, start_n:start_n + keys]
                out.fill_(2)
                keep_rows_toy[(1,)](out, seed, bh, m0, start_n, p, keys, num_warps=4)
                same = torch.equal(out, want.to(torch.uint8))
                failures += not same
                print(f"rows 64 x {keys}: seed {seed} bh {bh} queries {m0}.. keys {start_n}.. p {p}: "
                      f"{'equal' if same else f'{(out != want.to(torch.uint8)).sum().item()} of {want.numel()} differ'}")
    return failures


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--compile", action="store_true")
    args = ap.parse_args()
    if args.compile or not torch.cuda.is_available():
        compile_only()
    else:
        sys.exit(1 if check_on_gpu() else 0)
