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

N_KEYS = 64                # rows of one consumer warpgroup's tile
KEYS = gl.constexpr(N_KEYS)


@gluon.jit
def _store_tile(Out, keep, N: gl.constexpr, acc: gl.constexpr):
    rows = gl.arange(0, KEYS, layout=gl.SliceLayout(1, acc))
    cols = gl.arange(0, N, layout=gl.SliceLayout(0, acc))
    gl.store(Out + rows[:, None] * N + cols[None, :], keep.to(gl.uint8))


@gluon.jit
def keep_mask_toy(Out, seed, bh, row0, col0, dropout_p, N: gl.constexpr):
    """Out: [64, N] uint8, the keep-mask of keys row0.. x queries col0.. (the dK/dV launch's tile)."""
    acc: gl.constexpr = accumulator_layout(N, gl.bfloat16)
    _store_tile(Out, dropout_keep_transposed(seed, bh, row0, col0, dropout_p, KEYS, N, acc), N, acc)


@gluon.jit
def keep_rows_toy(Out, seed, bh, row0, col0, dropout_p, N: gl.constexpr):
    """Out: [64, N] uint8, the keep-mask of queries row0.. x keys col0.. (the dQ launch's tile)."""
    acc: gl.constexpr = accumulator_layout(N, gl.bfloat16)
    _store_tile(Out, dropout_keep_rows(seed, bh, row0, col0, dropout_p, KEYS, N, acc), N, acc)


# (the toy, its signature: both orientations take the offsets of their rows, then of their columns)
TOYS = {"keys x queries": keep_mask_toy, "queries x keys": keep_rows_toy}
SIGNATURE = dict(Out="*u8", seed="i32", bh="i32", row0="i32", col0="i32", dropout_p="fp32", N="constexpr")


def compile_only():
    from triton.experimental.gluon._runtime import GluonASTSource

    from sass_fingerprint import cubin_sass
    for name, toy in TOYS.items():
        for n in (64, 128):
            signature = dict(zip(toy.arg_names, SIGNATURE.values()))
            compiled = triton.compile(GluonASTSource(toy, signature, {(6,): n}, {}),
                                      target=GPUTarget("cuda", 90, 32), options={"num_warps": 4})
            sass = cubin_sass(compiled.asm["cubin"])
            count = len(re.findall(r"^\s+/\*[0-9a-f]{4,}\*/\s+\S", sass, re.M))
            print(f"{name}, 64 x {n}: {count} SASS instructions ({64 * n // 128} scores a thread), IMAD.HI "
                  f"{sass.count('IMAD.HI')}, SHFL {sass.count('SHFL')}, shared memory {compiled.metadata.shared} bytes")


def check_on_gpu():
    """Each toy's mask against dropout_keep_mask's, for tiles of 64 x 64 and 64 x 128."""
    from flashsdpa.backends.flash import dropout_keep_mask
    failures = 0
    for seed, bh, row0, col0, p in ((1234, 0, 0, 0, 0.1), (2**40 + 7, 5, 64, 128, 0.3), (99, 3, 192, 256, 0.5)):
        for name, toy in TOYS.items():
            for n in (64, 128):
                out = torch.full((N_KEYS, n), 2, dtype=torch.uint8, device="cuda")   # poison: neither 0 nor 1
                toy[(1,)](out, seed, bh, row0, col0, p, n, num_warps=4)
                if name == "keys x queries":   # rows are keys
                    want = dropout_keep_mask(seed, 1, bh + 1, col0 + n, row0 + N_KEYS, p, "cuda")[
                        0, bh, col0:col0 + n, row0:row0 + N_KEYS].T
                else:
                    want = dropout_keep_mask(seed, 1, bh + 1, row0 + N_KEYS, col0 + n, p, "cuda")[
                        0, bh, row0:row0 + N_KEYS, col0:col0 + n]
                differ = (out != want.to(torch.uint8)).sum().item()
                failures += differ > 0
                print(f"{name}, 64 x {n}: seed {seed} bh {bh} rows {row0}.. columns {col0}.. p {p}: "
                      f"{'equal' if not differ else f'{differ} of {want.numel()} differ'}")
    return failures


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--compile", action="store_true")
    args = ap.parse_args()
    if args.compile or not torch.cuda.is_available():
        compile_only()
    else:
        sys.exit(1 if check_on_gpu() else 0)
