"""Which calls the Gluon kernels for Hopper (kernels/hopper_forward.py, hopper_backward.py) run
instead of the portable Triton ones, the switches measured into their defaults, and their
launch plans. The kernels' own rules (head dims, lengths, strides) live beside them; these add
the call's options. The switches come from FLASHSDPA_HOPPER_* at import; flash's plans are keyed
by them, so tests and experiments may set them on this module between calls.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

import torch

from .support import capability_of, interpreter_active

if TYPE_CHECKING:
    from .flash import ScoreOptions


# The Gluon kernel for Hopper (kernels/hopper_forward.py) runs the forward calls it supports;
# FLASHSDPA_HOPPER_FORWARD=0 keeps every call on the portable Triton kernel.
FORWARD = os.environ.get("FLASHSDPA_HOPPER_FORWARD", "1") != "0"


def forward_reason(q, k, v, out, opts: ScoreOptions, mask=None, slopes=None, addresses: bool = True) -> str | None:
    """Why a forward call does not run the Hopper Gluon kernel, or None when it does (or, with
    addresses=False, may: the reasons that depend on where the tensors lie are left out)."""
    if not FORWARD:
        return "turned off (FLASHSDPA_HOPPER_FORWARD=0)"
    kernels = gluon_kernels(q.device)
    if isinstance(kernels, str):
        return kernels
    capability, hopper_forward, _ = kernels
    bias = forward_bias(mask, q, hopper_forward)
    window = band(opts, q)
    reason = hopper_forward.unsupported_reason(q, k, v, capability,
                                               has_score_features(None if bias is not None else mask, slopes, opts,
                                                                   window is not None),
                                               opts.is_causal or window is not None, addresses)
    if reason is None and addresses and not hopper_forward.tma_compatible(out):
        reason = "needs an output a TMA descriptor can address"
    return reason


# A persistent grid for the Gluon forward (one program an SM running query blocks in turn): every
# call. H200, bf16, 16k tokens, TFLOP/s persistent / one program a block: full S = 512 471 / 420,
# 1024 561 / 512, 8192 629 / 613; window (1024, 0) at S = 16384 456 / 439
# (benchmarks/results/2026-11-29-h200-v0.9/persistent.md); causal, its blocks in zigzag pairs of
# equal work, S = 512 274 / 254, 1024 404 / 367, 2048 447 / 430, 8192 566 / 538
# (results/2026-11-29-h200-v0.10/persistent_pairs.md). FLASHSDPA_HOPPER_PERSISTENT=0 turns it
# off, FLASHSDPA_HOPPER_PERSISTENT_CAUSAL=0 for the plain causal calls only.
PERSISTENT = os.environ.get("FLASHSDPA_HOPPER_PERSISTENT", "1") != "0"
PERSISTENT_CAUSAL = os.environ.get("FLASHSDPA_HOPPER_PERSISTENT_CAUSAL", "1") != "0"


def persistent(opts: ScoreOptions, window) -> bool:
    """Whether a Gluon forward runs the persistent grid (window: band())."""
    return PERSISTENT and (PERSISTENT_CAUSAL or not (opts.is_causal and window is None))


# Three consumer warpgroups a program (192 query rows, FlashAttention-3's choice at head dim 64)
# instead of two (hopper_forward.consumers_reason says which calls may): meant to keep the tensor
# cores fed where a D = 64 tile's softmax outlasts the other warpgroup's products. Off: at 160
# registers a thread our consumers spill, and it ran 0.84-1.00x two consumers for full attention
# and 0.43-0.78x causal (H200, S = 512 .. 16384, results/2026-11-29-h200-v0.21/consumers).
# FLASHSDPA_HOPPER_CONSUMERS=2 or 3 forces a count where it may; "auto" takes THREE_CONSUMERS.
CONSUMERS = {"2": 2, "3": 3}.get(os.environ.get("FLASHSDPA_HOPPER_CONSUMERS", "auto"), "auto")
THREE_CONSUMERS = False

# A causal or windowed block's edge tiles on the half of their keys a warpgroup's rows see
# (hopper_forward's [Note: half tiles]). FLASHSDPA_HOPPER_HALF_TILES=0 turns it off.
HALF_TILES = os.environ.get("FLASHSDPA_HOPPER_HALF_TILES", "1") != "0"


def consumers(q, bias, hopper_forward) -> int:
    """How many consumer warpgroups the Gluon forward runs for this call."""
    if hopper_forward.consumers_reason(q.shape[3], bias) is not None:
        return 2
    if CONSUMERS == "auto":
        return 3 if THREE_CONSUMERS else 2
    return CONSUMERS


# A float attn_mask (bias) in the Gluon forward (H200, S = 2048: 466 TFLOP/s against the Triton
# kernel's 293); FLASHSDPA_HOPPER_BIAS=0 keeps biased forwards on the Triton kernel.
BIAS = os.environ.get("FLASHSDPA_HOPPER_BIAS", "1") != "0"


def forward_bias(mask, q, hopper_forward):
    """The mask, when the Gluon forward takes it as a bias (else None: then it is a feature the
    kernel refuses)."""
    if not BIAS or mask is None or mask.dtype == torch.bool:
        return None
    return mask if hopper_forward.bias_reason(mask, q) is None else None


def gluon_kernels(device):
    """(capability, hopper_forward, hopper_backward) on a Hopper GPU with Gluon, else why not."""
    if interpreter_active() or device.type != "cuda":
        return "needs a CUDA GPU (not the interpreter)"
    capability = capability_of(device)
    if capability[0] != 9:  # before importing Gluon, which older Tritons lack
        return "needs an sm_90 GPU (Hopper)"
    try:
        from ..kernels import hopper_backward, hopper_forward
    except ImportError as error:
        return f"needs a Triton with Gluon's Hopper API ({error})"
    return capability, hopper_forward, hopper_backward


def has_score_features(mask, slopes, opts: ScoreOptions, window_taken: bool = False,
                       dropout_taken: bool = False) -> bool:
    """Anything but scale, top-left causal, (window_taken) the window and (dropout_taken)
    dropout shapes the scores (the Gluon kernels take none of the rest)."""
    return (mask is not None or slopes is not None or (opts.window != (-1, -1) and not window_taken)
            or opts.softcap > 0 or (opts.dropout_p > 0 and not dropout_taken) or opts.diag_off != 0)


def band(opts: ScoreOptions, q) -> tuple[int, int] | None:
    """The Gluon kernels' band (left, right) of a call with a sliding window: row i sees keys
    i - left .. i + right, causal folded into right, S standing for unbounded; None without a
    window (or with a diagonal offset, which the kernels do not take)."""
    left, right = opts.window
    if (left, right) == (-1, -1) or opts.diag_off != 0:
        return None
    seq = q.shape[2]
    upper = ([0] if opts.is_causal else []) + ([right] if right >= 0 else [])
    return (min(left, seq) if left >= 0 else seq), (min(min(upper), seq) if upper else seq)


# The Gluon backward kernels for Hopper (kernels/hopper_backward.py) run the backward calls they
# support; FLASHSDPA_HOPPER_BACKWARD=0 keeps every backward on the portable Triton kernels.
BACKWARD = os.environ.get("FLASHSDPA_HOPPER_BACKWARD", "1") != "0"


def backward_reason(q, k, v, out, dout, grads, opts: ScoreOptions, mask=None, slopes=None,
                    addresses: bool = True) -> str | None:
    """Why a backward call does not run the Hopper Gluon kernels, or None when it does (addresses
    as in forward_reason). grads: the (dq, dk, dv) tensors it writes."""
    if not BACKWARD:
        return "turned off (FLASHSDPA_HOPPER_BACKWARD=0)"
    kernels = gluon_kernels(q.device)
    if isinstance(kernels, str):
        return kernels
    capability, hopper_forward, hopper_backward = kernels
    bias = backward_bias(mask, q, hopper_forward)
    window = band(opts, q)
    head_dims = hopper_backward.HEAD_DIMS
    dropout = dropout_taken(opts, mask, q.shape[3])
    if bias is None and fused_dq_allowed() and (dropout or fused_dq_wins(opts, window, k.shape[2], 64,
                                                                         q.shape[1] == k.shape[1])):
        head_dims = head_dims + (64,)   # D = 64 only with the fused dQ, where it beats the Triton kernels
    reason = hopper_backward.unsupported_reason(q, k, v, dout, capability,
                                                has_score_features(None if bias is not None else mask, slopes, opts,
                                                                   window is not None, dropout), head_dims,
                                                addresses)
    if reason is None and addresses and not all(hopper_forward.tma_compatible(t) for t in (out, *grads)):
        reason = "needs out, dq, dk and dv a TMA descriptor can address"
    return reason


# A float bias (and its gradient) in the Gluon backward, for the calls with a bias the Gluon
# forward takes: H200, bf16, (B, H, S, S) bias with gradient at S = 2048 288 TFLOP/s against the
# Triton kernels' 261 (benchmarks/results/2026-11-29-h200-v0.9); FLASHSDPA_HOPPER_BIAS_BACKWARD=0
# keeps them on the Triton kernels.
BIAS_BACKWARD = os.environ.get("FLASHSDPA_HOPPER_BIAS_BACKWARD", "1") != "0"


# dQ inside the Gluon dK/dV launch (5 products instead of 7, its fp32 parts added in global
# memory by TMA reduce-add from shared memory), each tile's dQ a step late so the two consumer
# warpgroups do not meet every tile. Measured on an H200 since the dK/dV consumers read lse and
# delta from shared memory (bf16, 16k tokens, results/2026-11-30-h200-v0.23, backward TFLOP/s
# fused / two launches): D = 128 (H = 16) full S = 512 / 1024 / 2048 / 4096 / 8192 / 16384 323 /
# 348, 407 / 408, 471 / 438, 509 / 464, 534 / 477, 544 / 478; causal 195 / 240, 293 / 318, 382 /
# 380, 461 / 430, 508 / 458, 526 / 475, S = 32768 537 / 480; GQA 32/8 causal 4096 408 / 461;
# dropout 0.1 causal 8192 4.15 / 3.95 ms. At D = 64 (H = 32), where the two launches lose to the
# Triton kernels, against those: full S = 512 / 1024 / 2048 / 4096 / 8192 / 16384 312 / 313,
# 339 / 329, 353 / 353, 381 / 366, 396 / 375, 403 / 383; causal 186 / 192, 251 / 242, 303 / 287,
# 364 / 318, 397 / 333, 417 / 334 (S = 1024 lost in the grid run of the same day: full 311, causal
# 234 against v0.22's 328 and 244). "auto" (the default) takes it where it won: head dim 128
# without a window, dropout or bias over at least FUSED_DQ_MIN_SEQ keys (full attention) or
# FUSED_DQ_MIN_SEQ_CAUSAL (causal, no GQA), and head dim 64 without a window or GQA over at least
# FUSED_DQ_MIN_SEQ_64 keys (the only D = 64 calls the Gluon backward takes, and only with it).
# FLASHSDPA_HOPPER_FUSED_DQ=1 for every Gluon backward call without a bias, =0 for none (and no
# D = 64); never under torch.use_deterministic_algorithms(True) (the order of the adds varies).
FUSED_DQ = {"1": True, "0": False}.get(os.environ.get("FLASHSDPA_HOPPER_FUSED_DQ", "auto"), "auto")
FUSED_DQ_MIN_SEQ = 2048
FUSED_DQ_MIN_SEQ_CAUSAL = 4096
FUSED_DQ_MIN_SEQ_64 = 2048


def fused_dq(opts: ScoreOptions, window, seq_k: int, head_dim: int, same_heads: bool = True) -> bool:
    """Whether a Gluon backward call without a bias computes dQ in its dK/dV launch (FUSED_DQ).
    same_heads: H_q = H_kv (no GQA)."""
    return fused_dq_allowed() and (FUSED_DQ is True or fused_dq_wins(opts, window, seq_k, head_dim, same_heads))


def fused_dq_allowed() -> bool:
    """Not turned off, and not under torch.use_deterministic_algorithms(True)."""
    return FUSED_DQ is not False and not torch.are_deterministic_algorithms_enabled()


def fused_dq_wins(opts: ScoreOptions, window, seq_k: int, head_dim: int, same_heads: bool = True) -> bool:
    """Where the fused dQ measured faster than what runs the call otherwise (FUSED_DQ's comment)."""
    if head_dim == 64:
        return window is None and same_heads and seq_k >= FUSED_DQ_MIN_SEQ_64
    if head_dim != 128 or window is not None or opts.dropout_p > 0:
        return False
    if opts.is_causal:
        return same_heads and seq_k >= FUSED_DQ_MIN_SEQ_CAUSAL
    return seq_k >= FUSED_DQ_MIN_SEQ


# For a bias that needs its gradient, the Gluon dK/dV launch stores dS (the bias's gradient)
# itself and dQ = dS K * scale becomes one batched GEMM over it: 5 products instead of 7, and dS
# read back once instead of the bias (hopper_backward.backward_launches' dq_from_ds). Measured on
# an H200 (B = 8, H = 16, S = 2048, D = 128): 410 TFLOP/s against 297 for the two launches.
# FLASHSDPA_HOPPER_DQ_FROM_DS=0 keeps the two launches.
DQ_FROM_DS = os.environ.get("FLASHSDPA_HOPPER_DQ_FROM_DS", "1") != "0"


# In the Gluon backward of causal and windowed calls, each consumer warpgroup can pass over the
# streamed tiles with no kept (row, key) pair for its own 64 rows or keys instead of computing on
# them masked (hopper_backward.backward_launches' skip_empty): per key block of a (w, 0) window,
# w / 64 + 1 query tiles of 64 instead of w / 64 + 2. Its loops spill more, so it pays only where
# that tile is a large share: measured on an H200 (H = 16, S = 16384, D = 128), windows (128 / 256 /
# 512 / 1024 / 4096, 0) backward -13 / -9 / -4 / -0.4 / +2.7% time, plain causal -0.8% (noise).
# "auto" (the default) takes it for bands of at most SKIP_EMPTY_MAX_BAND keys; FLASHSDPA_HOPPER_
# SKIP_EMPTY=1 for every causal or windowed call, =0 for none.
SKIP_EMPTY = {"1": True, "0": False}.get(os.environ.get("FLASHSDPA_HOPPER_SKIP_EMPTY", "auto"), "auto")
SKIP_EMPTY_MAX_BAND = 512


# Dropout in the Gluon backward (hopper_backward's HAS_DROPOUT): the keep bits drawn straight into
# the score tiles' registers, in the dK/dV launch and (when dQ is not fused: FUSED_DQ decides, as
# without dropout) again in the dQ launch. "auto" (the default) takes it where it measured faster
# than the Triton kernels: causal calls at D = 128 (H200, bf16, backward TFLOP/s S = 2048 / 8192:
# 258 / 305 against 237 / 276, cuDNN 336 / 403; benchmarks/results/2026-11-29-h200-v0.17, with the
# peeled loops and groups of 4 heads; before them 229 / 260, v0.14). Full attention and D = 64
# keep the Triton kernels until measured; FLASHSDPA_HOPPER_DROPOUT=1 takes it for every call it
# runs (D = 128, or 64 with the fused dQ), =0 for none. The forward stays on the Triton kernel,
# which beats cuDNN's dropout forward.
DROPOUT = {"1": True, "0": False}.get(os.environ.get("FLASHSDPA_HOPPER_DROPOUT", "auto"), "auto")


# The Gluon backward's loops with the tiles a mask reaches run apart (hopper_backward's peel_diagonal:
# causal dK/dV's diagonal query tiles, dQ's diagonal or ragged last key tiles), so that the loop over
# the other tiles has no mask code: sm_90a, 16-25% fewer instructions a tile. On by default since
# measured (H200, bf16, backward TFLOP/s without / with the peel: fused dQ D = 128 causal S = 8192
# 412 / 423, D = 64 causal S = 16384 346 / 362, benchmarks/results/2026-11-29-h200-v0.15; two
# launches D = 128 causal S = 2048 367 / 377, 16384 428 / 445, full S = 2048 418 / 433,
# results/2026-11-29-h200-v0.17); FLASHSDPA_HOPPER_PEEL_DIAGONAL=0 turns it off.
PEEL_DIAGONAL = os.environ.get("FLASHSDPA_HOPPER_PEEL_DIAGONAL", "1") == "1"
# Experimental, off until measured: the fused dQ's peeled causal loops not nested in the loop over
# a key head's query heads when there is one (H_q = H_kv), whose nesting makes them spill
# (hopper_backward.backward_launches' flat_heads; benchmarks/NOTES.md v0.18). FLASHSDPA_HOPPER_FLAT_HEADS=1.
FLAT_HEADS = os.environ.get("FLASHSDPA_HOPPER_FLAT_HEADS", "0") == "1"
# The dQ launch's dropout bits drawn a key tile ahead, under the previous tile's dQ product, where
# the compiler otherwise schedules most of the draw after the S product's wait (hopper_backward.
# backward_launches' draw_ahead; benchmarks/NOTES.md v0.23b, v0.24). On since measured: H200, bf16,
# causal D = 128, dropout 0.1, the dQ launch S = 8192 1.60-1.68 -> 1.52-1.58 ms in three runs, S =
# 2048 0.495 -> 0.464-0.473 (results/2026-11-30-h200-v0.24). FLASHSDPA_HOPPER_DROPOUT_DRAW_AHEAD=0 turns it off.
DROPOUT_DRAW_AHEAD = os.environ.get("FLASHSDPA_HOPPER_DROPOUT_DRAW_AHEAD", "1") == "1"
# Experimental, off: the dK/dV launch's dropout bits drawn by warps of their own and handed to the
# consumers packed, a word a thread (hopper_backward.backward_launches' drawer_warps). Measured with
# 4 warps: the fused dQ's dK/dV launch 4.10 -> 3.85 ms (S = 8192), level with the two launches that
# run dropout; the two launches' none (benchmarks/NOTES.md v0.24). 2 warps leave the consumers their
# registers (not yet measured). FLASHSDPA_HOPPER_DROPOUT_DRAWER=2 or =4 (the warps; =1: 2).
DROPOUT_DRAWER = {"1": 2, "2": 2, "4": 4}.get(os.environ.get("FLASHSDPA_HOPPER_DROPOUT_DRAWER", "0"), 0)


def dropout_taken(opts: ScoreOptions, mask, head_dim: int) -> bool:
    """Whether the Gluon backward takes this call's dropout (DROPOUT): D = 128 (with or without the
    fused dQ, as fused_dq decides) or D = 64 (fused dQ only, as without dropout), no mask or bias,
    no window; "auto": causal calls at D = 128 only."""
    if DROPOUT is False or opts.dropout_p == 0 or mask is not None or opts.window != (-1, -1):
        return False
    if DROPOUT == "auto":
        return opts.is_causal and head_dim == 128
    return head_dim == 128 or (head_dim == 64 and fused_dq_allowed())


def skip_empty(window: tuple[int, int] | None) -> bool:
    """Whether the Gluon backward of a call with this band (band()'s (left, right)) passes over
    the tiles with nothing kept (SKIP_EMPTY)."""
    if SKIP_EMPTY == "auto":
        return window is not None and window[0] + window[1] <= SKIP_EMPTY_MAX_BAND
    return SKIP_EMPTY


def dq_from_ds(has_bias: bool, mask_grad: bool, seq_k: int, mask) -> bool:
    """Whether a Gluon backward with this bias takes dQ from the stored dS: its rows are TMA
    stores, so they must be 16-byte aligned; and not under torch.use_deterministic_algorithms
    (True), where torch refuses the cuBLAS GEMM unless CUBLAS_WORKSPACE_CONFIG is set (the two
    launches are ours alone and deterministic)."""
    return (DQ_FROM_DS and has_bias and mask_grad and seq_k * mask.element_size() % 16 == 0
            and not torch.are_deterministic_algorithms_enabled())


def backward_bias(mask, q, hopper_forward):
    """The mask, when the Gluon backward takes it as a bias (else None)."""
    return forward_bias(mask, q, hopper_forward) if BIAS_BACKWARD else None


def forward_switches() -> tuple:
    """What a forward plan depends on besides the call (flash keys its plans by it)."""
    return FORWARD, BIAS, PERSISTENT, PERSISTENT_CAUSAL, CONSUMERS, THREE_CONSUMERS, HALF_TILES


def backward_switches() -> tuple:
    """What a backward plan depends on besides the call (flash keys its plans by it)."""
    return (BACKWARD, BIAS_BACKWARD, FUSED_DQ, DQ_FROM_DS, SKIP_EMPTY, DROPOUT, PEEL_DIAGONAL, FLAT_HEADS,
            DROPOUT_DRAW_AHEAD, DROPOUT_DRAWER, torch.are_deterministic_algorithms_enabled())


def forward_plan(q, k, v, out, mask, slopes, opts: ScoreOptions):
    """The forward launch on the Gluon kernel, or None where it does not apply: called as
    launch(q, k, v, out, lse, mask, ...) like flash's bound Triton launch."""
    if forward_reason(q, k, v, out, opts, mask, slopes) is not None:
        return None
    from ..kernels import hopper_forward
    bias = forward_bias(mask, q, hopper_forward)
    window = band(opts, q)
    launch = hopper_forward.forward_launch(q, k, opts.scale, opts.is_causal, bias, window, persistent(opts, window),
                                           consumers(q, bias, hopper_forward), half_tiles=HALF_TILES)
    if bias is not None:
        return lambda q, k, v, out, lse, mask, *unused: launch(q, k, v, out, lse, mask)
    return lambda q, k, v, out, lse, *unused: launch(q, k, v, out, lse)


def backward_plan(q, k, v, out, dout, grads, mask, slopes, opts: ScoreOptions, mask_grad: bool):
    """(row statistics of lse, dQ launch, dK/dV launch) on the Gluon kernels, or None where they
    do not apply; the launches take flash's Triton launch arguments (and ignore what they do not
    use). grads: the (dq, dk, dv) tensors they write."""
    if backward_reason(q, k, v, out, dout, grads, opts, mask, slopes) is not None:
        return None
    from ..kernels import hopper_backward
    has_bias = mask is not None   # the reason above let a mask through only as a bias
    window = band(opts, q)
    dropout = dropout_taken(opts, mask, q.shape[3])
    gluon_dq, gluon_dkdv = hopper_backward.backward_launches(
        q, k, opts.scale, opts.is_causal, mask, mask_grad, window=window,
        fused_dq=(dropout and q.shape[3] == 64) or (not has_bias and q.shape[3] in (64, 128) and fused_dq(
            opts, window, k.shape[2], q.shape[3], q.shape[1] == k.shape[1])),
        dq_from_ds=dq_from_ds(has_bias, mask_grad, k.shape[2], mask), skip_empty=skip_empty(window) and not dropout,
        dropout_p=opts.dropout_p if dropout else 0.0, peel_diagonal=PEEL_DIAGONAL, flat_heads=FLAT_HEADS,
        draw_ahead=DROPOUT_DRAW_AHEAD, drawer_warps=DROPOUT_DRAWER)

    def dq_launch(q, k, v, out, dout, lse, stats, dq, mask, slopes, dmask, seed, seed_host):
        gluon_dq(q, k, v, out, dout, lse, stats, dq, mask if has_bias else None, dmask if mask_grad else None,
                 (seed, seed_host))

    def dkdv_launch(q, k, v, dout, lse, stats, dk, dv, mask, slopes, seed, seed_host, dq, dmask):
        gluon_dkdv(q, k, v, dout, stats, dk, dv, mask if has_bias else None, dq, dmask, (seed, seed_host))
    return hopper_backward.row_stats, dq_launch, dkdv_launch
