"""FA3-style Hopper forward attention in Gluon (Triton 3.6.0): a skeleton that compiles for
sm_90a (see GLUON_HOPPER.md section 4 for what is verified and what is inferred) and has not
yet run on a GPU. Run it with benchmarks/experiment_gluon_forward.py, which checks it against
torch in a subprocess with a time limit (a wrong mbarrier phase hangs the GPU, not Python).
"""
import triton
from triton.experimental import gluon
from triton.experimental.gluon import language as gl
from triton.experimental.gluon.nvidia.hopper import TensorDescriptor
from triton.experimental.gluon.language.nvidia.hopper import (
    tma, mbarrier, fence_async_shared, warpgroup_mma, warpgroup_mma_wait)


@gluon.jit
def _producer(desc_q, desc_k, desc_v, q_bufs, k_bufs, v_bufs,
              q_ready, k_ready, k_empty, v_ready, v_empty,
              N_CTX, CAUSAL: gl.constexpr):
    SPLIT_M: gl.constexpr = desc_q.block_type.shape[0]
    BLOCK_M: gl.constexpr = 2 * SPLIT_M
    BLOCK_N: gl.constexpr = desc_k.block_type.shape[0]
    NBUF: gl.constexpr = k_bufs.type.shape[0]
    start_m = gl.program_id(0)
    off_hz = gl.program_id(1)
    row0 = off_hz * N_CTX                      # first row of this (z, h) in the flattened [Z*H*N_CTX, D] view
    q_row = row0 + start_m * BLOCK_M
    for c in gl.static_range(2):               # Q halves for the two consumer warpgroups
        mbarrier.expect(q_ready.index(c), desc_q.block_type.nbytes)
        tma.async_copy_global_to_shared(desc_q, [q_row + c * SPLIT_M, 0], q_ready.index(c), q_bufs.index(c))
    if CAUSAL:
        hi = (start_m + 1) * BLOCK_M
    else:
        hi = N_CTX
    n_tiles = gl.cdiv(hi, BLOCK_N)
    for j in range(n_tiles):
        idx = j % NBUF
        ph = (j // NBUF) & 1
        kv_row = row0 + j * BLOCK_N
        # fresh mbarrier: waiting on parity 1 returns immediately (tutorial 08 idiom)
        mbarrier.wait(k_empty.index(idx), ph ^ 1)
        mbarrier.expect(k_ready.index(idx), desc_k.block_type.nbytes)
        tma.async_copy_global_to_shared(desc_k, [kv_row, 0], k_ready.index(idx), k_bufs.index(idx))
        mbarrier.wait(v_empty.index(idx), ph ^ 1)
        mbarrier.expect(v_ready.index(idx), desc_v.block_type.nbytes)
        tma.async_copy_global_to_shared(desc_v, [kv_row, 0], v_ready.index(idx), v_bufs.index(idx))


@gluon.jit
def _softmax_tile(s, m_i, l_i, qk_scale, start_n, offs_m, BLOCK_N: gl.constexpr,
                  s_layout: gl.constexpr, CAUSAL: gl.constexpr):
    if CAUSAL:
        # only the tile(s) that straddle the diagonal pay for the mask
        if start_n + BLOCK_N > gl.min(offs_m, axis=0):
            offs_n = start_n + gl.arange(0, BLOCK_N, layout=gl.SliceLayout(0, s_layout))
            s = gl.where(offs_n[None, :] <= offs_m[:, None], s, -float("inf"))
    m_new = gl.maximum(m_i, gl.max(s, axis=1) * qk_scale)
    p = gl.exp2(s * qk_scale - m_new[:, None])
    alpha = gl.exp2(m_i - m_new)
    l_i = l_i * alpha + gl.sum(p, axis=1)
    return p, m_new, l_i, alpha


@gluon.jit
def _consumer(cid: gl.constexpr, sm_scale, M_ptr, desc_o, q_bufs, k_bufs, v_bufs, o_bufs,
              q_ready, k_ready, k_empty, v_ready, v_empty, turn,
              N_CTX, CAUSAL: gl.constexpr):
    SPLIT_M: gl.constexpr = q_bufs.type.shape[1]
    HEAD_DIM: gl.constexpr = q_bufs.type.shape[2]
    BLOCK_M: gl.constexpr = 2 * SPLIT_M
    BLOCK_N: gl.constexpr = k_bufs.type.shape[1]
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
    start_m = gl.program_id(0)
    off_hz = gl.program_id(1)
    offs_m = start_m * BLOCK_M + cid * SPLIT_M + gl.arange(0, SPLIT_M, layout=row_s)
    if CAUSAL:
        hi = (start_m + 1) * BLOCK_M
    else:
        hi = N_CTX
    n_tiles = gl.cdiv(hi, BLOCK_N)

    q_smem = q_bufs.index(cid)
    my_turn = turn.index(cid)
    other_turn = turn.index(1 - cid)
    mbarrier.wait(q_ready.index(cid), 0)

    m_i = gl.full([SPLIT_M], -float("inf"), gl.float32, row_s)
    l_i = gl.full([SPLIT_M], 0.0, gl.float32, row_s)
    o = gl.zeros([SPLIT_M, HEAD_DIM], gl.float32, o_layout)
    s0 = gl.zeros([SPLIT_M, BLOCK_N], gl.float32, s_layout)

    # ---- prologue: S_0 = Q K_0^T, softmax(S_0) ----
    mbarrier.wait(k_ready.index(0), 0)
    mbarrier.wait(my_turn, 0)                                    # ping-pong: wait for our GEMM slot
    s = warpgroup_mma(q_smem, k_bufs.index(0).permute((1, 0)), s0, use_acc=False, is_async=True)
    mbarrier.arrive(other_turn, count=1)                         # hand the tensor cores to the other WG
    s = warpgroup_mma_wait(num_outstanding=0, deps=(s, ))
    mbarrier.arrive(k_empty.index(0), count=1)
    p, m_i, l_i, alpha = _softmax_tile(s, m_i, l_i, qk_scale, 0, offs_m, BLOCK_N, s_layout, CAUSAL)

    # ---- steady state: issue S_j = Q K_j^T and O += P_{j-1} V_{j-1}, softmax(S_j) overlaps PV ----
    for j in range(1, n_tiles):
        idx = j % NBUF
        ph = (j // NBUF) & 1
        pidx = (j - 1) % NBUF
        pph = ((j - 1) // NBUF) & 1
        mbarrier.wait(k_ready.index(idx), ph)
        mbarrier.wait(my_turn, j & 1)
        s = warpgroup_mma(q_smem, k_bufs.index(idx).permute((1, 0)), s0, use_acc=False, is_async=True)
        mbarrier.wait(v_ready.index(pidx), pph)
        p_op = gl.convert_layout(p.to(dtype), p_layout, assert_trivial=True)
        o = warpgroup_mma(p_op, v_bufs.index(pidx), o, is_async=True)
        mbarrier.arrive(other_turn, count=1)
        s = warpgroup_mma_wait(num_outstanding=1, deps=(s, ))   # S_j ready, PV_{j-1} may still run
        mbarrier.arrive(k_empty.index(idx), count=1)
        p, m_i, l_i, alpha = _softmax_tile(s, m_i, l_i, qk_scale, j * BLOCK_N, offs_m, BLOCK_N, s_layout, CAUSAL)
        o = warpgroup_mma_wait(num_outstanding=0, deps=(o, ))
        mbarrier.arrive(v_empty.index(pidx), count=1)
        o = o * gl.convert_layout(alpha, row_o)[:, None]

    # ---- drain: O += P_{n-1} V_{n-1} ----
    lidx = (n_tiles - 1) % NBUF
    lph = ((n_tiles - 1) // NBUF) & 1
    mbarrier.wait(v_ready.index(lidx), lph)
    p_op = gl.convert_layout(p.to(dtype), p_layout, assert_trivial=True)
    o = warpgroup_mma(p_op, v_bufs.index(lidx), o, is_async=True)
    o = warpgroup_mma_wait(num_outstanding=0, deps=(o, ))
    mbarrier.arrive(v_empty.index(lidx), count=1)

    # ---- epilogue: O / l via SMEM + TMA store; LSE (natural log) via plain store ----
    l_o = gl.convert_layout(l_i, row_o)
    o = o / l_o[:, None]
    lse_layout: gl.constexpr = gl.BlockedLayout([1], [32], [4], [0])   # pattern from examples/gluon/01-attention-forward.py
    lse = gl.convert_layout((m_i + gl.log2(l_i)) * 0.6931471805599453, lse_layout)  # natural-log LSE
    gl.store(M_ptr + off_hz * N_CTX + gl.convert_layout(offs_m, lse_layout), lse)
    o_smem = o_bufs.index(cid)
    o_smem.store(o.to(dtype))
    fence_async_shared()
    tma.async_copy_shared_to_global(desc_o, [off_hz * N_CTX + start_m * BLOCK_M + cid * SPLIT_M, 0], o_smem)
    tma.store_wait(pendings=0)


@gluon.jit
def attn_fwd_hopper(sm_scale, M_ptr, N_CTX, desc_q, desc_k, desc_v, desc_o,
                    NBUF: gl.constexpr, CAUSAL: gl.constexpr, CONSUMER_REGS: gl.constexpr,
                    PRODUCER_REGS: gl.constexpr):
    dtype: gl.constexpr = desc_q.dtype
    q_bufs = gl.allocate_shared_memory(dtype, [2] + desc_q.block_type.shape, desc_q.layout)
    k_bufs = gl.allocate_shared_memory(dtype, [NBUF] + desc_k.block_type.shape, desc_k.layout)
    v_bufs = gl.allocate_shared_memory(dtype, [NBUF] + desc_v.block_type.shape, desc_v.layout)
    o_bufs = gl.allocate_shared_memory(dtype, [2] + desc_o.block_type.shape, desc_o.layout)
    q_ready = gl.allocate_shared_memory(gl.int64, [2, 1], mbarrier.MBarrierLayout())
    turn = gl.allocate_shared_memory(gl.int64, [2, 1], mbarrier.MBarrierLayout())
    k_ready = gl.allocate_shared_memory(gl.int64, [NBUF, 1], mbarrier.MBarrierLayout())
    k_empty = gl.allocate_shared_memory(gl.int64, [NBUF, 1], mbarrier.MBarrierLayout())
    v_ready = gl.allocate_shared_memory(gl.int64, [NBUF, 1], mbarrier.MBarrierLayout())
    v_empty = gl.allocate_shared_memory(gl.int64, [NBUF, 1], mbarrier.MBarrierLayout())
    for i in gl.static_range(2):
        mbarrier.init(q_ready.index(i), count=1)
        mbarrier.init(turn.index(i), count=1)
    for i in gl.static_range(NBUF):
        mbarrier.init(k_ready.index(i), count=1)
        mbarrier.init(v_ready.index(i), count=1)
        mbarrier.init(k_empty.index(i), count=2)   # both consumer warpgroups release each K/V stage
        mbarrier.init(v_empty.index(i), count=2)
    mbarrier.arrive(turn.index(0), count=1)        # consumer 0 issues GEMMs first

    cargs = (sm_scale, M_ptr, desc_o, q_bufs, k_bufs, v_bufs, o_bufs, q_ready, k_ready, k_empty,
             v_ready, v_empty, turn, N_CTX, CAUSAL)
    c0: gl.constexpr = 0
    c1: gl.constexpr = 1
    pargs = (desc_q, desc_k, desc_v, q_bufs, k_bufs, v_bufs, q_ready, k_ready, k_empty, v_ready, v_empty,
             N_CTX, CAUSAL)
    gl.warp_specialize([
        (_consumer, (c0, ) + cargs),  # default partition: num_warps (=4) warps = consumer warpgroup 0
        (_consumer, (c1, ) + cargs),  # worker 0: consumer warpgroup 1 (4 warps)
        (_producer, pargs),           # worker 1: TMA producer, 1 warp
    ], [4, 1], [CONSUMER_REGS, PRODUCER_REGS])


def attention_forward(q, k, v, sm_scale, causal, NBUF=2, consumer_regs=240, producer_regs=24):
    """q, k, v: [Z, H, N_CTX, D] contiguous bf16/fp16; N_CTX % 128 == 0 assumed by this skeleton."""
    import torch
    Z, H, N_CTX, D = q.shape
    SPLIT_M, BLOCK_N = 64, 128
    assert N_CTX % (2 * SPLIT_M) == 0 and N_CTX % BLOCK_N == 0
    gdt = gl.bfloat16 if q.dtype == torch.bfloat16 else gl.float16
    o = torch.empty_like(q)
    M = torch.empty((Z, H, N_CTX), device=q.device, dtype=torch.float32)
    y = Z * H * N_CTX

    def desc(t, block):
        layout = gl.NVMMASharedLayout.get_default_for(block, gdt)
        return TensorDescriptor(t.view(y, D), shape=[y, D], strides=[D, 1], block_shape=block, layout=layout)

    dq, dk, dv, do = desc(q, [SPLIT_M, D]), desc(k, [BLOCK_N, D]), desc(v, [BLOCK_N, D]), desc(o, [SPLIT_M, D])
    grid = (N_CTX // (2 * SPLIT_M), Z * H)
    attn_fwd_hopper[grid](sm_scale, M, N_CTX, dq, dk, dv, do, NBUF, causal, consumer_regs, producer_regs,
                          num_warps=4)
    return o, M
