"""Hopper (sm_90) backward kernels in Gluon, FlashAttention-3 style: in each, one producer warp
streams tiles with TMA through mbarrier-guarded shared-memory stages and two consumer
warpgroups own 64 rows each of the program's 128; the second product's operand (P^T, dS^T or
dS) comes from registers, with no shared-memory round trip. Two launches, no atomics
(deterministic), as the portable Triton backward (kernels/backward.py, whose notation this is):
  1. dQ (attn_bwd_dq_hopper): per program 128 query rows, streaming K and V; it computes and
     stores delta = rowsum(dO * O) and lse in log2 units for launch 2 first (row_stats);
       S = Q K^T, P = exp2(S * scale * log2(e) - lse), dP = dO V^T, dS = P * (dP - delta),
       dQ += dS K.
  2. dK/dV (attn_bwd_dkdv_hopper): per program 128 keys, streaming Q and dO tiles of the GROUP
     query heads that share its key-value head; transposed so that dV and dK come out of
     plain products:
       S^T = K Q^T, P^T = exp2(S^T * scale * log2(e) - lse), dP^T = V dO^T,
       dV += P^T dO, dS^T = P^T * (dP^T - delta), dK += dS^T Q.
dQ and dK are scaled by `scale` at the end.

Runs by default on sm_90 (FLASHSDPA_HOPPER_BACKWARD=0 turns it off) for 16-bit inputs, head dim
72..128 in steps of 8 (HEAD_DIMS; on D = 128 tiles), S_q = S_k, B * H * S^2 >= MIN_SCORES, no mask
but a float bias, no softcap and no dropout but causal calls' at D = 128 (backends/hopper.py's
DROPOUT; HAS_DROPOUT below) (causal, sliding windows and GQA are fine), TMA-addressable q, k, v, out, dout and gradients. H200,
bf16, 16k tokens: 378-440 TFLOP/s full and 291-414 causal at S = 1024..16384, against the Triton
kernels' 360-411 and 242-359 (benchmarks/results/2026-11-28-h200-gluon-backward).

HAS_BIAS: a float attn_mask streamed by TMA in both launches (MASK_GRAD, backward_launches'
dq_from_ds: the dK/dV launch stores dS as its gradient, through shared memory and TMA, and dQ = dS K
is one GEMM over it): H200, bf16, (B, H, S, S) bias with gradient at S = 2048 410-434 TFLOP/s
against 297 with the dQ launch storing dS, the Triton kernels' 261
(benchmarks/results/2026-11-29-h200-v0.11). WINDOW: a sliding window,
tiles outside the band skipped in both launches (S = 16384, window (1024, 0): 346 TFLOP/s of kept
scores against 265). FUSED_DQ: dQ inside the dK/dV launch, added to an fp32 accumulator by TMA
reduce-add after a STATS_ONLY dQ launch (5 products instead of 7), each tile's dQ a step late:
full attention S = 8192 534 TFLOP/s against the two launches' 477, causal 508 against 458;
GQA, dropout and short calls slower (benchmarks/results/2026-11-30-h200-v0.23; backends/hopper.py
picks). Head dim 64: its two launches are correct and slower than the Triton kernels
(HEAD_DIMS), the fused dQ faster from S = 2048 (backends/hopper.py routes those calls here;
FUSED_DQ_MIN_SEQ_64). The dK/dV consumers read lse and delta from shared memory, staged by the
producer with Q ([Note: row statistics from shared memory]).
HAS_DROPOUT (no bias): dropout's keep bits, the portable kernels' Philox groups, drawn straight
into the score tiles' registers: transposed in the dK/dV launch (hopper_common.
dropout_keep_transposed), for dV, dK and a fused dQ; in the forward's orientation in the dQ
launch (dropout_keep_rows) when dQ is not fused (backends/hopper.py's DROPOUT says which calls).
PEEL_DIAGONAL / PEEL_EDGE: the tiles a causal mask or a ragged end reaches run apart from the
rest, whose loop has no mask code; causal programs are handed out longest first in groups of
CAUSAL_HEAD_GROUP heads. Together +4-10% for causal calls (results v0.17: D = 128 S = 16384
428 -> 468 TFLOP/s).
"""
import torch
import triton
from triton.experimental import gluon
from triton.experimental.gluon import language as gl
from triton.experimental.gluon.language.nvidia.hopper import (
    tma, mbarrier, fence_async_shared, warpgroup_mma, warpgroup_mma_wait)
from triton.experimental.gluon.nvidia.hopper import TensorDescriptor

from .hopper_common import (accumulator_layout, band_edge, bias_descriptor, bias_tile, box_descriptor,
                            describe_head_dims, descriptor, dropout_draw_rows, dropout_keep_from_draws,
                            dropout_keep_words, keep_from_word, keep_word, opaque_copy, rotated_word,
                            dropout_keep_rows, dropout_keep_transposed, dropout_seed, fill_bias_stage, fill_stage,
                            in_band, key_tiles, outside_band, padded_head_dim, register_operand_layout, release_step,
                            stage_barriers, tma_compatible, tma_reduce_add)
from .launch import FastLauncher

# Heads whose causal programs are handed out together, longest first (_block_and_head): 4, where
# the portable kernels' HEAD_GROUP is 16. Fewer heads' Q and dO (dK/dV launch) or K and V (dQ
# launch) streamed at once stay in L2; H200, bf16, D = 128 causal, two launches, backward TFLOP/s
# for 16 / 4 / 1: S = 2048 377 / 383 / 370, 8192 434 / 448 / 444, 16384 445 / 468 / 473, 32768
# 447 / 470 / 471; GQA 32/8 S = 4096 422 / 430 / 407 (benchmarks/experiment_head_group.py,
# results/2026-11-29-h200-v0.17).
CAUSAL_HEAD_GROUP = 4


@gluon.jit
def _query_tiles(start_n, N_CTX, BLOCK_M: gl.constexpr, BLOCK_N: gl.constexpr, CAUSAL: gl.constexpr,
                 WINDOW: gl.constexpr, LEFT, RIGHT):
    """(first query row, number of query tiles) that see any key of the BLOCK_N keys at start_n."""
    if WINDOW:  # query i sees keys i - LEFT .. i + RIGHT
        first = gl.maximum(start_n - RIGHT, 0) // BLOCK_M * BLOCK_M
        end = gl.minimum(start_n + BLOCK_N + LEFT, N_CTX)
    else:
        first = 0
        if CAUSAL:  # top-left diagonal: query i sees key j <= i
            first = start_n // BLOCK_M * BLOCK_M
        end = N_CTX
    return first, gl.cdiv(end - first, BLOCK_M)


@gluon.jit
def _block_and_head(CAUSAL: gl.constexpr, LONGEST_LAST: gl.constexpr, HEADS_PER_GROUP):
    """(row or key block, batch * head) of this program. Causal programs differ in work by their
    block (a dK/dV key block's query tiles fall with it, a dQ query block's key tiles grow:
    LONGEST_LAST), and the grid starts programs in order (program_id(0) fastest): in block
    order each head's longest dK/dV program starts with its head (for the last heads near the
    end), each dQ head's longest is its last. So causal programs are handed out longest first,
    across groups of HEADS_PER_GROUP heads (within a group every head's longest block, then the
    next longest): the last to start are short, and the programs running together still share a few
    heads' K, V, Q and dO in L2. benchmarks/schedule_count.py counts the balance. Other calls
    keep the grid's own order."""
    if CAUSAL:
        n_blocks = gl.num_programs(0)
        n_hz = gl.num_programs(1)
        linear = gl.program_id(0) + gl.program_id(1) * n_blocks
        group = linear // (HEADS_PER_GROUP * n_blocks)
        heads = gl.minimum(n_hz - group * HEADS_PER_GROUP, HEADS_PER_GROUP)   # the last group may be short
        within = linear - group * HEADS_PER_GROUP * n_blocks
        rank = within // heads
        if LONGEST_LAST:
            rank = n_blocks - 1 - rank
        return rank, group * HEADS_PER_GROUP + within % heads
    return gl.program_id(0), gl.program_id(1)


@gluon.jit
def _producer(HAS_BIAS: gl.constexpr, WINDOW: gl.constexpr, desc_q, desc_k, desc_v, desc_do, k_bufs, v_bufs, q_bufs,
              do_bufs, kv_ready, q_ready, q_empty, do_ready, do_empty, N_CTX, H_Q, H_KV, GROUP, CAUSAL: gl.constexpr,
              desc_bias, bias_bufs, bias_ready, bias_empty, BIAS_B, BIAS_H, LEFT, RIGHT, HEADS_PER_GROUP,
              desc_stats, stats_bufs):
    SPLIT_N: gl.constexpr = desc_k.block_type.shape[2]
    BLOCK_M: gl.constexpr = desc_q.block_type.shape[2]
    block, off_hz = _block_and_head(CAUSAL, False, HEADS_PER_GROUP)
    start_n = block * 2 * SPLIT_N
    b = off_hz // H_KV
    h_kv = off_hz % H_KV
    for c in gl.static_range(2):  # each consumer warpgroup's 64 keys and values, once
        mbarrier.expect(kv_ready.index(c), desc_k.block_type.nbytes + desc_v.block_type.nbytes)
        tma.async_copy_global_to_shared(desc_k, [b, h_kv, start_n + c * SPLIT_N, 0], kv_ready.index(c),
                                        k_bufs.index(c))
        tma.async_copy_global_to_shared(desc_v, [b, h_kv, start_n + c * SPLIT_N, 0], kv_ready.index(c),
                                        v_bufs.index(c))
    first, n_m = _query_tiles(start_n, N_CTX, BLOCK_M, 2 * SPLIT_N, CAUSAL, WINDOW, LEFT, RIGHT)
    for it in range(GROUP * n_m):  # the GROUP query heads of this key-value head, their tiles in turn
        h = h_kv * GROUP + it // n_m
        m0 = first + (it % n_m) * BLOCK_M
        fill_stage(desc_q, q_bufs, q_ready, q_empty, it, [b, h, m0, 0], desc_stats, stats_bufs, [0, b * H_Q + h, m0])
        fill_stage(desc_do, do_bufs, do_ready, do_empty, it, [b, h, m0, 0])
        if HAS_BIAS:  # the tile's rows x each consumer's 64 keys (BIAS_B/H: 0 broadcasts)
            fill_bias_stage(desc_bias, bias_bufs, bias_ready, bias_empty, it, b * BIAS_B, h * BIAS_H, m0, start_n,
                            0, SPLIT_N)


@gluon.jit
def _drawer(CAUSAL: gl.constexpr, WINDOW: gl.constexpr, desc_q, keep_buf, keep_ready, keep_empty, N_CTX, H_Q, H_KV,
            GROUP, LEFT, RIGHT, HEADS_PER_GROUP, seed, dropout_p):
    """DRAWER's warps (2 or 4): each step's keep bits for both consumers (dropout_keep_words), in
    the producer's order, into keep_buf once both consumers loaded the last step's (keep_empty):
    one buffer, as each step's bits are drawn while the consumers work on the last step's.
    [Note: keep bits from a warpgroup of their own] in hopper_common.py."""
    SPLIT_N: gl.constexpr = 64
    BLOCK_M: gl.constexpr = desc_q.block_type.shape[2]
    WARPS: gl.constexpr = gl.num_warps()
    block, off_hz = _block_and_head(CAUSAL, False, HEADS_PER_GROUP)
    start_n = block * 2 * SPLIT_N
    b = off_hz // H_KV
    h_kv = off_hz % H_KV
    first, n_m = _query_tiles(start_n, N_CTX, BLOCK_M, 2 * SPLIT_N, CAUSAL, WINDOW, LEFT, RIGHT)
    for it in range(GROUP * n_m):
        h = h_kv * GROUP + it // n_m
        m0 = first + (it % n_m) * BLOCK_M
        words = dropout_keep_words(seed, b * H_Q + h, start_n, m0, dropout_p, BLOCK_M, WARPS)
        if WARPS == 2:   # one consumer's words at a time: the second's drawn before the wait
            more = dropout_keep_words(seed, b * H_Q + h, start_n + SPLIT_N, m0, dropout_p, BLOCK_M, WARPS)
            mbarrier.wait(keep_empty, (it & 1) ^ 1)
            keep_buf.slice(0, 128).store(words)
            keep_buf.slice(128, 128).store(more)
        else:
            mbarrier.wait(keep_empty, (it & 1) ^ 1)
            keep_buf.store(words)
        gl.thread_barrier()   # every thread's words stored before the one arrive
        mbarrier.arrive(keep_ready, count=1)


@gluon.jit
def _dkdv_tile(cid: gl.constexpr, HAS_BIAS: gl.constexpr, FUSED_DQ: gl.constexpr, WINDOW: gl.constexpr,
               MASK_GRAD: gl.constexpr, HAS_DROPOUT: gl.constexpr, DRAWER: gl.constexpr, DQ_OF_LAST: gl.constexpr,
               MASKED: gl.constexpr, it, dk, dv, k_smem, v_smem, s0, keys, start_n, first, n_m, b, h_kv, qk_scale,
               stats_bufs, k_bufs, q_bufs, do_bufs,
               q_ready, q_empty, do_ready, do_empty, S_PAD, H_Q, GROUP, CAUSAL: gl.constexpr, bias_bufs, bias_ready,
               bias_empty, ds_bufs, ds_ready, ds_free, dq_bufs, desc_dq_acc, dbias_bufs, desc_dbias, LEFT, RIGHT,
               seed, dropout_p, keep_buf, keep_ready, keep_empty):
    """Consumer cid's step `it` of the dK/dV loop: query tile it % n_m of the GROUP heads' it // n_m.
    With FUSED_DQ and DQ_OF_LAST, also this warpgroup's half of the last tile's dQ. Returns dk, dv.
    MASKED False: a tile the caller knows needs no causal or window mask (no mask code compiled).
    HAS_DROPOUT: the tile's keep bits drawn here while the first products run, as
    kernels/common.py's dropout_keep draws them: dV += (P^T * keep / (1 - p)) dO, dP^T * keep /
    (1 - p), so dS, and with it the fused dQ, carries the mask too; DRAWER: the bits come from the
    drawer's warpgroup instead (keep_buf)."""
    SPLIT_N: gl.constexpr = k_smem.type.shape[0]
    HEAD_DIM: gl.constexpr = k_smem.type.shape[1]
    BLOCK_M: gl.constexpr = q_bufs.type.shape[3]
    NBUF: gl.constexpr = q_bufs.type.shape[0]
    dtype: gl.constexpr = q_bufs.dtype
    s_layout: gl.constexpr = s0.type.layout
    g_layout: gl.constexpr = dk.type.layout
    a_layout: gl.constexpr = register_operand_layout(g_layout, dtype)
    query_axis: gl.constexpr = gl.SliceLayout(0, s_layout)
    h = h_kv * GROUP + it // n_m
    m0 = first + (it % n_m) * BLOCK_M
    idx = it % NBUF
    ph = (it // NBUF) & 1
    queries = m0 + gl.arange(0, BLOCK_M, layout=query_axis)
    mbarrier.wait(q_ready.index(idx), ph)   # (with Q, the tile's row statistics: delta and lse)
    q_smem = q_bufs.index(idx).reshape([BLOCK_M, HEAD_DIM])
    s = warpgroup_mma(k_smem, q_smem.permute((1, 0)), s0, use_acc=False, is_async=True)   # S^T = K Q^T
    mbarrier.wait(do_ready.index(idx), ph)
    do_smem = do_bufs.index(idx).reshape([BLOCK_M, HEAD_DIM])
    dp = warpgroup_mma(v_smem, do_smem.permute((1, 0)), s0, use_acc=False, is_async=True)  # dP^T = V dO^T
    if HAS_DROPOUT and DRAWER:   # the drawer's bits; 1 / (1 - p) is left to the epilogue (and dS carries 1 - p)
        mbarrier.wait(keep_ready, it & 1)
        word = keep_word(keep_buf.slice(cid * 128, 128))
        gl.thread_barrier()   # every thread's word loaded before the one arrive that lets the drawer overwrite them
        mbarrier.arrive(keep_empty, count=1)
    elif HAS_DROPOUT:  # integer work while the tensor cores run the two products
        keep = dropout_keep_transposed(seed, b * H_Q + h, start_n + cid * SPLIT_N, m0, dropout_p, SPLIT_N, BLOCK_M,
                                       s_layout)
        keep_scale = 1.0 / (1.0 - dropout_p)
    s = warpgroup_mma_wait(num_outstanding=1, deps=(s, ))
    # [Note: row statistics from shared memory] lse and delta take 16 registers each a lane (the
    # 16 queries of its scores). Loaded from global memory at the tile's start they stayed live
    # across it, in a consumer whose 240 registers the products' accumulators fill to 192: the
    # loop needed ~236 (sm_90a, D = 128), and dropout's draws spilled it (55 spill loads and
    # stores a tile). The producer stages them with Q (one TMA box of both) and the consumer
    # reads them where they are used: causal dK/dV's unmasked loop 369 -> 294 instructions a
    # warp and tile; with dropout 55 -> 30 spill loads and stores (benchmarks/NOTES.md, v0.23).
    lse = stats_bufs.index(idx).reshape([2, BLOCK_M]).slice(1, 1, dim=0).load(s_layout)   # (1, rows)
    if HAS_BIAS:  # the float attn_mask's tile, transposed as S^T is
        bias = bias_tile(bias_bufs, bias_ready, bias_empty, it, cid, s_layout, True)
        p = gl.exp2(gl.fma(bias, 1.44269504088896340736, s * qk_scale) - lse)
    else:
        p = gl.exp2(s * qk_scale - lse)
    if WINDOW and MASKED:  # only tiles across the window's edges pay for the mask (rows past N_CTX: P = 0)
        if band_edge(m0, m0 + BLOCK_M - 1, start_n + cid * SPLIT_N, start_n + (cid + 1) * SPLIT_N - 1, LEFT,
                     RIGHT):
            p = gl.where(in_band(queries[None, :], keys[:, None], LEFT, RIGHT), p, 0.0)
    elif CAUSAL and MASKED:  # only tiles that reach the diagonal pay for the mask
        if m0 < start_n + (cid + 1) * SPLIT_N:
            p = gl.where(keys[:, None] <= queries[None, :], p, 0.0)
    if HAS_DROPOUT and DRAWER:
        p_op = gl.convert_layout(opaque_copy(gl.where(keep_from_word(word, s_layout), p, 0.0)).to(dtype), a_layout,
                                 assert_trivial=True)
    elif HAS_DROPOUT:
        p_op = gl.convert_layout(gl.where(keep, p * keep_scale, 0.0).to(dtype), a_layout, assert_trivial=True)
    else:
        p_op = gl.convert_layout(p.to(dtype), a_layout, assert_trivial=True)
    dv = warpgroup_mma(p_op, do_smem, dv, is_async=True)                                   # dV += P^T dO
    dp = warpgroup_mma_wait(num_outstanding=1, deps=(dp, ))
    delta = stats_bufs.index(idx).reshape([2, BLOCK_M]).slice(0, 1, dim=0).load(s_layout)
    if HAS_DROPOUT and DRAWER:   # unpacked again (rotated_word): a test and a select a score
        dp = gl.where(keep_from_word(rotated_word(word), s_layout, True), dp, 0.0)
        delta = delta * (1.0 - dropout_p)
    elif HAS_DROPOUT:
        dp = gl.where(keep, dp * keep_scale, 0.0)
    ds = (p * (dp - delta)).to(dtype)
    ds_op = gl.convert_layout(ds, a_layout, assert_trivial=True)
    if FUSED_DQ:  # dS^T to shared memory (slot it % 2) while dV's product runs: dQ needs it as dS
        slot = it % 2
        mbarrier.wait(ds_free.index(slot), ((it // 2) & 1) ^ 1)   # both warpgroups' dQ of tile it - 2 read it
        ds_bufs.index(2 * slot + cid).store(ds)   # (16-bit: the fp32 dS is not kept past the product's issue)
        fence_async_shared()
        gl.thread_barrier()                       # every thread's part stored before the one arrive
        mbarrier.arrive(ds_ready.index(slot), count=1)
        if DQ_OF_LAST:  # a tile late: the other warpgroup stored that dS a step ago, so neither waits
            # for the other within a step (in step, they ran in lockstep: ~20% of the launch's time,
            # benchmarks/results/2026-11-29-h200-v0.12/fused_ablation.txt); before dK's product, so
            # that the dQ part's store and reduce overlap it
            dq_part = _dq_part(cid, ds_bufs, ds_ready, k_bufs, it - 1)
    dk = warpgroup_mma(ds_op, q_smem, dk, is_async=True)                                   # dK += dS^T Q
    if FUSED_DQ:
        if DQ_OF_LAST:
            dv, dq_part = warpgroup_mma_wait(num_outstanding=1, deps=(dv, dq_part))       # dK's still running
            _finish_dq(cid, dq_part, it - 1, ds_free, dq_bufs, desc_dq_acc, b, h_kv, GROUP, first, n_m)
    if MASK_GRAD:  # d attn_mask = dS, this warpgroup's keys x the tile's rows, stored by TMA unflipped
        box = dbias_bufs.index(2 * cid + it % 2)
        tma.store_wait(pendings=1)   # the store that read this buffer two tiles ago is done
        gl.thread_barrier()          # (for every thread of the warpgroup, not only the one that issued it)
        box.reshape([BLOCK_M, SPLIT_N]).permute((1, 0)).store(ds)
        fence_async_shared()
        gl.thread_barrier()          # every thread's part stored before the one that issues the store
        tma.async_copy_shared_to_global(desc_dbias, [b, h, m0, start_n + cid * SPLIT_N], box)
    dv, dk = warpgroup_mma_wait(num_outstanding=0, deps=(dv, dk))
    mbarrier.arrive(q_empty.index(idx), count=1)
    mbarrier.arrive(do_empty.index(idx), count=1)
    return dk, dv


@gluon.jit
def _consumer(cid: gl.constexpr, HAS_BIAS: gl.constexpr, FUSED_DQ: gl.constexpr, WINDOW: gl.constexpr,
              MASK_GRAD: gl.constexpr, SKIP_EMPTY: gl.constexpr, HAS_DROPOUT: gl.constexpr,
              PEEL_DIAGONAL: gl.constexpr, FLAT_HEADS: gl.constexpr, DRAWER: gl.constexpr, sm_scale, stats_bufs,
              desc_dk, desc_dv, k_bufs, v_bufs, q_bufs, do_bufs, kv_ready, q_ready, q_empty, do_ready, do_empty,
              N_CTX, S_PAD, H_Q, H_KV, GROUP, CAUSAL: gl.constexpr, bias_bufs, bias_ready, bias_empty, ds_bufs,
              ds_ready, ds_free, dq_bufs, desc_dq_acc, dbias_bufs, desc_dbias, LEFT, RIGHT, seed, dropout_p,
              HEADS_PER_GROUP, keep_buf, keep_ready, keep_empty):
    SPLIT_N: gl.constexpr = k_bufs.type.shape[3]     # buffers are (stage, 1, 1, rows, D): 4D TMA boxes
    HEAD_DIM: gl.constexpr = k_bufs.type.shape[4]
    BLOCK_M: gl.constexpr = q_bufs.type.shape[3]
    dtype: gl.constexpr = q_bufs.dtype
    s_layout: gl.constexpr = accumulator_layout(BLOCK_M, dtype)     # scores: keys x queries
    g_layout: gl.constexpr = accumulator_layout(HEAD_DIM, dtype)    # gradients: keys x D
    key_axis: gl.constexpr = gl.SliceLayout(1, s_layout)

    qk_scale = sm_scale * 1.44269504088896340736
    block, off_hz = _block_and_head(CAUSAL, False, HEADS_PER_GROUP)
    start_n = block * 2 * SPLIT_N
    b = off_hz // H_KV
    h_kv = off_hz % H_KV
    keys = start_n + cid * SPLIT_N + gl.arange(0, SPLIT_N, layout=key_axis)
    first, n_m = _query_tiles(start_n, N_CTX, BLOCK_M, 2 * SPLIT_N, CAUSAL, WINDOW, LEFT, RIGHT)

    k_smem = k_bufs.index(cid).reshape([SPLIT_N, HEAD_DIM])
    v_smem = v_bufs.index(cid).reshape([SPLIT_N, HEAD_DIM])
    dk = gl.zeros([SPLIT_N, HEAD_DIM], gl.float32, g_layout)
    dv = gl.zeros([SPLIT_N, HEAD_DIM], gl.float32, g_layout)
    s0 = gl.zeros([SPLIT_N, BLOCK_M], gl.float32, s_layout)
    mbarrier.wait(kv_ready.index(cid), 0)

    tile_args = (k_smem, v_smem, s0, keys, start_n, first, n_m, b, h_kv, qk_scale, stats_bufs, k_bufs, q_bufs,
                 do_bufs, q_ready, q_empty, do_ready, do_empty, S_PAD, H_Q, GROUP, CAUSAL, bias_bufs, bias_ready,
                 bias_empty, ds_bufs, ds_ready, ds_free, dq_bufs, desc_dq_acc, dbias_bufs, desc_dbias, LEFT, RIGHT,
                 seed, dropout_p, keep_buf, keep_ready, keep_empty)
    if SKIP_EMPTY:  # per head, the tiles before and after this warpgroup's own rows pass unread
        own_first, own_count = _query_tiles(start_n + cid * SPLIT_N, N_CTX, BLOCK_M, SPLIT_N, CAUSAL, WINDOW, LEFT,
                                            RIGHT)
        lo = gl.minimum(gl.maximum((own_first - first) // BLOCK_M, 0), n_m)
        hi = gl.minimum(lo + gl.maximum(own_count, 0), n_m)
        for g in range(GROUP):
            for t in range(lo):
                release_step(HAS_BIAS, g * n_m + t, q_ready, q_empty, do_ready, do_empty, bias_ready, bias_empty)
            for t in range(lo, hi):
                dk, dv = _dkdv_tile(cid, HAS_BIAS, FUSED_DQ, WINDOW, MASK_GRAD, HAS_DROPOUT, DRAWER, False, True,
                                    g * n_m + t, dk, dv, *tile_args)
            for t in range(hi, n_m):
                release_step(HAS_BIAS, g * n_m + t, q_ready, q_empty, do_ready, do_empty, bias_ready, bias_empty)
    elif FUSED_DQ:  # each tile's dQ runs a step late (see _dkdv_tile): none in the first, the last after
        n_tiles = GROUP * n_m
        if n_tiles > 0:
            dk, dv = _dkdv_tile(cid, HAS_BIAS, FUSED_DQ, WINDOW, MASK_GRAD, HAS_DROPOUT, DRAWER, False, True, 0,
                                dk, dv, *tile_args)
        if PEEL_DIAGONAL and FLAT_HEADS:
            # one query head (H_q = H_kv): the loops below without the head loop, whose nesting spills
            # (sm_90a, D = 128: 561 instructions a warp and 0 / 15 spill stores / loads a tile, against
            # 584 and 11 / 35)
            n_diag = gl.minimum(n_m, 2 * SPLIT_N // BLOCK_M)
            for t in range(1, n_diag):   # (tile 0 ran above)
                dk, dv = _dkdv_tile(cid, HAS_BIAS, FUSED_DQ, WINDOW, MASK_GRAD, HAS_DROPOUT, DRAWER, True, True,
                                    t, dk, dv, *tile_args)
            for t in range(n_diag, n_m):
                dk, dv = _dkdv_tile(cid, HAS_BIAS, FUSED_DQ, WINDOW, MASK_GRAD, HAS_DROPOUT, DRAWER, True, False,
                                    t, dk, dv, *tile_args)
        elif PEEL_DIAGONAL:  # causal: per head, the key block's diagonal tiles (its first 2 * SPLIT_N rows) with
            n_diag = gl.minimum(n_m, 2 * SPLIT_N // BLOCK_M)   # the mask, then a loop with no mask code
            for g in range(GROUP):   # (its consumer loop: 584 against 699 instructions a warp, sm_90a, D = 128)
                for t in range((g == 0).to(gl.int32), n_diag):   # (tile 0 of head 0 ran above)
                    dk, dv = _dkdv_tile(cid, HAS_BIAS, FUSED_DQ, WINDOW, MASK_GRAD, HAS_DROPOUT, DRAWER, True, True,
                                        g * n_m + t, dk, dv, *tile_args)
                for t in range(n_diag, n_m):
                    dk, dv = _dkdv_tile(cid, HAS_BIAS, FUSED_DQ, WINDOW, MASK_GRAD, HAS_DROPOUT, DRAWER, True, False,
                                        g * n_m + t, dk, dv, *tile_args)
        else:
            for it in range(1, n_tiles):
                dk, dv = _dkdv_tile(cid, HAS_BIAS, FUSED_DQ, WINDOW, MASK_GRAD, HAS_DROPOUT, DRAWER, True, True, it,
                                    dk, dv, *tile_args)
        if n_tiles > 0:
            last = n_tiles - 1
            dq_part = _dq_part(cid, ds_bufs, ds_ready, k_bufs, last)
            dq_part = warpgroup_mma_wait(num_outstanding=0, deps=(dq_part, ))
            _finish_dq(cid, dq_part, last, ds_free, dq_bufs, desc_dq_acc, b, h_kv, GROUP, first, n_m)
            # the epilogue below overwrites this K: once the other warpgroup's last dQ product read it
            mbarrier.wait(ds_free.index(last % 2), (last // 2) & 1)
    elif PEEL_DIAGONAL:  # causal, as above without the fused dQ's first step
        n_diag = gl.minimum(n_m, 2 * SPLIT_N // BLOCK_M)
        for g in range(GROUP):
            for t in range(n_diag):
                dk, dv = _dkdv_tile(cid, HAS_BIAS, FUSED_DQ, WINDOW, MASK_GRAD, HAS_DROPOUT, DRAWER, False, True,
                                    g * n_m + t, dk, dv, *tile_args)
            for t in range(n_diag, n_m):
                dk, dv = _dkdv_tile(cid, HAS_BIAS, FUSED_DQ, WINDOW, MASK_GRAD, HAS_DROPOUT, DRAWER, False, False,
                                    g * n_m + t, dk, dv, *tile_args)
    else:
        for it in range(GROUP * n_m):
            dk, dv = _dkdv_tile(cid, HAS_BIAS, FUSED_DQ, WINDOW, MASK_GRAD, HAS_DROPOUT, DRAWER, False, True, it,
                                dk, dv, *tile_args)

    # epilogue: through this warpgroup's own K and V buffers (no product reads them any more);
    # rows past N_CTX are clipped by the descriptors
    dk_scale = sm_scale
    if HAS_DROPOUT and DRAWER:   # the tiles' P^T and dS^T came without dropout's 1 / (1 - p)
        dk_scale = sm_scale / (1.0 - dropout_p)
        dv = dv * (1.0 / (1.0 - dropout_p))
    dk = dk * dk_scale
    k_bufs.index(cid).reshape([SPLIT_N, HEAD_DIM]).store(dk.to(dtype))
    v_bufs.index(cid).reshape([SPLIT_N, HEAD_DIM]).store(dv.to(dtype))
    fence_async_shared()
    tma.async_copy_shared_to_global(desc_dk, [b, h_kv, start_n + cid * SPLIT_N, 0], k_bufs.index(cid))
    tma.async_copy_shared_to_global(desc_dv, [b, h_kv, start_n + cid * SPLIT_N, 0], v_bufs.index(cid))
    tma.store_wait(pendings=0)


@gluon.jit
def _dq_part(cid: gl.constexpr, ds_bufs, ds_ready, k_bufs, t):
    """Issues consumer cid's half of tile t's dQ (its 64 of D's columns) over both warpgroups'
    keys, once both have stored their dS^T (slot t % 2): dQ[:, cols] = dS K[:, cols], dS read back
    transposed. Returns the product in flight."""
    SPLIT_N: gl.constexpr = k_bufs.type.shape[3]
    HEAD_DIM: gl.constexpr = k_bufs.type.shape[4]
    BLOCK_M: gl.constexpr = ds_bufs.type.shape[2]
    HALF_D: gl.constexpr = HEAD_DIM // 2
    q_layout: gl.constexpr = accumulator_layout(HALF_D, ds_bufs.dtype)   # dQ part: query rows x D / 2
    slot = t % 2
    mbarrier.wait(ds_ready.index(slot), (t // 2) & 1)                    # both halves of dS^T stored
    part = gl.zeros([BLOCK_M, HALF_D], gl.float32, q_layout)
    for c in gl.static_range(2):                                         # keys of warpgroup c
        k_cols = k_bufs.index(c).reshape([SPLIT_N, HEAD_DIM]).slice(cid * HALF_D, HALF_D, dim=1)
        part = warpgroup_mma(ds_bufs.index(2 * slot + c).permute((1, 0)), k_cols, part, is_async=True)
    return part


@gluon.jit
def _finish_dq(cid: gl.constexpr, part, t, ds_free, dq_bufs, desc_dq_acc, b, h_kv, GROUP, first, n_m):
    """Consumer cid's dQ part of tile t is computed: its arrive on the slot's ds_free (the slot
    takes a new tile's dS once both warpgroups arrived), then the part added to the accumulator."""
    BLOCK_M: gl.constexpr = part.type.shape[0]
    mbarrier.arrive(ds_free.index(t % 2), count=1)
    _reduce_dq(cid, part, t, dq_bufs, desc_dq_acc, b, h_kv * GROUP + t // n_m, first + (t % n_m) * BLOCK_M)


@gluon.jit
def _reduce_dq(cid: gl.constexpr, part, it, dq_bufs, desc_dq_acc, b, h, m0):
    """Adds consumer cid's finished dQ part to the fp32 accumulator (B, H_q, S_PAD, D) by a TMA
    reduce-add from shared memory: one bulk operation a tile, where register atomics took 32
    instructions a thread and ran the fused backward at 0.67-0.90x the two launches
    (FlashAttention-3 adds its dQ the same way). Two buffers a warpgroup, so that a tile's store
    overlaps the last tile's reduce."""
    BLOCK_M: gl.constexpr = part.type.shape[0]
    HALF_D: gl.constexpr = part.type.shape[1]
    box = dq_bufs.index(2 * cid + it % 2)
    tma.store_wait(pendings=1)   # the reduce that read this buffer two tiles ago is done
    gl.thread_barrier()          # (for every thread of the warpgroup, not only the one that issued it)
    box.reshape([BLOCK_M, HALF_D]).store(part)
    fence_async_shared()
    gl.thread_barrier()          # every thread's part stored before the one that issues the reduce
    tma_reduce_add(desc_dq_acc, [b, h, m0, cid * HALF_D], box)   # rows < S_PAD


@gluon.jit(do_not_specialize=["seed_host"])   # a per-call value (kernels/common.py's dropout_seed)
def attn_bwd_dkdv_hopper(sm_scale, desc_stats, N_CTX, S_PAD, H_Q, H_KV, GROUP,
                         desc_q, desc_k, desc_v, desc_do, desc_dk, desc_dv,
                         NBUF: gl.constexpr, CAUSAL: gl.constexpr, CONSUMER_REGS: gl.constexpr,
                         PRODUCER_REGS: gl.constexpr, desc_bias=None, BIAS_B=0, BIAS_H=0,
                         HAS_BIAS: gl.constexpr = False, desc_dq_acc=None, FUSED_DQ: gl.constexpr = False,
                         LEFT=0, RIGHT=0, WINDOW: gl.constexpr = False, desc_dbias=None,
                         MASK_GRAD: gl.constexpr = False, SKIP_EMPTY: gl.constexpr = False, Seed=None, dropout_p=0.0,
                         HAS_DROPOUT: gl.constexpr = False, PEEL_DIAGONAL: gl.constexpr = False,
                         HEADS_PER_GROUP=CAUSAL_HEAD_GROUP, seed_host: gl.int64 = 0,
                         FLAT_HEADS: gl.constexpr = False, DRAWER: gl.constexpr = False,
                         DRAWER_REGS: gl.constexpr = 40, DRAWER_WARPS: gl.constexpr = 4):
    # a skipped tile breaks the fused dQ's per-tile handshake and the dS stores' buffer rotation
    gl.static_assert(not (SKIP_EMPTY and (FUSED_DQ or MASK_GRAD)), "SKIP_EMPTY runs without FUSED_DQ or MASK_GRAD")
    gl.static_assert(not (HAS_DROPOUT and HAS_BIAS), "dropout runs without a bias")
    # the peeled loops know the diagonal's tiles of a plain causal mask (CAUSAL reaches the partitions among
    # the runtime arguments: a branch on it there would compile both loops, and the compiler fails on that)
    gl.static_assert(not PEEL_DIAGONAL or (CAUSAL and not WINDOW and not SKIP_EMPTY), "PEEL_DIAGONAL: plain causal")
    gl.static_assert(not FLAT_HEADS or (PEEL_DIAGONAL and FUSED_DQ), "FLAT_HEADS: the fused dQ's peeled loops")
    # the drawer fills its buffer for every step: a consumer that passes over steps would not take them
    gl.static_assert(not DRAWER or (HAS_DROPOUT and not SKIP_EMPTY), "DRAWER: dropout, no skipped tiles")
    dtype: gl.constexpr = desc_q.dtype
    seed = dropout_seed(Seed, seed_host, HAS_DROPOUT)
    k_bufs = gl.allocate_shared_memory(dtype, [2] + desc_k.block_type.shape, desc_k.layout)
    v_bufs = gl.allocate_shared_memory(dtype, [2] + desc_v.block_type.shape, desc_v.layout)
    q_bufs = gl.allocate_shared_memory(dtype, [NBUF] + desc_q.block_type.shape, desc_q.layout)
    do_bufs = gl.allocate_shared_memory(dtype, [NBUF] + desc_do.block_type.shape, desc_do.layout)
    stats_bufs = gl.allocate_shared_memory(gl.float32, [NBUF] + desc_stats.block_type.shape, desc_stats.layout)
    kv_ready = gl.allocate_shared_memory(gl.int64, [2, 1], mbarrier.MBarrierLayout())
    for i in gl.static_range(2):
        mbarrier.init(kv_ready.index(i), count=1)
    q_ready, q_empty = stage_barriers(NBUF, 2)     # both consumer warpgroups release each stage
    do_ready, do_empty = stage_barriers(NBUF, 2)
    bias_desc, bias_bufs, bias_ready, bias_empty = _bias_ring(HAS_BIAS, desc_bias, NBUF, desc_q, q_bufs, q_ready,
                                                              q_empty)
    if FUSED_DQ:  # each warpgroup's dS^T (its keys x the tile's rows), and the pair of barriers
        ds_shape: gl.constexpr = [desc_k.block_type.shape[2], desc_q.block_type.shape[2]]
        ds_layout: gl.constexpr = gl.NVMMASharedLayout.get_default_for(ds_shape, dtype)
        ds_bufs = gl.allocate_shared_memory(dtype, [4] + ds_shape, ds_layout)   # (tile slot, warpgroup)
        ds_ready = gl.allocate_shared_memory(gl.int64, [2, 1], mbarrier.MBarrierLayout())  # per slot
        ds_free = gl.allocate_shared_memory(gl.int64, [2, 1], mbarrier.MBarrierLayout())
        for i in gl.static_range(2):
            mbarrier.init(ds_ready.index(i), count=2)
            mbarrier.init(ds_free.index(i), count=2)
        # each warpgroup's dQ part (fp32, rows x D / 2), two buffers each, for the TMA reduce-add
        dq_bufs = gl.allocate_shared_memory(gl.float32, [4] + desc_dq_acc.block_type.shape, desc_dq_acc.layout)
    else:
        ds_bufs = q_bufs   # stand-ins, never read without FUSED_DQ
        ds_ready = kv_ready
        ds_free = kv_ready
        dq_bufs = q_bufs
        desc_dq_acc = desc_q
    if MASK_GRAD:  # each warpgroup's dS tile (the tile's rows x its keys), two buffers each, for TMA stores
        dbias_bufs = gl.allocate_shared_memory(desc_dbias.dtype, [4] + desc_dbias.block_type.shape, desc_dbias.layout)
    else:
        dbias_bufs = q_bufs   # stand-ins, never read without MASK_GRAD
        desc_dbias = desc_q
    if DRAWER:  # a step's keep bits, one word a consumer thread (both consumers: 256)
        keep_buf = gl.allocate_shared_memory(gl.uint32, [256], gl.SwizzledSharedLayout(1, 1, 1, [0]))
        keep_ready = gl.allocate_shared_memory(gl.int64, [1], mbarrier.MBarrierLayout())
        keep_empty = gl.allocate_shared_memory(gl.int64, [1], mbarrier.MBarrierLayout())
        mbarrier.init(keep_ready, count=1)
        mbarrier.init(keep_empty, count=2)   # both consumers loaded their words
    else:
        keep_buf = q_bufs   # stand-ins, never read without DRAWER
        keep_ready = kv_ready
        keep_empty = kv_ready

    # the flags lead constexpr tuples: that way they reach the partitions as constexprs
    cargs = (sm_scale, stats_bufs, desc_dk, desc_dv, k_bufs, v_bufs, q_bufs, do_bufs, kv_ready, q_ready, q_empty,
             do_ready, do_empty, N_CTX, S_PAD, H_Q, H_KV, GROUP, CAUSAL, bias_bufs, bias_ready, bias_empty, ds_bufs,
             ds_ready, ds_free, dq_bufs, desc_dq_acc, dbias_bufs, desc_dbias, LEFT, RIGHT, seed, dropout_p,
             HEADS_PER_GROUP, keep_buf, keep_ready, keep_empty)
    c0: gl.constexpr = 0
    c1: gl.constexpr = 1
    pargs = (desc_q, desc_k, desc_v, desc_do, k_bufs, v_bufs, q_bufs, do_bufs, kv_ready, q_ready, q_empty,
             do_ready, do_empty, N_CTX, H_Q, H_KV, GROUP, CAUSAL, bias_desc, bias_bufs, bias_ready, bias_empty,
             BIAS_B, BIAS_H, LEFT, RIGHT, HEADS_PER_GROUP, desc_stats, stats_bufs)
    if DRAWER:
        gl.warp_specialize([
            (_consumer, (c0, HAS_BIAS, FUSED_DQ, WINDOW, MASK_GRAD, SKIP_EMPTY, HAS_DROPOUT, PEEL_DIAGONAL,
                         FLAT_HEADS, DRAWER) + cargs),
            (_consumer, (c1, HAS_BIAS, FUSED_DQ, WINDOW, MASK_GRAD, SKIP_EMPTY, HAS_DROPOUT, PEEL_DIAGONAL,
                         FLAT_HEADS, DRAWER) + cargs),
            (_producer, (HAS_BIAS, WINDOW) + pargs),            # worker 1: TMA producer, 1 warp
            (_drawer, (CAUSAL, WINDOW, desc_q, keep_buf, keep_ready, keep_empty, N_CTX, H_Q, H_KV, GROUP, LEFT,
                       RIGHT, HEADS_PER_GROUP, seed, dropout_p)),   # worker 2: the keep bits, 2 or 4 warps
        ], [4, 1, DRAWER_WARPS], [CONSUMER_REGS, PRODUCER_REGS, DRAWER_REGS])
    else:
        gl.warp_specialize([
            (_consumer, (c0, HAS_BIAS, FUSED_DQ, WINDOW, MASK_GRAD, SKIP_EMPTY, HAS_DROPOUT, PEEL_DIAGONAL,
                         FLAT_HEADS, DRAWER) + cargs),
            (_consumer, (c1, HAS_BIAS, FUSED_DQ, WINDOW, MASK_GRAD, SKIP_EMPTY, HAS_DROPOUT, PEEL_DIAGONAL,
                         FLAT_HEADS, DRAWER) + cargs),
            (_producer, (HAS_BIAS, WINDOW) + pargs),            # worker 1: TMA producer, 1 warp
        ], [4, 1], [CONSUMER_REGS, PRODUCER_REGS])


@gluon.jit
def _bias_ring(HAS_BIAS: gl.constexpr, desc_bias, NBUF: gl.constexpr, stand_in_desc, stand_in_bufs, stand_in_ready,
               stand_in_empty):
    """(descriptor, buffers, ready, empty) of the bias boxes' ring: two boxes a stage, one per
    consumer warpgroup; without a bias, the stand-ins (never read: the bias code is not compiled)."""
    if HAS_BIAS:
        bufs = gl.allocate_shared_memory(desc_bias.dtype, [2 * NBUF] + desc_bias.block_type.shape, desc_bias.layout)
        ready, empty = stage_barriers(NBUF, 2)
        return desc_bias, bufs, ready, empty
    else:
        return stand_in_desc, stand_in_bufs, stand_in_ready, stand_in_empty


# ----------------------------------------------------------------------------- dQ (and delta)
# The forward's shape: two consumer warpgroups own 64 query rows each; the producer streams K
# and V tiles. Per key tile: S = Q K^T, P = exp2(S * scale * log2(e) - lse), dP = dO V^T,
# dS = P * (dP - delta), dQ += dS K (dQ *= scale at the end). Before its loop each consumer
# computes its rows' delta = rowsum(dO * O) and stores it for the dK/dV launch that follows.


@gluon.jit
def _dq_producer(HAS_BIAS: gl.constexpr, STATS_ONLY: gl.constexpr, WINDOW: gl.constexpr, desc_q, desc_k, desc_v,
                 desc_o, desc_do, q_bufs, o_bufs, do_bufs, k_bufs, v_bufs, rows_ready, k_ready, k_empty, v_ready,
                 v_empty, N_CTX, H_Q, GROUP, CAUSAL: gl.constexpr, desc_bias, bias_bufs, bias_ready, bias_empty,
                 BIAS_B, BIAS_H, LEFT, RIGHT, HEADS_PER_GROUP):
    SPLIT_M: gl.constexpr = desc_q.block_type.shape[2]
    BLOCK_N: gl.constexpr = desc_k.block_type.shape[2]
    block, off_hz = _block_and_head(CAUSAL, True, HEADS_PER_GROUP)
    start_m = block * 2 * SPLIT_M
    b = off_hz // H_Q
    h = off_hz % H_Q
    h_kv = h // GROUP
    for c in gl.static_range(2):  # each consumer warpgroup's rows of Q, O and dO, once
        bar = rows_ready.index(c)
        mbarrier.expect(bar, desc_q.block_type.nbytes + desc_o.block_type.nbytes + desc_do.block_type.nbytes)
        tma.async_copy_global_to_shared(desc_q, [b, h, start_m + c * SPLIT_M, 0], bar, q_bufs.index(c))
        tma.async_copy_global_to_shared(desc_o, [b, h, start_m + c * SPLIT_M, 0], bar, o_bufs.index(c))
        tma.async_copy_global_to_shared(desc_do, [b, h, start_m + c * SPLIT_M, 0], bar, do_bufs.index(c))
    first, n_tiles = key_tiles(block, N_CTX, 2 * SPLIT_M, BLOCK_N, CAUSAL, WINDOW, LEFT, RIGHT)
    if STATS_ONLY:
        n_tiles = 0
    for j in range(n_tiles):
        start_n = (first + j) * BLOCK_N
        fill_stage(desc_k, k_bufs, k_ready, k_empty, j, [b, h_kv, start_n, 0])
        fill_stage(desc_v, v_bufs, v_ready, v_empty, j, [b, h_kv, start_n, 0])
        if HAS_BIAS:  # each consumer's 64 rows x the tile's keys (BIAS_B/H: 0 broadcasts)
            fill_bias_stage(desc_bias, bias_bufs, bias_ready, bias_empty, j, b * BIAS_B, h * BIAS_H, start_m,
                            start_n, SPLIT_M, 0)


@gluon.jit
def _dq_tile(cid: gl.constexpr, HAS_BIAS: gl.constexpr, MASK_GRAD: gl.constexpr, WINDOW: gl.constexpr,
             SKIP_EMPTY: gl.constexpr, HAS_DROPOUT: gl.constexpr, DRAW_AHEAD: gl.constexpr, MASKED: gl.constexpr, j,
             dq, draws, q_smem, do_smem, s0, rows, row0, lse, delta, first, qk_scale, off_hz, k_bufs, v_bufs, k_ready,
             k_empty, v_ready, v_empty, bias_bufs, bias_ready, bias_empty, dbias_rows, DBias, N_CTX,
             CAUSAL: gl.constexpr, LEFT, RIGHT, seed, dropout_p):
    """Consumer cid's step j of the dQ loop: key tile first + j. Returns (dq, draws). MASKED False:
    a tile the caller knows no causal mask or ragged end reaches (no mask code compiled; not a
    window's). DRAW_AHEAD (with HAS_DROPOUT; experimental): draws holds this tile's Philox words
    (dropout_draw_rows), and the next tile's are drawn while this tile's dQ product runs, instead
    of this tile's during its first two products, where the compiler schedules most of the draw
    after the S product's wait, on the S -> dS chain (benchmarks/NOTES.md v0.23b); else draws
    passes through unused."""
    SPLIT_M: gl.constexpr = q_smem.type.shape[0]
    HEAD_DIM: gl.constexpr = q_smem.type.shape[1]
    BLOCK_N: gl.constexpr = k_bufs.type.shape[3]
    NBUF: gl.constexpr = k_bufs.type.shape[0]
    dtype: gl.constexpr = k_bufs.dtype
    s_layout: gl.constexpr = s0.type.layout
    a_layout: gl.constexpr = register_operand_layout(dq.type.layout, dtype)
    key_axis: gl.constexpr = gl.SliceLayout(0, s_layout)
    idx = j % NBUF
    ph = (j // NBUF) & 1
    start_n = (first + j) * BLOCK_N
    skip = False
    if SKIP_EMPTY:  # no (row, key) pair of the tile is kept for this warpgroup's rows
        skip = outside_band(row0, row0 + SPLIT_M - 1, start_n, start_n + BLOCK_N - 1, CAUSAL, WINDOW, LEFT, RIGHT)
    if skip:  # released unread (after it landed, so that the ring's phases stay in step)
        release_step(HAS_BIAS, j, k_ready, k_empty, v_ready, v_empty, bias_ready, bias_empty)
    else:
        mbarrier.wait(k_ready.index(idx), ph)
        k_smem = k_bufs.index(idx).reshape([BLOCK_N, HEAD_DIM])
        s = warpgroup_mma(q_smem, k_smem.permute((1, 0)), s0, use_acc=False, is_async=True)      # S = Q K^T
        mbarrier.wait(v_ready.index(idx), ph)
        v_smem = v_bufs.index(idx).reshape([BLOCK_N, HEAD_DIM])
        dp = warpgroup_mma(do_smem, v_smem.permute((1, 0)), s0, use_acc=False, is_async=True)    # dP = dO V^T
        if HAS_DROPOUT and not DRAW_AHEAD:  # the tile's keep bits, drawn while the two products run
            keep = dropout_keep_rows(seed, off_hz, row0, start_n, dropout_p, SPLIT_M, BLOCK_N, s_layout)
        s = warpgroup_mma_wait(num_outstanding=1, deps=(s, ))
        if HAS_BIAS:  # the float attn_mask's tile
            bias = bias_tile(bias_bufs, bias_ready, bias_empty, j, cid, s_layout)
            p = gl.exp2(gl.fma(bias, 1.44269504088896340736, s * qk_scale) - lse[:, None])
        else:
            p = gl.exp2(s * qk_scale - lse[:, None])
        if WINDOW:  # tiles across the window's edges (or the ragged last one)
            if band_edge(row0, row0 + SPLIT_M - 1, start_n, start_n + BLOCK_N - 1, LEFT, RIGHT) | (start_n + BLOCK_N
                                                                                                  > N_CTX):
                keys = start_n + gl.arange(0, BLOCK_N, layout=key_axis)
                p = gl.where(in_band(rows[:, None], keys[None, :], LEFT, RIGHT) & (keys[None, :] < N_CTX), p, 0.0)
        elif CAUSAL:  # tiles that reach past the diagonal of these rows
            if MASKED and start_n + BLOCK_N > row0:
                keys = start_n + gl.arange(0, BLOCK_N, layout=key_axis)
                p = gl.where(keys[None, :] <= rows[:, None], p, 0.0)
        else:  # the ragged last tile: keys past N_CTX were read as zeros
            if MASKED and start_n + BLOCK_N > N_CTX:
                keys = start_n + gl.arange(0, BLOCK_N, layout=key_axis)
                p = gl.where(keys[None, :] < N_CTX, p, 0.0)
        dp = warpgroup_mma_wait(num_outstanding=0, deps=(dp, ))
        mbarrier.arrive(v_empty.index(idx), count=1)
        if HAS_DROPOUT:  # dS = P * (dP * keep / (1 - p) - delta), times 1 - p (delta came so): one select a score
            if DRAW_AHEAD:
                keep = dropout_keep_from_draws(draws, dropout_p, s_layout)
            ds = gl.fma(gl.where(keep, p, 0.0), dp, -(p * delta[:, None]))
        else:
            ds = p * (dp - delta[:, None])
        if MASK_GRAD:  # d attn_mask = dS into a dense (B, H, S, S) tensor, from the registers
            keys = start_n + gl.arange(0, BLOCK_N, layout=key_axis)
            ptrs = dbias_rows[:, None] + keys[None, :]
            if row0 + SPLIT_M > N_CTX or start_n + BLOCK_N > N_CTX:   # a ragged edge
                edge = (rows[:, None] < N_CTX) & (keys[None, :] < N_CTX)
                gl.store(ptrs, ds.to(DBias.dtype.element_ty), mask=edge)
            else:
                gl.store(ptrs, ds.to(DBias.dtype.element_ty))
        ds_op = gl.convert_layout(ds.to(dtype), a_layout, assert_trivial=True)
        dq = warpgroup_mma(ds_op, k_smem, dq, is_async=True)                                     # dQ += dS K
        if DRAW_AHEAD:   # the next tile's words, under this product
            draws = dropout_draw_rows(seed, off_hz, row0, start_n + BLOCK_N, SPLIT_M, BLOCK_N)
        dq = warpgroup_mma_wait(num_outstanding=0, deps=(dq, ))
        mbarrier.arrive(k_empty.index(idx), count=1)
    return dq, draws


@gluon.jit
def _dq_consumer(cid: gl.constexpr, HAS_BIAS: gl.constexpr, MASK_GRAD: gl.constexpr, STATS_ONLY: gl.constexpr,
                 WINDOW: gl.constexpr, SKIP_EMPTY: gl.constexpr, HAS_DROPOUT: gl.constexpr,
                 DRAW_AHEAD: gl.constexpr, PEEL_EDGE: gl.constexpr, sm_scale, LSE, LSE2,
                 Delta, desc_dq, q_bufs, o_bufs, do_bufs, k_bufs, v_bufs, rows_ready, k_ready, k_empty, v_ready,
                 v_empty, N_CTX, S_PAD, H_Q, CAUSAL: gl.constexpr, bias_bufs, bias_ready, bias_empty, DBias, LEFT,
                 RIGHT, seed, dropout_p, HEADS_PER_GROUP):
    SPLIT_M: gl.constexpr = q_bufs.type.shape[3]
    HEAD_DIM: gl.constexpr = q_bufs.type.shape[4]
    BLOCK_N: gl.constexpr = k_bufs.type.shape[3]
    dtype: gl.constexpr = q_bufs.dtype
    s_layout: gl.constexpr = accumulator_layout(BLOCK_N, dtype)     # scores: queries x keys
    g_layout: gl.constexpr = accumulator_layout(HEAD_DIM, dtype)    # dQ: queries x D
    row_layout: gl.constexpr = gl.SliceLayout(1, s_layout)
    tile_layout: gl.constexpr = gl.BlockedLayout([1, 8], [4, 8], [4, 1], [1, 0])  # 16-byte smem reads

    qk_scale = sm_scale * 1.44269504088896340736
    block, off_hz = _block_and_head(CAUSAL, True, HEADS_PER_GROUP)
    start_m = block * 2 * SPLIT_M
    row0 = start_m + cid * SPLIT_M
    rows = row0 + gl.arange(0, SPLIT_M, layout=row_layout)
    row_base = off_hz.to(gl.int64) * N_CTX
    lse = gl.load(LSE + row_base + rows, mask=rows < N_CTX, other=float("inf"))
    lse = gl.where(lse == float("-inf"), float("inf"), lse) * 1.44269504088896340736
    stats_base = off_hz.to(gl.int64) * S_PAD
    gl.store(LSE2 + stats_base + rows, lse)   # for the dK/dV launch (rows past N_CTX: +inf, so P = 0)
    first, n_tiles = key_tiles(block, N_CTX, 2 * SPLIT_M, BLOCK_N, CAUSAL, WINDOW, LEFT, RIGHT)
    if STATS_ONLY:   # the fused dK/dV launch adds dQ itself: only delta and lse for it
        n_tiles = 0

    q_smem = q_bufs.index(cid).reshape([SPLIT_M, HEAD_DIM])
    do_smem = do_bufs.index(cid).reshape([SPLIT_M, HEAD_DIM])
    mbarrier.wait(rows_ready.index(cid), 0)
    # delta = rowsum(dO * O) in fp32 (rows past N_CTX: zero fill, so 0)
    o_rows = o_bufs.index(cid).reshape([SPLIT_M, HEAD_DIM]).load(tile_layout).to(gl.float32)
    delta = gl.sum(o_rows * do_smem.load(tile_layout).to(gl.float32), axis=1)
    delta_rows = row0 + gl.arange(0, SPLIT_M, layout=gl.SliceLayout(1, tile_layout))
    gl.store(Delta + stats_base + delta_rows, delta)
    delta = gl.convert_layout(delta, row_layout)
    if HAS_DROPOUT:  # dS comes out 1 - p times the true one (see _dq_tile), undone in the epilogue
        delta = delta * (1.0 - dropout_p)

    dq = gl.zeros([SPLIT_M, HEAD_DIM], gl.float32, g_layout)
    s0 = gl.zeros([SPLIT_M, BLOCK_N], gl.float32, s_layout)
    dbias_rows = DBias   # a stand-in, never read without MASK_GRAD
    if MASK_GRAD:  # this warpgroup's rows of the dense (B, H, S, S) bias gradient
        dbias_rows = DBias + (off_hz.to(gl.int64) * N_CTX + rows) * N_CTX
    tile_args = (q_smem, do_smem, s0, rows, row0, lse, delta, first, qk_scale, off_hz, k_bufs, v_bufs, k_ready, k_empty,
                 v_ready, v_empty, bias_bufs, bias_ready, bias_empty, dbias_rows, DBias, N_CTX, CAUSAL, LEFT, RIGHT,
                 seed, dropout_p)
    draws = 0   # (unused without DRAW_AHEAD)
    if DRAW_AHEAD:   # the first tile's words
        draws = dropout_draw_rows(seed, off_hz, row0, first * BLOCK_N, SPLIT_M, BLOCK_N)
    if PEEL_EDGE:  # the tiles no mask reaches, with no mask code, then the rest with it: causal, the
        n_edge: gl.constexpr = 2 * SPLIT_M // BLOCK_N if CAUSAL else 1   # program's diagonal keys; else the
        n_plain = gl.maximum(n_tiles - n_edge, 0)                          # last, ragged when S is
        for j in range(n_plain):
            dq, draws = _dq_tile(cid, HAS_BIAS, MASK_GRAD, WINDOW, SKIP_EMPTY, HAS_DROPOUT, DRAW_AHEAD, False, j, dq,
                                 draws, *tile_args)
        for j in range(n_plain, n_tiles):
            dq, draws = _dq_tile(cid, HAS_BIAS, MASK_GRAD, WINDOW, SKIP_EMPTY, HAS_DROPOUT, DRAW_AHEAD, True, j, dq,
                                 draws, *tile_args)
    else:
        for j in range(n_tiles):
            dq, draws = _dq_tile(cid, HAS_BIAS, MASK_GRAD, WINDOW, SKIP_EMPTY, HAS_DROPOUT, DRAW_AHEAD, True, j, dq,
                                 draws, *tile_args)

    if not STATS_ONLY:  # epilogue through this warpgroup's own Q buffer (no product reads it any more);
        dq = dq * sm_scale  # rows past N_CTX are clipped by the descriptor
        if HAS_DROPOUT:
            dq = dq * (1.0 / (1.0 - dropout_p))
        q_bufs.index(cid).reshape([SPLIT_M, HEAD_DIM]).store(dq.to(dtype))
        fence_async_shared()
        tma.async_copy_shared_to_global(desc_dq, [off_hz // H_Q, off_hz % H_Q, row0, 0], q_bufs.index(cid))
        tma.store_wait(pendings=0)


@gluon.jit(do_not_specialize=["seed_host"])   # a per-call value (kernels/common.py's dropout_seed)
def attn_bwd_dq_hopper(sm_scale, LSE, LSE2, Delta, N_CTX, S_PAD, H_Q, GROUP, desc_q, desc_k, desc_v, desc_o, desc_do,
                       desc_dq, NBUF: gl.constexpr, CAUSAL: gl.constexpr, CONSUMER_REGS: gl.constexpr,
                       PRODUCER_REGS: gl.constexpr, desc_bias=None, BIAS_B=0, BIAS_H=0, DBias=None,
                       HAS_BIAS: gl.constexpr = False, MASK_GRAD: gl.constexpr = False,
                       STATS_ONLY: gl.constexpr = False, LEFT=0, RIGHT=0, WINDOW: gl.constexpr = False,
                       SKIP_EMPTY: gl.constexpr = False, Seed=None, dropout_p=0.0, HAS_DROPOUT: gl.constexpr = False,
                       HEADS_PER_GROUP=CAUSAL_HEAD_GROUP, PEEL_EDGE: gl.constexpr = False,
                       seed_host: gl.int64 = 0, DRAW_AHEAD: gl.constexpr = False):
    # the peeled loops know which tiles a plain causal mask or a ragged S reaches (not a window's)
    gl.static_assert(not PEEL_EDGE or (not WINDOW and not SKIP_EMPTY), "PEEL_EDGE: no window, no skipped tiles")
    # a skipped tile would not draw the next one's words
    gl.static_assert(not DRAW_AHEAD or (HAS_DROPOUT and not SKIP_EMPTY), "DRAW_AHEAD: dropout, no skipped tiles")
    dtype: gl.constexpr = desc_q.dtype
    seed = dropout_seed(Seed, seed_host, HAS_DROPOUT)
    q_bufs = gl.allocate_shared_memory(dtype, [2] + desc_q.block_type.shape, desc_q.layout)
    o_bufs = gl.allocate_shared_memory(dtype, [2] + desc_o.block_type.shape, desc_o.layout)
    do_bufs = gl.allocate_shared_memory(dtype, [2] + desc_do.block_type.shape, desc_do.layout)
    k_bufs = gl.allocate_shared_memory(dtype, [NBUF] + desc_k.block_type.shape, desc_k.layout)
    v_bufs = gl.allocate_shared_memory(dtype, [NBUF] + desc_v.block_type.shape, desc_v.layout)
    rows_ready = gl.allocate_shared_memory(gl.int64, [2, 1], mbarrier.MBarrierLayout())
    for i in gl.static_range(2):
        mbarrier.init(rows_ready.index(i), count=1)
    k_ready, k_empty = stage_barriers(NBUF, 2)     # both consumer warpgroups release each stage
    v_ready, v_empty = stage_barriers(NBUF, 2)
    bias_desc, bias_bufs, bias_ready, bias_empty = _bias_ring(HAS_BIAS, desc_bias, NBUF, desc_k, k_bufs, k_ready,
                                                              k_empty)

    cargs = (sm_scale, LSE, LSE2, Delta, desc_dq, q_bufs, o_bufs, do_bufs, k_bufs, v_bufs, rows_ready, k_ready,
             k_empty, v_ready, v_empty, N_CTX, S_PAD, H_Q, CAUSAL, bias_bufs, bias_ready, bias_empty, DBias, LEFT,
             RIGHT, seed, dropout_p, HEADS_PER_GROUP)
    c0: gl.constexpr = 0
    c1: gl.constexpr = 1
    pargs = (desc_q, desc_k, desc_v, desc_o, desc_do, q_bufs, o_bufs, do_bufs, k_bufs, v_bufs, rows_ready, k_ready,
             k_empty, v_ready, v_empty, N_CTX, H_Q, GROUP, CAUSAL, bias_desc, bias_bufs, bias_ready, bias_empty,
             BIAS_B, BIAS_H, LEFT, RIGHT, HEADS_PER_GROUP)
    gl.warp_specialize([
        (_dq_consumer, (c0, HAS_BIAS, MASK_GRAD, STATS_ONLY, WINDOW, SKIP_EMPTY, HAS_DROPOUT, DRAW_AHEAD, PEEL_EDGE)
         + cargs),
        (_dq_consumer, (c1, HAS_BIAS, MASK_GRAD, STATS_ONLY, WINDOW, SKIP_EMPTY, HAS_DROPOUT, DRAW_AHEAD, PEEL_EDGE)
         + cargs),
        (_dq_producer, (HAS_BIAS, STATS_ONLY, WINDOW) + pargs),  # worker 1: TMA producer, 1 warp
    ], [4, 1], [CONSUMER_REGS, PRODUCER_REGS])


SPLIT_M = 64  # dQ: query rows per consumer warpgroup, two per program
KEYS_PER_STAGE = 64  # dQ: keys per stage (128 would hold S, dP and dQ at 64 registers each)
SPLIT_N = 64  # dK/dV: keys per consumer warpgroup, two per program
# Query rows per stage: 64 spills a little in the loop at 240 registers (its dK and dV
# accumulators take 128 of them; 32 rows do not spill) and still runs faster: H200, bf16, dK/dV
# launch alone 398 / 349 TFLOP/s at S = 8192 full / causal against 343 / 332 with 32 rows
# (benchmarks/experiment_gluon_backward.py).
BLOCK_M = 64
# Below this many scores (B * H_q * S^2, nominal) the Triton kernels are faster: the two Gluon
# launches cost ~0.15-0.19 ms of host time a backward against ~0.07 for the Triton ones. H200,
# bf16, D = 128 (benchmarks/gluon_backward_small_calls.py): B = 2 H = 8 S = 2047 (2^26) 414
# TFLOP/s against 331 (0.21 ms of GPU time); S = 512 B = 32 H = 16 (2^27) 325 / 221 full /
# causal against 298 / 179. Smaller calls are host-bound.
MIN_SCORES = 2 ** 26
# Head dims it runs. 64 runs correctly with the same tiles but its two launches are slower than
# the Triton kernels (H200, bf16, H = 32: S = 1024 276 against 329 TFLOP/s, S = 8192 360 against
# 373; causal 224 / 243 and 331 / 326): backends/hopper.py adds it for the long calls that take
# the fused dQ, where it is faster (FUSED_DQ there); the GPU tests turn it on for all. Between 72
# and 128 (a multiple of 8): the D = 128 kernels on zero-filled columns, as the forward's
# HEAD_DIMS says: D = 96 325-358 TFLOP/s against Triton's 260-314, D = 80 238-307 against 185-265
# (H200, 2026-11-29, results v0.10).
HEAD_DIMS = tuple(range(72, 129, 8))


def unsupported_reason(q, k, v, dout, capability, has_features: bool, head_dims=HEAD_DIMS,
                       addresses: bool = True) -> str | None:
    """Why this kernel cannot run a backward call's dK/dV, or None when it can (at these head dims);
    addresses as in hopper_forward.unsupported_reason."""
    batch, heads_q, seq_q, d = q.shape
    if capability is None or capability[0] != 9:
        return "needs an sm_90 GPU (Hopper)"
    if q.dtype not in (torch.float16, torch.bfloat16) or any(t.dtype != q.dtype for t in (k, v, dout)):
        return "needs float16 or bfloat16 q, k, v, dout"
    if d not in head_dims or k.shape[3] != d or v.shape[3] != d:
        return f"needs {describe_head_dims(head_dims)}, the same for q, k and v (got {d}/{k.shape[3]}/{v.shape[3]})"
    if seq_q != k.shape[2]:
        return f"needs S_q = S_k (got {seq_q} and {k.shape[2]})"
    if batch * heads_q * seq_q * seq_q < MIN_SCORES:
        return (f"runs B * H * S^2 >= 2^{MIN_SCORES.bit_length() - 1} (got {batch} * {heads_q} * {seq_q}^2; "
                "the Triton kernels are faster below)")
    if has_features:
        return "runs no mask, bias, ALiBi, dropout, softcap or offset diagonal"
    if addresses and not all(tma_compatible(t) for t in (q, k, v, dout)):
        return "needs q, k, v, dout with a unit last stride, other strides and the start 16-byte aligned (TMA)"
    if batch * k.shape[1] > 65535:
        return "needs B * H_kv <= 65535 (the grid's second axis)"
    return None


def row_stats(lse: torch.Tensor) -> torch.Tensor:
    """The buffer the dQ launch fills for the dK/dV launch: (2, B * H_q, S rounded up to 128)
    fp32, delta = rowsum(dO * O) then lse in log2 units (+inf past S, so that P = 0 there). Rows
    padded to a multiple of 128: every 64-row TMA box that dK/dV stages (stats_descriptor) reads
    rows the dQ launch wrote, and the box's row strides stay 16-byte aligned."""
    batch, heads_q, seq = lse.shape
    return torch.empty((2, batch * heads_q, _padded_rows(seq)), device=lse.device, dtype=torch.float32)


def stats_descriptor(stats: torch.Tensor, rows: int) -> TensorDescriptor:
    """A TMA descriptor over row_stats' buffer with boxes of (delta, lse) x `rows` rows (the dK/dV
    producer stages them with each query tile: [Note: row statistics from shared memory])."""
    return box_descriptor(stats, list(stats.shape), list(stats.stride()), [2, 1, rows], _STATS_LAYOUT)


# no swizzle: the consumers read each box's rows as vectors (a swizzle only orders 2D tiles)
_STATS_LAYOUT = gl.NVMMASharedLayout(swizzle_byte_width=0, element_bitwidth=32, rank=3)


def _padded_rows(seq: int) -> int:
    """row_stats' row length: S rounded up to 128, the dQ launch's rows a program."""
    return triton.cdiv(seq, 2 * SPLIT_M) * 2 * SPLIT_M


_DQ, _DKDV = FastLauncher(attn_bwd_dq_hopper), FastLauncher(attn_bwd_dkdv_hopper)


def backward_launches(q, k, sm_scale: float, causal: bool, bias=None, mask_grad: bool = False, fused_dq: bool = False,
                      window=None, NBUF: int = 2, block_n: int = KEYS_PER_STAGE, block_m: int = BLOCK_M,
                      consumer_regs: int = 240, producer_regs: int = 24, dq_from_ds: bool = False,
                      skip_empty: bool = False, dropout_p: float = 0.0, peel_diagonal: bool = False,
                      heads_per_group: int = CAUSAL_HEAD_GROUP, flat_heads: bool = False,
                      draw_ahead: bool = False, drawer_warps: int = 0):
    """The two launches bound to this call's shapes, strides and options, for the calls that
    share them (backends/flash.py keys them), to run in this order:
      dq_launch(q, k, v, out, dout, lse, stats, dq, bias, dbias, seed) writes dq (B, H_q, S, 128), stats
        (row_stats) from lse (B, H_q, S) fp32 natural log, contiguous, and with mask_grad dbias
        (B, H_q, S, S) dense, the bias's gradient before its broadcast dims are summed;
      dkdv_launch(q, k, v, dout, stats, dk, dv, bias, dq, dbias, seed) writes dk, dv (B, H_kv, S, 128);
    q, k, v, out, dout and the gradients as unsupported_reason accepts them, bias (a float
    attn_mask as hopper_forward.bias_reason accepts it) or None; window: (left, right) >= 0, row i
    sees keys i - left .. i + right (causal then means right = 0), or None. block_n: keys a stage
    of dQ; block_m: query rows a stage of dK/dV.
    fused_dq (no bias): dq_launch only writes stats; dkdv_launch also computes dQ, adding it to an
    fp32 accumulator by TMA reduce-add (5 products instead of 7), then writes dq.
    dq_from_ds (a bias with mask_grad; dbias rows 16-byte aligned): dq_launch only writes stats;
    dkdv_launch stores dS into dbias itself, then dq = dS K * scale is one batched GEMM over it (the
    dense dS the bias's gradient needs anyway is read back once instead of the bias, and the dQ
    launch's three products become one).
    skip_empty (causal or window calls; pays for narrow windows): a consumer warpgroup passes over the streamed
    tiles that hold no kept (row, key) pair for its own 64 rows or keys (above the diagonal, beyond a
    window's edge) instead of computing on them masked: a window's edge tiles, a causal diagonal's
    last one. The dK/dV launch does so only without fused_dq or dq_from_ds.
    dropout_p > 0 (no bias): dropout with the keep-mask of the call's seed (the launches' seed, the
    forward's: a (Seed pointer, seed_host) pair, see kernels/common.py's dropout_seed; its [Note] on
    the bits), drawn in the dK/dV launch and, without
    fused_dq, again in the dQ launch.
    peel_diagonal (no window): the consumers run the tiles a mask reaches apart from the rest,
    whose loop then has no mask code: causal dK/dV each head's first query tiles (sm_90a, D = 128:
    369 against 466 instructions a warp and tile, fused dQ 584 against 699), dQ its last key
    tiles (239 against 317), and full attention's dQ its last, ragged key tile; not where
    skip_empty passes over tiles.
    heads_per_group (causal): programs are handed out longest first within groups of this many
    heads (_block_and_head; 1: each head's blocks in turn).
    flat_heads (fused dQ with peel_diagonal, H_q = H_kv; experimental): its loops not nested in
    the loop over a key head's query heads (fewer spills; +2-4% for the fused dQ, still behind the
    two launches at D = 128: results v0.19).
    draw_ahead (dropout in the dQ launch): each key tile's keep bits drawn while the previous
    tile's dQ product runs (_dq_tile's DRAW_AHEAD; 4-7% off the dQ launch, results v0.24).
    drawer_warps 2 or 4 (dropout; experimental; 0: none): the dK/dV launch's keep bits drawn by
    warps of their own ([Note: keep bits from a warpgroup of their own] in hopper_common.py): 4
    (measured, results v0.24) at 40 registers a thread, the consumers at 224; 2 (not yet run on a
    GPU) at 24, beside the producer's warp in one warpgroup, so that the consumers keep 240."""
    assert not fused_dq or bias is None, "the fused dQ runs no bias"
    assert dropout_p == 0 or bias is None, "dropout runs without a bias"
    assert not dq_from_ds or (bias is not None and mask_grad and not fused_dq), "dq_from_ds is for a bias's gradient"
    batch, heads_q, seq, d = q.shape
    assert not fused_dq or d == padded_head_dim(d), "the fused dQ's accumulator has the tensors' head dim"
    heads_kv = k.shape[1]
    s_pad = _padded_rows(seq)
    flags = (NBUF, causal and window is None, consumer_regs, producer_regs)
    skip_empty = skip_empty and (causal or window is not None)
    plain_causal = peel_diagonal and causal and window is None
    dkdv_skip = skip_empty and not (fused_dq or dq_from_ds)
    drawer = drawer_warps in (2, 4) and dropout_p > 0 and not dkdv_skip
    dkdv_flags = (NBUF, causal and window is None, 224 if drawer and drawer_warps == 4 else consumer_regs,
                  producer_regs)
    band = (*(window or (0, 0)), window is not None)   # LEFT, RIGHT, WINDOW
    stats_only = fused_dq or dq_from_ds
    dq_bias = bias is not None and not dq_from_ds
    bias_b, bias_h = bias_descriptor(bias, SPLIT_M, block_n)[1:] if bias is not None else (0, 0)
    dq_bound = _DQ.bind((triton.cdiv(seq, 2 * SPLIT_M), batch * heads_q),
                        ("LSE", "LSE2", "Delta", "desc_q", "desc_k", "desc_v", "desc_o", "desc_do", "desc_dq",
                         "desc_bias", "DBias", "Seed", "seed_host"),
                        sm_scale, None, None, None, seq, s_pad, heads_q, heads_q // heads_kv, *([None] * 6), *flags,
                        None, bias_b, bias_h, None, dq_bias, mask_grad and not dq_from_ds, stats_only, *band,
                        skip_empty, None, dropout_p, dropout_p > 0 and not stats_only,
                        HEADS_PER_GROUP=heads_per_group, PEEL_EDGE=peel_diagonal and window is None and not skip_empty,
                        seed_host=0, DRAW_AHEAD=draw_ahead and dropout_p > 0 and not stats_only and not skip_empty,
                        num_warps=4)
    dkdv_bound = _DKDV.bind((triton.cdiv(seq, 2 * SPLIT_N), batch * heads_kv),
                            ("desc_stats", "desc_q", "desc_k", "desc_v", "desc_do", "desc_dk", "desc_dv",
                             "desc_bias", "desc_dq_acc", "desc_dbias", "Seed", "seed_host"),
                            sm_scale, None, seq, s_pad, heads_q, heads_kv, heads_q // heads_kv, *([None] * 6),
                            *dkdv_flags, None, bias_b, bias_h, bias is not None, None, fused_dq, *band, None,
                            dq_from_ds, dkdv_skip, None, dropout_p, dropout_p > 0,
                            plain_causal and not dkdv_skip,
                            HEADS_PER_GROUP=heads_per_group, seed_host=0,
                            FLAT_HEADS=flat_heads and plain_causal and fused_dq and heads_q == heads_kv, DRAWER=drawer,
                            DRAWER_REGS=24 if drawer_warps == 2 else 40, DRAWER_WARPS=2 if drawer_warps == 2 else 4,
                            num_warps=4)

    dq_scale = sm_scale / (1 - dropout_p) if drawer else sm_scale

    def dq_launch(q, k, v, out, dout, lse, stats, dq, bias=None, dbias=None, seed=None):
        rows = descriptor(q, SPLIT_M)
        keys = (descriptor(k, block_n), descriptor(v, block_n)) if not stats_only else (rows, rows)  # unread: stand-ins
        dq_bound(lse, stats[1], stats[0], rows, *keys, descriptor(out, SPLIT_M), descriptor(dout, SPLIT_M),
                 rows if stats_only else descriptor(dq, SPLIT_M),
                 bias_descriptor(bias, SPLIT_M, block_n)[0] if dq_bias else None,
                 lse if dbias is None or dq_from_ds else dbias,   # lse: a pointer the kernel never writes here
                 *((lse, 0) if seed is None else seed))   # lse: a stand-in seed pointer, unread without dropout

    def dkdv_launch(q, k, v, dout, stats, dk, dv, bias=None, dq=None, dbias=None, seed=None):
        dq_acc = torch.zeros((batch, heads_q, s_pad, d), device=q.device, dtype=torch.float32) if fused_dq else None
        dkdv_bound(stats_descriptor(stats, block_m), descriptor(q, block_m), descriptor(k, SPLIT_N),
                   descriptor(v, SPLIT_N), descriptor(dout, block_m), descriptor(dk, SPLIT_N), descriptor(dv, SPLIT_N),
                   None if bias is None else bias_descriptor(bias, block_m, SPLIT_N)[0],
                   None if dq_acc is None else box_descriptor(dq_acc, list(dq_acc.shape), list(dq_acc.stride()),
                                                              [1, 1, block_m, d // 2]),
                   box_descriptor(dbias, list(dbias.shape), list(dbias.stride()), [1, 1, block_m, SPLIT_N])
                   if dq_from_ds else None, *((stats[0], 0) if seed is None else seed))
        if fused_dq:   # scaled and rounded in one pass over the accumulator (the drawer's dS lacks 1 / (1 - p))
            torch.mul(dq_acc[:, :, :seq], dq_scale, out=dq)
        if dq_from_ds:
            dq.copy_(dq_from_scores_gradient(dbias, k, sm_scale))
    return dq_launch, dkdv_launch


def dq_from_scores_gradient(ds: torch.Tensor, k: torch.Tensor, sm_scale: float) -> torch.Tensor:
    """dQ = dS K * scale, (B, H_q, S_q, D) contiguous, from the dense dS (B, H_q, S_q, S_k) (the
    key-value head of query head h is h // (H_q / H_kv)): one batched GEMM, fp32 accumulation
    and the scale applied before its one rounding (baddbmm's alpha)."""
    batch, heads_q, seq_q, seq_k = ds.shape
    heads_kv, d = k.shape[1], k.shape[3]
    group = heads_q // heads_kv
    scores = ds.reshape(batch * heads_kv, group * seq_q, seq_k)    # a head's group of rows, one matrix
    keys = k.reshape(batch * heads_kv, seq_k, d)
    dq = torch.baddbmm(keys.new_zeros(()), scores, keys, beta=0, alpha=sm_scale)
    return dq.view(batch, heads_q, seq_q, d)
