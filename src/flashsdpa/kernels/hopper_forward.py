"""Hopper (sm_90) forward kernel in Gluon, FlashAttention-3 style: one producer warp streams Q,
K and V tiles with TMA through mbarrier-guarded shared-memory stages; two consumer warpgroups
each own 64 query rows and take turns on the tensor cores (ping-pong), so that one's softmax
overlaps the other's wgmma; P feeds the second matmul from registers.

The fast path of the FLASH backend's forward where it applies (see `unsupported_reason`):
16-bit inputs, head dim 64, or 72..128 in steps of 8 (on D = 128 tiles, TMA reading the columns
past D as zeros; see HEAD_DIMS), or 136..256 likewise (on D = 256 tiles, 64 keys a stage), any
strides a TMA descriptor takes (unit last stride, 16-byte aligned: (B, H, S, D) and (B, S, H, D)
memory alike), S_q = S_k of any length (4D descriptors keep a ragged tile within its head: reads
past S are zeros, stores past S are dropped), S at least MIN_SEQ (512 at D > 64), no mask but a float bias (below; D <= 128), no dropout or
softcap (causal, sliding windows and GQA are fine). Everything else runs the portable Triton
kernel. H200, bf16, 16k tokens: 620 / 610 TFLOP/s at S = 8192 (full / causal) against cuDNN's
611 / 542 and our Triton kernel's 507 / 470 (benchmarks/experiment_gluon_forward.py). Design notes:
benchmarks/GLUON_HOPPER.md.

HAS_BIAS adds a float attn_mask (`bias_reason` says which) streamed through its own TMA ring
(FLASHSDPA_HOPPER_BIAS=0 turns it off): H200, bf16, (B, H, S, S) bias at S = 2048 468 TFLOP/s
against the Triton kernel's 293 (benchmarks/results/2026-11-28-h200-gluon-backward). Without it
the kernel's SASS is what it was.

PERSISTENT: one program an SM runs query blocks in turn, so that the next block's Q and K/V
loads and the last block's output store overlap the products (FlashAttention-3's persistent
scheduler); causal programs take a head's blocks in zigzag pairs of equal work (_work_item). The
dispatcher uses it for every call (see backends/hopper.py's PERSISTENT). H200, bf16: full S =
1024 561 TFLOP/s against 512 with one program a block, S = 8192 629 against 613; causal S = 1024
404 against 367, S = 8192 566 against 538.

Head dim 256: Q (64 KiB) and two stages of 64 keys of K and V (128 KiB) leave no room for O's
own buffers, so O goes out through Q's (O_IN_Q, as with a bias). H200, bf16, 16k tokens, forward
TFLOP/s full / causal: S = 1024 615 / 446, 2048 604 / 500, 8192 654 / 589 against the Triton
kernel's 426 / 334, 455 / 396, 486 / 470 and cuDNN's 595 / 454, 676 / 518, 681 / 599
(benchmarks/experiment_d256_forward.py, results/2026-11-29-h200-v0.16).

CONSUMERS = 3 (head dim 64, no bias; an option, off by default: backends/hopper.py's CONSUMERS):
192-row blocks, three consumer warpgroups taking turns on the tensor cores and the producer as
the default partition (registers 3 x 160 + 32 a thread): bit-equal to two consumers, but slower
as compiled today (their consumers spill at 160 registers; results/2026-11-29-h200-v0.21).

WINDOW: a sliding window (row i sees keys i - LEFT .. i + RIGHT; causal is RIGHT = 0): the key
tiles outside the band are not visited, only the tiles across its edges are masked. H200, bf16,
S = 16384, window (1024, 0): 420 TFLOP/s of kept scores against the Triton kernel's 327, 456
on the persistent grid (benchmarks/results/2026-11-29-h200-v0.9); 472 since the masks compare
against per-row bounds (one compare a score and edge, no warpgroup reduction a tile) and the
edge tiles run on half their keys (HALF_TILES, below), against 540-546 for full attention over
1024-token sequences (results/2026-11-29-h200-v0.22/forward_edges).

HALF_TILES (causal or window, D = 128 tiles, no bias): each consumer warpgroup runs its block's
first and last key tiles on the half of their keys its rows see, where the other half holds no
key for them ([Note: half tiles]): D = 128 causal S = 512 286 -> 299 TFLOP/s, 2048 506 -> 523.
"""
import functools

import torch
import triton
from triton.experimental import gluon
from triton.experimental.gluon import language as gl
from triton.experimental.gluon.language.nvidia.hopper import (
    tma, mbarrier, fence_async_shared, warpgroup_mma, warpgroup_mma_wait)

from .hopper_common import (bias_descriptor, bias_tile, describe_head_dims, descriptor, key_tiles,  # noqa: F401
                            padded_head_dim, stage_barriers, tma_compatible)  # tma_compatible: re-exported
from .launch import FastLauncher


@gluon.jit
def _producer(HAS_BIAS: gl.constexpr, WINDOW: gl.constexpr, PERSISTENT: gl.constexpr, desc_q, desc_k, desc_v, q_bufs,
              k_bufs, v_bufs, q_ready, q_empty, k_ready, k_empty, v_ready, v_empty,
              N_CTX, H_Q, GROUP, CAUSAL: gl.constexpr,
              desc_bias, bias_bufs, bias_ready, bias_empty, BIAS_B, BIAS_H, LEFT, RIGHT, N_WORK):
    if PERSISTENT:  # work items pid, pid + programs, ...; the K/V ring's count runs on across them
        it = 0
        for i in range(_work_count(N_WORK, CAUSAL)):
            start_m, off_hz = _work_item(i, N_CTX, q_bufs.type.shape[0] * desc_q.block_type.shape[2], CAUSAL)
            it = _produce_block(HAS_BIAS, WINDOW, PERSISTENT, start_m, off_hz, it, i, desc_q, desc_k, desc_v,
                                q_bufs, k_bufs, v_bufs, q_ready, q_empty, k_ready, k_empty, v_ready, v_empty, N_CTX,
                                H_Q, GROUP, CAUSAL, desc_bias, bias_bufs, bias_ready, bias_empty, BIAS_B, BIAS_H,
                                LEFT, RIGHT)
    else:
        _produce_block(HAS_BIAS, WINDOW, PERSISTENT, gl.program_id(0), gl.program_id(1), 0, 0, desc_q, desc_k,
                       desc_v, q_bufs, k_bufs, v_bufs, q_ready, q_empty, k_ready, k_empty, v_ready, v_empty, N_CTX,
                       H_Q, GROUP, CAUSAL, desc_bias, bias_bufs, bias_ready, bias_empty, BIAS_B, BIAS_H, LEFT,
                       RIGHT)


@gluon.jit
def _work_count(N_WORK, CAUSAL: gl.constexpr):
    """How many of a persistent launch's N_WORK query blocks this program runs: items pid, pid +
    programs, ...; causal: pairs of consecutive blocks of _work_item's order (the last one alone
    when N_WORK is odd)."""
    if CAUSAL:
        pairs = N_WORK // 2
        count = 2 * ((pairs - gl.program_id(0) + gl.num_programs(0) - 1) // gl.num_programs(0))
        if N_WORK % 2 == 1 and gl.program_id(0) == pairs % gl.num_programs(0):
            count += 1
        return count
    return (N_WORK - gl.program_id(0) + gl.num_programs(0) - 1) // gl.num_programs(0)


@gluon.jit
def _work_item(i, N_CTX, BLOCK_M: gl.constexpr, CAUSAL: gl.constexpr):
    """(query block, batch * head) of this program's i-th block of a persistent launch: a head's
    blocks side by side, so that the programs running at once share its K and V in L2. Causal: a
    head's blocks zigzag, last, first, second to last, second, ..., and a program takes them in
    pairs of consecutive ones, which cost the same number of key tiles (n + 1 for n blocks a head),
    so that the programs striding over them finish together. (Striding over single blocks, program
    p drew blocks of the same length round after round, 1.1-1.5x the mean work in the longest
    program by count, and ran 0.84-0.97x one program a block: results 2026-11-29-h200-v0.10.)"""
    n_m = gl.cdiv(N_CTX, BLOCK_M)
    if CAUSAL:
        t = 2 * (gl.program_id(0) + (i // 2) * gl.num_programs(0)) + i % 2
        k = t % n_m
        start_m = k // 2 + (1 - k % 2) * (n_m - 1 - k)   # k even: n_m - 1 - k // 2; odd: k // 2
        return start_m, t // n_m
    t = gl.program_id(0) + i * gl.num_programs(0)
    return t % n_m, t // n_m


@gluon.jit
def _produce_block(HAS_BIAS: gl.constexpr, WINDOW: gl.constexpr, PERSISTENT: gl.constexpr, start_m, off_hz, it0, i,
                   desc_q, desc_k, desc_v, q_bufs, k_bufs, v_bufs, q_ready, q_empty, k_ready, k_empty, v_ready,
                   v_empty, N_CTX, H_Q, GROUP, CAUSAL: gl.constexpr, desc_bias, bias_bufs, bias_ready, bias_empty,
                   BIAS_B, BIAS_H, LEFT, RIGHT):
    """Producer: query block start_m of head off_hz, its i-th; K/V stages from it0 on. Returns
    the stage count after it."""
    SPLIT_M: gl.constexpr = desc_q.block_type.shape[2]
    CONSUMERS: gl.constexpr = q_bufs.type.shape[0]
    BLOCK_M: gl.constexpr = CONSUMERS * SPLIT_M
    BLOCK_N: gl.constexpr = desc_k.block_type.shape[2]
    NBUF: gl.constexpr = k_bufs.type.shape[0]
    # 4D descriptors (B, H, S, D) over the tensors' own strides: any layout with a unit last
    # stride, and a ragged last tile reads zeros / stores nothing past S within its own head.
    b = off_hz // H_Q
    h = off_hz % H_Q
    h_kv = h // GROUP                          # the key-value head (GQA)
    for c in gl.static_range(CONSUMERS):       # Q parts for the consumer warpgroups
        if PERSISTENT:  # consumer c is done with its last block's Q
            mbarrier.wait(q_empty.index(c), (i & 1) ^ 1)
        mbarrier.expect(q_ready.index(c), desc_q.block_type.nbytes)
        tma.async_copy_global_to_shared(desc_q, [b, h, start_m * BLOCK_M + c * SPLIT_M, 0], q_ready.index(c),
                                        q_bufs.index(c))
    first, n_tiles = key_tiles(start_m, N_CTX, BLOCK_M, BLOCK_N, CAUSAL, WINDOW, LEFT, RIGHT)
    for j in range(n_tiles):
        idx = (it0 + j) % NBUF
        ph = ((it0 + j) // NBUF) & 1
        start_n = (first + j) * BLOCK_N
        # fresh mbarrier: waiting on parity 1 returns immediately (tutorial 08 idiom)
        mbarrier.wait(k_empty.index(idx), ph ^ 1)
        mbarrier.expect(k_ready.index(idx), desc_k.block_type.nbytes)
        tma.async_copy_global_to_shared(desc_k, [b, h_kv, start_n, 0], k_ready.index(idx), k_bufs.index(idx))
        mbarrier.wait(v_empty.index(idx), ph ^ 1)
        mbarrier.expect(v_ready.index(idx), desc_v.block_type.nbytes)
        tma.async_copy_global_to_shared(desc_v, [b, h_kv, start_n, 0], v_ready.index(idx), v_bufs.index(idx))
        if HAS_BIAS:  # both consumers' (64 rows x BLOCK_N keys) bias boxes, one stage (BIAS_B/H: 0 broadcasts)
            mbarrier.wait(bias_empty.index(idx), ph ^ 1)
            mbarrier.expect(bias_ready.index(idx), 2 * desc_bias.block_type.nbytes)
            for c in gl.static_range(2):   # (a bias runs two consumers)
                tma.async_copy_global_to_shared(desc_bias, [b * BIAS_B, h * BIAS_H, start_m * BLOCK_M + c * SPLIT_M,
                                                            start_n], bias_ready.index(idx),
                                                bias_bufs.index(2 * idx + c))
    return it0 + n_tiles


@gluon.jit
def _softmax_tile(s, m_i, l_i, qk_scale, start_n, offs_m, row0, N_CTX, BLOCK_N: gl.constexpr,
                  s_layout: gl.constexpr, CAUSAL: gl.constexpr, bias=None, inv_scale=1.0,
                  HAS_BIAS: gl.constexpr = False, WINDOW: gl.constexpr = False, LEFT=0, RIGHT=0):
    # row0: the first of offs_m's rows, a scalar (a reduction of offs_m in the loop cost the causal
    # loop shuffles, a shared-memory round trip and three warpgroup barriers a tile). The masks
    # compare each key's column in the tile, a constant a register, against per-row bounds: one
    # compare a score and bound.
    row_last = row0 + s.type.shape[0] - 1
    if WINDOW:  # only the tiles across the window's edges (or the ragged last one) pay for a mask,
        # each edge's own: row i sees columns i - LEFT - start_n .. min(i + RIGHT, N_CTX - 1) - start_n.
        # (The two branches spell the key differently on purpose: with one shared `cols` the
        # compiler hoisted its 30 instructions out of both branches into every tile.)
        if start_n < row_last - LEFT:
            cols = gl.arange(0, BLOCK_N, layout=gl.SliceLayout(0, s_layout))
            s = gl.where(cols[None, :] >= (offs_m - LEFT - start_n)[:, None], s, -float("inf"))
        if (start_n + BLOCK_N - 1 > row0 + RIGHT) | (start_n + BLOCK_N > N_CTX):
            keys = start_n + gl.arange(0, BLOCK_N, layout=gl.SliceLayout(0, s_layout))
            s = gl.where(keys[None, :] <= gl.minimum(offs_m + RIGHT, N_CTX - 1)[:, None], s, -float("inf"))
    elif CAUSAL:  # only the tile(s) that straddle the diagonal pay for the mask
        if start_n + BLOCK_N > row0:
            cols = gl.arange(0, BLOCK_N, layout=gl.SliceLayout(0, s_layout))
            s = gl.where(cols[None, :] <= (offs_m - start_n)[:, None], s, -float("inf"))
    else:  # the ragged last tile: keys past N_CTX were read as zeros (causal rows never reach them)
        if start_n + BLOCK_N > N_CTX:
            offs_n = start_n + gl.arange(0, BLOCK_N, layout=gl.SliceLayout(0, s_layout))
            s = gl.where(offs_n[None, :] < N_CTX, s, -float("inf"))
    if HAS_BIAS:  # the float attn_mask, over sm_scale
        s = gl.fma(bias, inv_scale, s)
    if HAS_BIAS or WINDOW:  # -inf entries can leave a row nothing yet (a window's first tile)
        m_new = gl.maximum(m_i, gl.max(s, axis=1) * qk_scale)
        m_safe = gl.where(m_new == -float("inf"), 0.0, m_new)
        p = gl.exp2(s * qk_scale - m_safe[:, None])
        alpha = gl.exp2(m_i - m_safe)
    else:
        m_new = gl.maximum(m_i, gl.max(s, axis=1) * qk_scale)
        p = gl.exp2(s * qk_scale - m_new[:, None])
        alpha = gl.exp2(m_i - m_new)
    l_i = l_i * alpha + gl.sum(p, axis=1)
    return p, m_new, l_i, alpha


@gluon.jit
def _softmax_half(s, m_i, l_i, qk_scale, start_n, offs_m, row0, N_CTX, row_s: gl.constexpr, CAUSAL: gl.constexpr,
                  WINDOW: gl.constexpr, LEFT, RIGHT):
    """_softmax_tile of a half tile's scores (their own accumulator layout; the row statistics
    come and go in the full tile's, the same registers)."""
    h_layout: gl.constexpr = s.type.layout
    row_h: gl.constexpr = gl.SliceLayout(1, h_layout)
    p, m_h, l_h, alpha = _softmax_tile(s, gl.convert_layout(m_i, row_h, assert_trivial=True),
                                       gl.convert_layout(l_i, row_h, assert_trivial=True), qk_scale, start_n,
                                       gl.convert_layout(offs_m, row_h, assert_trivial=True), row0, N_CTX,
                                       s.type.shape[1], h_layout, CAUSAL, WINDOW=WINDOW, LEFT=LEFT, RIGHT=RIGHT)
    return (p, gl.convert_layout(m_h, row_s, assert_trivial=True), gl.convert_layout(l_h, row_s, assert_trivial=True),
            gl.convert_layout(alpha, row_s, assert_trivial=True))


@gluon.jit
def _pv_waited(p, o, v_bufs, v_ready, v_empty, t, FIRST: gl.constexpr, KEYS: gl.constexpr, p_layout: gl.constexpr):
    """O += P V over keys FIRST .. FIRST + KEYS - 1 of the K/V stage of count t, waited on; the
    stage released."""
    NBUF: gl.constexpr = v_bufs.type.shape[0]
    BLOCK_N: gl.constexpr = v_bufs.type.shape[3]
    HEAD_DIM: gl.constexpr = v_bufs.type.shape[4]
    idx = t % NBUF
    mbarrier.wait(v_ready.index(idx), (t // NBUF) & 1)
    v = v_bufs.index(idx).reshape([BLOCK_N, HEAD_DIM])
    if KEYS < BLOCK_N:
        v = v.slice(FIRST, KEYS)
    o = warpgroup_mma(gl.convert_layout(p.to(v_bufs.dtype), p_layout, assert_trivial=True), v, o, is_async=True)
    o = warpgroup_mma_wait(num_outstanding=0, deps=(o, ))
    mbarrier.arrive(v_empty.index(idx), count=1)
    return o


@gluon.jit
def _consumer(cid: gl.constexpr, HAS_BIAS: gl.constexpr, WINDOW: gl.constexpr, PERSISTENT: gl.constexpr,
              O_IN_Q: gl.constexpr, HALF_TILES: gl.constexpr, sm_scale, M_ptr, desc_o, q_bufs, k_bufs, v_bufs,
              o_bufs, q_ready, q_empty, k_ready, k_empty, v_ready, v_empty, turn, N_CTX, H_Q, CAUSAL: gl.constexpr,
              bias_bufs, bias_ready, bias_empty, LEFT, RIGHT, N_WORK):
    if PERSISTENT:  # the producer's work items, in its order
        it = 0
        for i in range(_work_count(N_WORK, CAUSAL)):
            start_m, off_hz = _work_item(i, N_CTX, q_bufs.type.shape[0] * q_bufs.type.shape[3], CAUSAL)
            it = _consume_block(cid, HAS_BIAS, WINDOW, PERSISTENT, O_IN_Q, HALF_TILES, start_m, off_hz, it, i,
                                sm_scale, M_ptr, desc_o, q_bufs, k_bufs, v_bufs, o_bufs, q_ready, q_empty, k_ready,
                                k_empty, v_ready, v_empty, turn, N_CTX, H_Q, CAUSAL, bias_bufs, bias_ready,
                                bias_empty, LEFT, RIGHT)
        tma.store_wait(pendings=0)   # the last block's O
    else:
        _consume_block(cid, HAS_BIAS, WINDOW, PERSISTENT, O_IN_Q, HALF_TILES, gl.program_id(0), gl.program_id(1), 0,
                       0, sm_scale, M_ptr, desc_o, q_bufs, k_bufs, v_bufs, o_bufs, q_ready, q_empty, k_ready, k_empty,
                       v_ready, v_empty, turn, N_CTX, H_Q, CAUSAL, bias_bufs, bias_ready, bias_empty, LEFT, RIGHT)


@gluon.jit
def _consume_block(cid: gl.constexpr, HAS_BIAS: gl.constexpr, WINDOW: gl.constexpr, PERSISTENT: gl.constexpr,
                   O_IN_Q: gl.constexpr, HALF_TILES: gl.constexpr, start_m, off_hz, it0, i, sm_scale, M_ptr, desc_o,
                   q_bufs, k_bufs, v_bufs, o_bufs, q_ready, q_empty, k_ready, k_empty, v_ready, v_empty, turn, N_CTX,
                   H_Q, CAUSAL: gl.constexpr, bias_bufs, bias_ready, bias_empty, LEFT, RIGHT):
    """Consumer cid: its 64 rows of query block start_m of head off_hz, the i-th block it runs;
    K/V stages (and ping-pong turns) from it0 on. Returns the stage count after it. O_IN_Q: its
    output goes out through its Q buffer (o_bufs is q_bufs)."""
    SPLIT_M: gl.constexpr = q_bufs.type.shape[3]     # buffers are (stage, 1, 1, rows, D): 4D TMA boxes
    HEAD_DIM: gl.constexpr = q_bufs.type.shape[4]
    CONSUMERS: gl.constexpr = q_bufs.type.shape[0]   # one Q buffer a consumer warpgroup
    BLOCK_M: gl.constexpr = CONSUMERS * SPLIT_M
    BLOCK_N: gl.constexpr = k_bufs.type.shape[3]
    NBUF: gl.constexpr = k_bufs.type.shape[0]
    dtype: gl.constexpr = q_bufs.dtype
    # one warpgroup = 4 warps; wgmma atom m=16, k=256/bitwidth
    s_layout: gl.constexpr = gl.NVMMADistributedLayout(version=[3, 0], warps_per_cta=[4, 1],
                                                       instr_shape=[16, BLOCK_N, 256 // dtype.primitive_bitwidth])
    o_layout: gl.constexpr = gl.NVMMADistributedLayout(version=[3, 0], warps_per_cta=[4, 1],
                                                       instr_shape=[16, HEAD_DIM, 256 // dtype.primitive_bitwidth])
    p_layout: gl.constexpr = gl.DotOperandLayout(operand_index=0, parent=o_layout,
                                                 k_width=32 // dtype.primitive_bitwidth)
    row_s: gl.constexpr = gl.SliceLayout(1, s_layout)
    row_o: gl.constexpr = gl.SliceLayout(1, o_layout)

    qk_scale = sm_scale * 1.44269504088896340736
    row0 = start_m * BLOCK_M + cid * SPLIT_M
    offs_m = row0 + gl.arange(0, SPLIT_M, layout=row_s)
    first, n_tiles = key_tiles(start_m, N_CTX, BLOCK_M, BLOCK_N, CAUSAL, WINDOW, LEFT, RIGHT)

    q_smem = q_bufs.index(cid).reshape([SPLIT_M, HEAD_DIM])
    my_turn = turn.index(cid)
    other_turn = turn.index((cid + 1) % CONSUMERS)   # the next warpgroup in the round
    mbarrier.wait(q_ready.index(cid), i & 1)

    m_i = gl.full([SPLIT_M], -float("inf"), gl.float32, row_s)
    l_i = gl.full([SPLIT_M], 0.0, gl.float32, row_s)
    o = gl.zeros([SPLIT_M, HEAD_DIM], gl.float32, o_layout)
    s0 = gl.zeros([SPLIT_M, BLOCK_N], gl.float32, s_layout)

    # [Note: half tiles] A block's first and last key tiles can hold keys that none of this
    # warpgroup's 64 rows sees: the causal diagonal's right half for the first warpgroup, a
    # window's first tile's left half for the second. Those tiles run on their other half alone
    # (QK^T with 64 keys, PV over 64 keys): a (1024, 0) window computes 8.5 tiles a warpgroup
    # instead of 9. The first half tile runs before the pipeline (its PV waited on), the last
    # one as the drain (its S issued with the previous PV). (A first half tile as the prologue,
    # its PV issued with the next tile's S, measured 4% slower: results v0.22.)
    HALF: gl.constexpr = BLOCK_N // 2
    h_layout: gl.constexpr = gl.NVMMADistributedLayout(version=[3, 0], warps_per_cta=[4, 1],
                                                       instr_shape=[16, HALF, 256 // dtype.primitive_bitwidth])
    FIRST_HALVES: gl.constexpr = HALF_TILES and WINDOW   # (a causal block's first tile is whole for both)
    j0 = 0                  # the pipeline's first tile
    j_end = n_tiles         # ... and the tile after its last
    if FIRST_HALVES:
        first_half = (n_tiles >= 2) & (row0 - LEFT >= first * BLOCK_N + HALF)
        j0 = first_half.to(gl.int32)
    if HALF_TILES:
        last_half = (n_tiles - j0 >= 2) & (
            gl.minimum(row0 + SPLIT_M - 1 + RIGHT, N_CTX - 1) < (first + n_tiles - 1) * BLOCK_N + HALF)
        j_end = n_tiles - last_half.to(gl.int32)
    if FIRST_HALVES:  # (a constexpr around the runtime branches keeps their code out of the other kernels)
        if first_half:  # tile 0's right half, start to finish
            idx = it0 % NBUF
            mbarrier.wait(k_ready.index(idx), (it0 // NBUF) & 1)
            mbarrier.wait(my_turn, it0 & 1)
            k_half = k_bufs.index(idx).reshape([BLOCK_N, HEAD_DIM]).slice(HALF, HALF).permute((1, 0))
            sh = warpgroup_mma(q_smem, k_half, gl.zeros([SPLIT_M, HALF], gl.float32, h_layout), use_acc=False,
                               is_async=True)
            mbarrier.arrive(other_turn, count=1)
            sh = warpgroup_mma_wait(num_outstanding=0, deps=(sh, ))
            mbarrier.arrive(k_empty.index(idx), count=1)
            p_half, m_i, l_i, alpha = _softmax_half(sh, m_i, l_i, qk_scale, first * BLOCK_N + HALF, offs_m, row0,
                                                    N_CTX, row_s, CAUSAL, WINDOW, LEFT, RIGHT)
            o = _pv_waited(p_half, o, v_bufs, v_ready, v_empty, it0, HALF, HALF, p_layout)

    # ---- prologue: S_j0 = Q K_j0^T, softmax(S_j0) ----
    t0 = it0 + j0
    idx = t0 % NBUF
    mbarrier.wait(k_ready.index(idx), (t0 // NBUF) & 1)
    mbarrier.wait(my_turn, t0 & 1)                               # ping-pong: wait for our GEMM slot
    k_t = k_bufs.index(idx).reshape([BLOCK_N, HEAD_DIM]).permute((1, 0))
    s = warpgroup_mma(q_smem, k_t, s0, use_acc=False, is_async=True)
    mbarrier.arrive(other_turn, count=1)                         # hand the tensor cores to the other WG
    s = warpgroup_mma_wait(num_outstanding=0, deps=(s, ))
    mbarrier.arrive(k_empty.index(idx), count=1)
    bias = None
    if HAS_BIAS:
        bias = bias_tile(bias_bufs, bias_ready, bias_empty, it0, cid, s_layout)
    p, m_i, l_i, alpha = _softmax_tile(s, m_i, l_i, qk_scale, (first + j0) * BLOCK_N, offs_m, row0, N_CTX, BLOCK_N,
                                       s_layout, CAUSAL, bias, 1.0 / sm_scale, HAS_BIAS, WINDOW, LEFT, RIGHT)
    if FIRST_HALVES:
        if first_half:
            o = o * gl.convert_layout(alpha, row_o)[:, None]

    # ---- steady state: issue S_j = Q K_j^T and O += P_{j-1} V_{j-1}, softmax(S_j) overlaps PV ----
    for j in range(j0 + 1, j_end):
        idx = (it0 + j) % NBUF
        ph = ((it0 + j) // NBUF) & 1
        pidx = (it0 + j - 1) % NBUF
        pph = ((it0 + j - 1) // NBUF) & 1
        mbarrier.wait(k_ready.index(idx), ph)
        mbarrier.wait(my_turn, (it0 + j) & 1)
        k_t = k_bufs.index(idx).reshape([BLOCK_N, HEAD_DIM]).permute((1, 0))
        s = warpgroup_mma(q_smem, k_t, s0, use_acc=False, is_async=True)
        mbarrier.wait(v_ready.index(pidx), pph)
        p_op = gl.convert_layout(p.to(dtype), p_layout, assert_trivial=True)
        o = warpgroup_mma(p_op, v_bufs.index(pidx).reshape([BLOCK_N, HEAD_DIM]), o, is_async=True)
        mbarrier.arrive(other_turn, count=1)
        s = warpgroup_mma_wait(num_outstanding=1, deps=(s, ))   # S_j ready, PV_{j-1} may still run
        mbarrier.arrive(k_empty.index(idx), count=1)
        if HAS_BIAS:
            bias = bias_tile(bias_bufs, bias_ready, bias_empty, it0 + j, cid, s_layout)
        p, m_i, l_i, alpha = _softmax_tile(s, m_i, l_i, qk_scale, (first + j) * BLOCK_N, offs_m, row0, N_CTX, BLOCK_N,
                                           s_layout, CAUSAL, bias, 1.0 / sm_scale, HAS_BIAS, WINDOW, LEFT, RIGHT)
        o = warpgroup_mma_wait(num_outstanding=0, deps=(o, ))
        mbarrier.arrive(v_empty.index(pidx), count=1)
        o = o * gl.convert_layout(alpha, row_o)[:, None]

    last = it0 + n_tiles - 1
    if HALF_TILES:
        if last_half:  # ---- drain with the last tile's left half: S_h overlaps PV_{n-2} ----
            idx = last % NBUF
            pidx = (last - 1) % NBUF
            mbarrier.wait(k_ready.index(idx), (last // NBUF) & 1)
            mbarrier.wait(my_turn, last & 1)
            k_half = k_bufs.index(idx).reshape([BLOCK_N, HEAD_DIM]).slice(0, HALF).permute((1, 0))
            sh = warpgroup_mma(q_smem, k_half, gl.zeros([SPLIT_M, HALF], gl.float32, h_layout), use_acc=False,
                               is_async=True)
            mbarrier.wait(v_ready.index(pidx), ((last - 1) // NBUF) & 1)
            o = warpgroup_mma(gl.convert_layout(p.to(dtype), p_layout, assert_trivial=True),
                              v_bufs.index(pidx).reshape([BLOCK_N, HEAD_DIM]), o, is_async=True)
            mbarrier.arrive(other_turn, count=1)
            sh = warpgroup_mma_wait(num_outstanding=1, deps=(sh, ))
            mbarrier.arrive(k_empty.index(idx), count=1)
            p_half, m_i, l_i, alpha = _softmax_half(sh, m_i, l_i, qk_scale, (first + n_tiles - 1) * BLOCK_N, offs_m,
                                                    row0, N_CTX, row_s, CAUSAL, WINDOW, LEFT, RIGHT)
            o = warpgroup_mma_wait(num_outstanding=0, deps=(o, ))
            mbarrier.arrive(v_empty.index(pidx), count=1)
            o = o * gl.convert_layout(alpha, row_o)[:, None]
            o = _pv_waited(p_half, o, v_bufs, v_ready, v_empty, last, 0, HALF, p_layout)
        else:  # ---- drain: O += P_{n-1} V_{n-1} ----
            o = _pv_waited(p, o, v_bufs, v_ready, v_empty, last, 0, BLOCK_N, p_layout)
    else:
        o = _pv_waited(p, o, v_bufs, v_ready, v_empty, last, 0, BLOCK_N, p_layout)
    if PERSISTENT and not O_IN_Q:  # no product reads this Q any more: the next block's may come
        mbarrier.arrive(q_empty.index(cid), count=1)

    # ---- epilogue: O / l via SMEM + TMA store; LSE (natural log) via plain store ----
    l_o = gl.convert_layout(l_i, row_o)
    if HAS_BIAS:  # a row whose every key the bias removed: output 0 (lse is -inf), not 0 / 0
        l_o = gl.where(l_o == 0.0, 1.0, l_o)
    o = o / l_o[:, None]
    lse_layout: gl.constexpr = gl.BlockedLayout([1], [32], [4], [0])   # one row a thread
    lse = gl.convert_layout((m_i + gl.log2(l_i)) * 0.6931471805599453, lse_layout)  # natural-log LSE
    lse_rows = gl.convert_layout(offs_m, lse_layout)
    gl.store(M_ptr + off_hz.to(gl.int64) * N_CTX + lse_rows, lse, mask=lse_rows < N_CTX)
    o_box = o_bufs.index(cid)
    if PERSISTENT and not O_IN_Q:  # the last block's O store from this buffer has drained
        tma.store_wait(pendings=0)
        gl.thread_barrier()   # for every thread of the warpgroup, not only the one that issued it
    o_box.reshape([SPLIT_M, HEAD_DIM]).store(o.to(dtype))
    fence_async_shared()
    tma.async_copy_shared_to_global(desc_o, [off_hz // H_Q, off_hz % H_Q, start_m * BLOCK_M + cid * SPLIT_M, 0],
                                    o_box)   # rows past N_CTX are clipped by the descriptor
    if not PERSISTENT or O_IN_Q:  # (persistent, O apart: left to drain while the next block runs)
        tma.store_wait(pendings=0)
        if PERSISTENT:  # O went out through Q's buffer: only now may the next Q come
            gl.thread_barrier()
            mbarrier.arrive(q_empty.index(cid), count=1)
    return it0 + n_tiles


@gluon.jit
def attn_fwd_hopper(sm_scale, M_ptr, N_CTX, H_Q, GROUP, desc_q, desc_k, desc_v, desc_o,
                    NBUF: gl.constexpr, CAUSAL: gl.constexpr, CONSUMER_REGS: gl.constexpr,
                    PRODUCER_REGS: gl.constexpr, desc_bias=None, BIAS_B=0, BIAS_H=0, HAS_BIAS: gl.constexpr = False,
                    LEFT=0, RIGHT=0, WINDOW: gl.constexpr = False, N_WORK=0, PERSISTENT: gl.constexpr = False,
                    CONSUMERS: gl.constexpr = 2, HALF_TILES: gl.constexpr = False):
    gl.static_assert((CONSUMERS == 2) | ((CONSUMERS == 3) & (not HAS_BIAS)), "2 consumers, or 3 without a bias")
    gl.static_assert(not (HALF_TILES and HAS_BIAS), "no half tiles beside a bias (its stages are whole tiles)")
    dtype: gl.constexpr = desc_q.dtype
    q_bufs = gl.allocate_shared_memory(dtype, [CONSUMERS] + desc_q.block_type.shape, desc_q.layout)
    k_bufs = gl.allocate_shared_memory(dtype, [NBUF] + desc_k.block_type.shape, desc_k.layout)
    v_bufs = gl.allocate_shared_memory(dtype, [NBUF] + desc_v.block_type.shape, desc_v.layout)
    q_ready = gl.allocate_shared_memory(gl.int64, [CONSUMERS, 1], mbarrier.MBarrierLayout())
    # O goes out through Q's buffers, which it outlives, where shared memory is short: beside the
    # bias stages, and at head dim 256 (Q 64 KiB, K and V stages 128 KiB)
    O_IN_Q: gl.constexpr = HAS_BIAS or desc_q.block_type.shape[3] > 128
    if O_IN_Q:
        o_bufs = q_bufs
    else:
        o_bufs = gl.allocate_shared_memory(dtype, [CONSUMERS] + desc_o.block_type.shape, desc_o.layout)
    if HAS_BIAS:
        bias_bufs = gl.allocate_shared_memory(desc_bias.dtype, [2 * NBUF] + desc_bias.block_type.shape,
                                              desc_bias.layout)
        bias_ready, bias_empty = stage_barriers(NBUF, 2)
        bias_desc = desc_bias
    else:
        bias_bufs = q_bufs   # stand-ins, never read without HAS_BIAS
        bias_ready = q_ready
        bias_empty = q_ready
        bias_desc = desc_q
    turn = gl.allocate_shared_memory(gl.int64, [CONSUMERS, 1], mbarrier.MBarrierLayout())
    if PERSISTENT:  # consumer c released its Q part (the producer loads the next block's)
        q_empty = gl.allocate_shared_memory(gl.int64, [CONSUMERS, 1], mbarrier.MBarrierLayout())
        for i in gl.static_range(CONSUMERS):
            mbarrier.init(q_empty.index(i), count=1)
    else:
        q_empty = q_ready   # a stand-in, never used
    k_ready = gl.allocate_shared_memory(gl.int64, [NBUF, 1], mbarrier.MBarrierLayout())
    k_empty = gl.allocate_shared_memory(gl.int64, [NBUF, 1], mbarrier.MBarrierLayout())
    v_ready = gl.allocate_shared_memory(gl.int64, [NBUF, 1], mbarrier.MBarrierLayout())
    v_empty = gl.allocate_shared_memory(gl.int64, [NBUF, 1], mbarrier.MBarrierLayout())
    for i in gl.static_range(CONSUMERS):
        mbarrier.init(q_ready.index(i), count=1)
        mbarrier.init(turn.index(i), count=1)
    for i in gl.static_range(NBUF):
        mbarrier.init(k_ready.index(i), count=1)
        mbarrier.init(v_ready.index(i), count=1)
        mbarrier.init(k_empty.index(i), count=CONSUMERS)   # every consumer warpgroup releases each K/V stage
        mbarrier.init(v_empty.index(i), count=CONSUMERS)
    mbarrier.arrive(turn.index(0), count=1)        # consumer 0 issues GEMMs first, the others in turn

    # a constexpr reaches warp_specialize's partitions as a constexpr only from a tuple of
    # constexprs (in one with runtime values it becomes a runtime value, as CAUSAL here does):
    # the bias code must not be compiled without a bias (its stand-ins' shapes differ)
    cargs = (sm_scale, M_ptr, desc_o, q_bufs, k_bufs, v_bufs, o_bufs, q_ready, q_empty, k_ready, k_empty,
             v_ready, v_empty, turn, N_CTX, H_Q, CAUSAL, bias_bufs, bias_ready, bias_empty, LEFT, RIGHT, N_WORK)
    c0: gl.constexpr = 0
    c1: gl.constexpr = 1
    c2: gl.constexpr = 2
    pargs = (desc_q, desc_k, desc_v, q_bufs, k_bufs, v_bufs, q_ready, q_empty, k_ready, k_empty, v_ready, v_empty,
             N_CTX, H_Q, GROUP, CAUSAL, bias_desc, bias_bufs, bias_ready, bias_empty, BIAS_B, BIAS_H, LEFT, RIGHT,
             N_WORK)
    if CONSUMERS == 3:  # head dim 64 (FlashAttention-3's 192-row blocks); the default partition, the
        # producer, gets the registers the consumers leave: 65,536 = 128 threads x (3 x 160 + 32)
        gl.warp_specialize([   # the default partition: the TMA producer; workers: consumer warpgroups 0-2
            (_producer, (HAS_BIAS, WINDOW, PERSISTENT) + pargs),
            (_consumer, (c0, HAS_BIAS, WINDOW, PERSISTENT, O_IN_Q, HALF_TILES) + cargs),
            (_consumer, (c1, HAS_BIAS, WINDOW, PERSISTENT, O_IN_Q, HALF_TILES) + cargs),
            (_consumer, (c2, HAS_BIAS, WINDOW, PERSISTENT, O_IN_Q, HALF_TILES) + cargs),
        ], [4, 4, 4], [CONSUMER_REGS, CONSUMER_REGS, CONSUMER_REGS])
    else:
        # the default partition: consumer warpgroup 0; worker 0: consumer warpgroup 1 (4 warps);
        # worker 1: the TMA producer, 1 warp
        gl.warp_specialize([
            (_consumer, (c0, HAS_BIAS, WINDOW, PERSISTENT, O_IN_Q, HALF_TILES) + cargs),
            (_consumer, (c1, HAS_BIAS, WINDOW, PERSISTENT, O_IN_Q, HALF_TILES) + cargs),
            (_producer, (HAS_BIAS, WINDOW, PERSISTENT) + pargs),
        ], [4, 1], [CONSUMER_REGS, PRODUCER_REGS])


SPLIT_M, BLOCK_N = 64, 128  # rows per consumer warpgroup (two or three per program), keys per stage
BLOCK_N_256 = 64  # keys per stage at head dim 256: Q 64 KiB, two K and V stages 128 KiB, O through Q
# Below these lengths the Triton kernel runs the call, keyed by (tile head dim, causal or windowed).
# H200, bf16, 16k tokens, each kernel's bound launch (benchmarks/results/2026-11-29-h200-v0.10):
# D = 128 full S = 512 469 TFLOP/s (persistent) against Triton's 376, causal S = 512 256 against
# 237; D = 64 full S = 512 332 against 362 but S = 1024 400 against 370, causal from S = 4096:
# Triton / Gluon at S = 4096 378 / 375 (v0.10), 374 / 393 (v0.11), 364 / 395 (v0.12), at 8192 389
# / 403, at 2048 339 / 321, 359 / 354, 337 / 353 (mixed: Triton keeps it). D = 256 S = 512 full
# 506 against 346, causal 305 against 228 (results v0.17; shorter calls not measured).
MIN_SEQ = {(64, False): 1024, (64, True): 4096, (128, False): 512, (128, True): 512, (256, False): 512,
           (256, True): 512}
# Head dims it runs: 64 on its own tiles, 72..128 in steps of 8 through the D = 128 kernel, TMA
# reading the columns past D as zeros (hopper_common.padded_head_dim). The Triton kernel pads them
# to 128 as well, so both do the same products: D = 96 forward 471-478 TFLOP/s against Triton's
# 334-381 (cuDNN 451-469), D = 80 384-403 against 284-318 (H200, 2026-11-29, results v0.10).
# 136..256 likewise on D = 256 tiles (sm_90a: 197 KiB of shared memory, no register spills in the
# consumers; measured in results v0.16).
HEAD_DIMS = (64,) + tuple(range(72, 257, 8))


def unsupported_reason(q, k, v, capability, has_features: bool, causal: bool = False,
                       addresses: bool = True) -> str | None:
    """Why this kernel cannot run a forward call, or None when it can. `has_features`: the call
    has a mask, bias, ALiBi, dropout, window, softcap or a diagonal offset. addresses=False
    leaves out what depends on where the tensors lie (for traced tensors, which lie nowhere)."""
    batch, heads_q, seq_q, d = q.shape
    if capability is None or capability[0] != 9:
        return "needs an sm_90 GPU (Hopper)"
    if q.dtype not in (torch.float16, torch.bfloat16) or k.dtype != q.dtype or v.dtype != q.dtype:
        return "needs float16 or bfloat16 q, k, v"
    if d not in HEAD_DIMS or k.shape[3] != d or v.shape[3] != d:
        return f"needs {describe_head_dims(HEAD_DIMS)}, the same for q, k and v (got {d}/{k.shape[3]}/{v.shape[3]})"
    if seq_q != k.shape[2]:
        return f"needs S_q = S_k (got {seq_q} and {k.shape[2]})"
    min_seq = MIN_SEQ[padded_head_dim(d), causal]
    if seq_q < min_seq:
        kind = "causal" if causal else "full"
        return f"runs S >= {min_seq} {kind} at head dim {d} (got {seq_q}; the Triton kernel is faster below)"
    if has_features:
        return "runs no mask, bias, ALiBi, dropout, softcap or offset diagonal"
    if addresses and not all(tma_compatible(t) for t in (q, k, v)):
        return "needs q, k, v with a unit last stride, other strides and the start 16-byte aligned (TMA)"
    if batch * heads_q > 65535:
        return "needs B * H_q <= 65535 (the grid's second axis)"
    return None


def bias_reason(bias, q) -> str | None:
    """Why the kernel cannot add this float attn_mask (B, H_q, S_q, S_k; stride 0 on the dims it
    broadcasts over) to the scores, or None when it can: TMA reads it in (64, 128) boxes."""
    size = bias.element_size()
    if q.shape[3] > 128:
        return "runs a float mask at head dims up to 128 (its stages do not fit beside D = 256's)"
    if bias.dtype != q.dtype:
        return f"needs a float mask in q's dtype ({q.dtype}; got {bias.dtype})"
    if bias.stride(3) != 1 or bias.stride(2) == 0:
        return "needs a mask with a row per query and a unit stride along the keys (not key padding)"
    if bias.data_ptr() % 16 or any(stride * size % 16 for stride in bias.stride()[:3]):
        return "needs a mask whose start and row, head and batch strides are 16-byte aligned (TMA)"
    return None


# Registers a thread (consumer warpgroups, producer) by consumer count: 65,536 an SM shared by the
# warpgroups, the producer's warp padded to one (FlashAttention-3's split: 240 / 24 for two, 160 / 32
# for three).
REGISTERS = {2: (240, 24), 3: (160, 32)}


def consumers_reason(d: int, bias=None) -> str | None:
    """Why a forward call cannot run three consumer warpgroups, or None when it can."""
    if padded_head_dim(d) != 64:
        return f"runs three consumer warpgroups at head dim 64 only (got {d}; larger tiles do not fit in 160 registers a thread)"
    if bias is not None:
        return "runs three consumer warpgroups without a float mask (its stages are sized for two)"
    return None


def half_tiles_reason(d: int, causal: bool, window=None, bias=None) -> str | None:
    """Why a forward call's warpgroups cannot run their edge tiles on half their keys ([Note: half
    tiles]), or None when they can. H200, bf16, 16k tokens (results/2026-11-29-h200-v0.22): D = 128
    causal S = 512 286 -> 299 TFLOP/s, 2048 506 -> 523, windows (256, 0) +3-4%, (1024, 0) +0-8% (two
    runs); D = 64 causal 417 -> 392 at S = 4096 (its softmax, not the tensor cores, sets the pace)."""
    if not causal and window is None:
        return "has no edge tiles to halve (no causal mask or window)"
    if padded_head_dim(d) != 128:
        return f"halves edge tiles on D = 128 tiles only (got {d}; slower at 64, 256's stages hold 64 keys)"
    if bias is not None:
        return "halves no edge tiles beside a float mask (its stages are whole tiles)"
    return None


_LAUNCHER = FastLauncher(attn_fwd_hopper)


def forward_launch(q, k, sm_scale: float, causal: bool, bias=None, window=None, persistent: bool = False,
                   consumers: int = 2, NBUF: int = 2, half_tiles: bool = True):
    """The launch bound to this call's shapes, strides and options, for the calls that share
    them (backends/flash.py keys them): launch(q, k, v, out, lse, bias) writes out (B, H_q, S, D)
    (any strides tma_compatible accepts) and lse (B, H_q, S) fp32 contiguous, natural log; q, k,
    v as unsupported_reason accepts them (GQA: k and v with H_kv heads dividing H_q); bias: a
    float attn_mask as bias_reason accepts it, or None; window: (left, right) >= 0, row i sees
    keys i - left .. i + right (causal then means right = 0), or None. persistent: one program
    an SM, each running query blocks in turn (the next block's loads overlap the last one's
    output store). consumers: 2, or 3 (head dim 64 tiles, no bias; consumers_reason says why not):
    consumer warpgroups a program, each with 64 query rows of its block. half_tiles: a warpgroup
    runs a causal or windowed block's edge tiles on the half of their keys its rows see
    where half_tiles_reason allows ([Note: half tiles])."""
    batch, heads_q, seq, d = q.shape
    assert consumers == 2 or consumers_reason(d, bias) is None, consumers_reason(d, bias)
    block_n = BLOCK_N if padded_head_dim(d) <= 128 else BLOCK_N_256
    consumer_regs, producer_regs = REGISTERS[consumers]
    grid = (triton.cdiv(seq, consumers * SPLIT_M), batch * heads_q)
    work = grid[0] * grid[1]
    if persistent:  # causal: programs take blocks in pairs (_work_item)
        grid = (min(triton.cdiv(work, 2) if causal and window is None else work, _sm_count(q.device)), )
    bias_b, bias_h = bias_descriptor(bias, SPLIT_M, BLOCK_N)[1:] if bias is not None else (0, 0)
    bound = _LAUNCHER.bind(grid, ("M_ptr", "desc_q", "desc_k", "desc_v", "desc_o", "desc_bias"),
                           sm_scale, None, seq, heads_q, heads_q // k.shape[1], None, None, None, None,
                           NBUF, causal and window is None, consumer_regs, producer_regs, None, bias_b, bias_h,
                           bias is not None, *(window or (0, 0)), window is not None, work, persistent, consumers,
                           half_tiles and half_tiles_reason(d, causal, window, bias) is None,
                           num_warps=4)

    def launch(q, k, v, out, lse, bias=None):
        bound(lse, descriptor(q, SPLIT_M), descriptor(k, block_n), descriptor(v, block_n), descriptor(out, SPLIT_M),
              None if bias is None else bias_descriptor(bias, SPLIT_M, BLOCK_N)[0])
    return launch


@functools.lru_cache(maxsize=None)
def _sm_count(device) -> int:
    return torch.cuda.get_device_properties(device).multi_processor_count
