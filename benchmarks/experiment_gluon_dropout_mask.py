"""Dropout's keep-mask drawn in Gluon straight into the wgmma accumulator's layout of a
transposed (keys x queries) tile, as the Gluon dK/dV kernel would need it: a Philox call gives
8 scores' bits, of which a thread uses 4 (lanes l and l + 4 draw the same group and keep its
other 16-bit half): one call per 4 scores, against one per score drawn element by element, then joins,
reshapes and a permute that land in the accumulator's layout without data movement (checked at
compile time by convert_layout's assert_trivial). The design is in benchmarks/NOTES.md
(queue item 4); the mask must equal kernels.common.dropout_keep's (the portable kernels').

    PYTHONPATH=src python3 benchmarks/experiment_gluon_dropout_mask.py           # GPU: the toy
        kernel's mask against flash.dropout_keep_mask, transposed, for a few tiles and seeds
    PYTHONPATH=src python3 benchmarks/experiment_gluon_dropout_mask.py --compile # any machine:
        compile for sm_90a only (the layouts' triviality) and print the SASS size
"""
import argparse
import re
import sys

import torch
import triton
from triton.backends.compiler import GPUTarget
from triton.experimental import gluon
from triton.experimental.gluon import language as gl

SPLIT_N = gl.constexpr(64)    # keys (rows of S^T) of one consumer warpgroup
BLOCK_M = gl.constexpr(128)   # queries


@gluon.constexpr_function
def _accumulator():
    return gl.NVMMADistributedLayout(version=[3, 0], warps_per_cta=[4, 1], instr_shape=[16, BLOCK_M, 16])


@gluon.constexpr_function
def _pairs():
    """[32 rows, 32 column pairs] of a [64, 128] S^T tile for one parity e of the column: row
    2 kg + kr0 (kg the key group, kr0 the key's bit 0, which picks the 16-bit half), pair
    4 qh + ql // 2 (query group 8 qh + ql). Each element where the thread that holds its scores
    in _accumulator() is: lanes 0, 1 -> pair bits 0, 1; lane 2 -> kr0; lanes 3, 4 -> the key
    group's bits 0, 1; warps -> its bits 2, 3; registers -> pair bits 2-4 (column blocks of 16)."""
    return gl.DistributedLinearLayout(
        reg_bases=[[0, 4], [0, 8], [0, 16]], lane_bases=[[0, 1], [0, 2], [1, 0], [2, 0], [4, 0]],
        warp_bases=[[8, 0], [16, 0]], block_bases=[], shape=[SPLIT_N // 2, BLOCK_M // 4])


@gluon.jit
def _philox(seed_lo, seed_hi, c0, c1, c2, c3, N_ROUNDS: gl.constexpr):
    """triton.language.random.philox_impl on uint32 tensors."""
    k0 = seed_lo.to(gl.uint32)   # the JIT types a Python int as i32 (or i64): the key adds wrap in uint32
    k1 = seed_hi.to(gl.uint32)
    for _ in gl.static_range(N_ROUNDS):
        _c0 = c0
        _c2 = c2
        c0 = gl.umulhi(_c2 * 0 + 0xCD9E8D57, _c2) ^ c1 ^ k0
        c2 = gl.umulhi(_c0 * 0 + 0xD2511F53, _c0) ^ c3 ^ k1
        c1 = _c2 * 0xCD9E8D57
        c3 = _c0 * 0xD2511F53
        k0 = k0 + 0x9E3779B9
        k1 = k1 + 0xBB67AE85
    return c0, c1, c2, c3


@gluon.jit
def _keep_words(seed_lo, seed_hi, bh, start_n, m0, threshold, E: gl.constexpr):
    """The keep bits of columns of parity E: [32, 32, 2 (q bit 3), 2 (k bit 3)] in _pairs()
    (joins prepend register bits: q bit 3 then k bit 3)."""
    pairs: gl.constexpr = _pairs()
    row = gl.arange(0, SPLIT_N // 2, layout=gl.SliceLayout(1, pairs))
    pair = gl.arange(0, BLOCK_M // 4, layout=gl.SliceLayout(0, pairs))
    kg = (start_n // 4 + row // 2).to(gl.uint32)
    qg = (m0 // 2 + (pair // 4) * 8 + (pair % 4) * 2 + E).to(gl.uint32)
    shift = ((row % 2) * 16).to(gl.uint32)[:, None]       # k bit 0: the high half
    c0 = kg[:, None] + qg[None, :] * 0
    c1 = qg[None, :] + kg[:, None] * 0
    zero = c0 * 0
    r0, r1, r2, r3 = _philox(seed_lo, seed_hi, c0, c1, zero + bh.to(gl.uint32), zero, 7)
    # word (k bit 3) + 2 (q bit 3), as kernels/common.py's dropout_keep
    k_low = gl.join(((r0 >> shift) & 0xFFFF) >= threshold, ((r2 >> shift) & 0xFFFF) >= threshold)
    k_high = gl.join(((r1 >> shift) & 0xFFFF) >= threshold, ((r3 >> shift) & 0xFFFF) >= threshold)
    return gl.join(k_low, k_high)


@gluon.jit
def keep_transposed(seed_lo, seed_hi, bh, start_n, m0, threshold):
    """keep^T [SPLIT_N keys from start_n, BLOCK_M queries from m0] (bool) in _accumulator();
    start_n and m0 multiples of 16 (whole groups)."""
    keep = gl.join(_keep_words(seed_lo, seed_hi, bh, start_n, m0, threshold, 0),
                   _keep_words(seed_lo, seed_hi, bh, start_n, m0, threshold, 1))
    # (k >> 4, (k >> 1) & 3, k & 1, q >> 4, (q >> 1) & 3, q bit 3, k bit 3, q & 1) -> (k, q)
    keep = gl.reshape(keep, [SPLIT_N // 16, 4, 2, BLOCK_M // 16, 4, 2, 2, 2])
    keep = gl.permute(keep, [0, 6, 1, 2, 3, 5, 4, 7])
    keep = gl.reshape(keep, [SPLIT_N, BLOCK_M])
    return gl.convert_layout(keep, _accumulator(), assert_trivial=True)


@gluon.constexpr_function
def _groups():
    """[16 key groups, 64 query groups] of a [64, 128] S^T tile, one Philox call each: lanes 0, 1
    -> query group bits 1, 2; lane 2 -> bit 0 (the column parity e, which the accumulator holds
    in a register: lanes l and l + 4 then trade halves by shuffle); lanes 3, 4 -> key group bits
    0, 1; warps -> its bits 2, 3; registers -> query group bits 3-5."""
    return gl.DistributedLinearLayout(
        reg_bases=[[0, 8], [0, 16], [0, 32]], lane_bases=[[0, 2], [0, 4], [0, 1], [1, 0], [2, 0]],
        warp_bases=[[4, 0], [8, 0]], block_bases=[], shape=[SPLIT_N // 4, BLOCK_M // 2])


@gluon.jit
def _words(r0, r1, r2, r3, threshold, SHIFT: gl.constexpr):
    """One 16-bit half's keep bits, (.., q bit 3, k bit 3): word (k bit 3) + 2 (q bit 3)."""
    return gl.join(gl.join(((r0 >> SHIFT) & 0xFFFF) >= threshold, ((r2 >> SHIFT) & 0xFFFF) >= threshold),
                   gl.join(((r1 >> SHIFT) & 0xFFFF) >= threshold, ((r3 >> SHIFT) & 0xFFFF) >= threshold))


@gluon.jit
def keep_transposed_shuffled(seed_lo, seed_hi, bh, start_n, m0, threshold):
    """keep_transposed with one Philox call per 8 scores (a group's all 8 bits kept by one lane)
    and a lane-to-lane exchange into the accumulator's layout."""
    groups: gl.constexpr = _groups()
    kg = (start_n // 4 + gl.arange(0, SPLIT_N // 4, layout=gl.SliceLayout(1, groups))).to(gl.uint32)
    qg = (m0 // 2 + gl.arange(0, BLOCK_M // 2, layout=gl.SliceLayout(0, groups))).to(gl.uint32)
    c0 = kg[:, None] + qg[None, :] * 0
    c1 = qg[None, :] + kg[:, None] * 0
    zero = c0 * 0
    r0, r1, r2, r3 = _philox(seed_lo, seed_hi, c0, c1, zero + bh.to(gl.uint32), zero, 7)
    keep = gl.join(_words(r0, r1, r2, r3, threshold, 0), _words(r0, r1, r2, r3, threshold, 16))  # .., k bit 0
    # (k >> 4, (k >> 1) & 3, q >> 4, (q >> 1) & 3, q & 1, q bit 3, k bit 3, k & 1) -> (k, q)
    keep = gl.reshape(keep, [SPLIT_N // 16, 4, BLOCK_M // 16, 4, 2, 2, 2, 2])
    keep = gl.permute(keep, [0, 6, 1, 7, 2, 5, 3, 4])
    keep = gl.reshape(keep, [SPLIT_N, BLOCK_M])
    return gl.convert_layout(keep, _accumulator())


@gluon.jit
def keep_mask_toy(Out, seed_lo, seed_hi, bh, start_n, m0, threshold, SHUFFLED: gl.constexpr):
    """Out: [SPLIT_N, BLOCK_M] uint8, the keep-mask of keys start_n.. x queries m0.."""
    acc: gl.constexpr = _accumulator()
    if SHUFFLED:
        keep = keep_transposed_shuffled(seed_lo, seed_hi, bh, start_n, m0, threshold)
    else:
        keep = keep_transposed(seed_lo, seed_hi, bh, start_n, m0, threshold)
    rows = gl.arange(0, SPLIT_N, layout=gl.SliceLayout(1, acc))
    cols = gl.arange(0, BLOCK_M, layout=gl.SliceLayout(0, acc))
    gl.store(Out + rows[:, None] * BLOCK_M + cols[None, :], keep.to(gl.uint8))


def compile_only():
    from triton.experimental.gluon._runtime import GluonASTSource

    from sass_fingerprint import cubin_sass
    signature = dict(Out="*u8", seed_lo="i32", seed_hi="i32", bh="i32", start_n="i32", m0="i32", threshold="i32",
                     SHUFFLED="constexpr")
    for shuffled in (False, True):
        compiled = triton.compile(GluonASTSource(keep_mask_toy, signature, {(7,): shuffled}, {}),
                                  target=GPUTarget("cuda", 90, 32), options={"num_warps": 4})
        sass = cubin_sass(compiled.asm["cubin"])
        count = len(re.findall(r"^\s+/\*[0-9a-f]{4,}\*/\s+\S", sass, re.M))
        print(f"{'shuffled' if shuffled else 'trivial '}: {count} SASS instructions for a 64 x 128 tile (64 "
              f"scores a thread), IMAD.HI {sass.count('IMAD.HI')}, SHFL {sass.count('SHFL')}, shared memory "
              f"{compiled.metadata.shared} bytes")


def check_on_gpu():
    from flashsdpa.backends.flash import dropout_keep_mask
    out = torch.empty(SPLIT_N, BLOCK_M, dtype=torch.uint8, device="cuda")
    failures = 0
    for seed, bh, start_n, m0, p in ((1234, 0, 0, 0, 0.1), (2**40 + 7, 5, 64, 128, 0.3), (99, 3, 192, 256, 0.5)):
        threshold = int(-(-p * 65536 // 1))
        full = dropout_keep_mask(seed, 1, bh + 1, m0 + BLOCK_M, start_n + SPLIT_N, p, "cuda")
        want = full[0, bh, m0:m0 + BLOCK_M, start_n:start_n + SPLIT_N].T
        for shuffled in (False, True):
            out.fill_(2)   # poison: an unwritten entry differs from both 0 and 1
            keep_mask_toy[(1,)](out, seed & 0xFFFFFFFF, seed >> 32, bh, start_n, m0, threshold, shuffled, num_warps=4)
            same = torch.equal(out, want.to(torch.uint8))
            failures += not same
            print(f"{'shuffled' if shuffled else 'trivial'}: seed {seed} bh {bh} keys {start_n}.. queries {m0}.. "
                  f"p {p}: {'equal' if same else f'{(out != want.to(torch.uint8)).sum().item()} of {want.numel()} differ'}")
    return failures


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--compile", action="store_true")
    args = ap.parse_args()
    if args.compile or not torch.cuda.is_available():
        compile_only()
    else:
        sys.exit(1 if check_on_gpu() else 0)
