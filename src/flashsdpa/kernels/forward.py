"""FlashAttention-2 forward kernel.

Notation: see kernels/common.py. One program computes BLOCK_M query rows of one
(batch, query head): it streams key/value tiles through on-chip memory with an online
softmax and writes the output rows and their log-sum-exp (natural log, fp32).

The key range of a row block splits into three stages (the Triton tutorial's split,
extended to windows):
  * tiles that every row sees whole: no geometric masking at all;
  * edge tiles before and after them (the causal diagonal, a window's edges, the ragged
    end of the keys): masked.
Tiles that no row of the block can see (above the causal diagonal, outside the window) are
never visited. attn_mask, ALiBi and softcap are compile-time features of every tile.
"""
import triton
import triton.language as tl

from .common import (dropout_keep, dropout_seed, feature_bases, fp32_scalars, first_key_mask_tile, key_mask_tiles,
                     key_range, load_tile, matmul, row_block_and_head, store_tile, tile_scores)


@triton.jit
def _attend_tiles(
    acc, m_i, l_i, q, k_base, v_base, k_offs, v_offs, stride_kn, stride_vn,
    mask_base, stride_mm, stride_mn, slope, bh, seed, dropout_p,
    start_m, rows, offs_n, offs_dqk, offs_dv, start_n, end_n, S_Q, S_K, D_QK, D_V,
    diag_off, lo_off, hi_off, qk_scale, softcap_scale, softcap_log2,
    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, EDGE: tl.constexpr, EVEN_M: tl.constexpr,
    HAS_LO: tl.constexpr, HAS_HI: tl.constexpr, MASK_KIND: tl.constexpr, MASK_INT64: tl.constexpr,
    MASK_ROW_BCAST: tl.constexpr, HAS_ALIBI: tl.constexpr, HAS_SOFTCAP: tl.constexpr, HAS_DROPOUT: tl.constexpr,
    MASK_DQK: tl.constexpr, MASK_DV: tl.constexpr, PRECISION: tl.constexpr,
):
    # Scalar base pointers advance per tile; the in-tile offsets stay loop-invariant int32
    # (a tensor of 64-bit pointers would cost two registers per element).
    k_ptr = k_base + tl.cast(start_n, tl.int64) * stride_kn
    v_ptr = v_base + tl.cast(start_n, tl.int64) * stride_vn
    # [Note] a row can lose every key of a tile (edges, masks): its max stays -inf, and a
    # finite stand-in keeps exp2(-inf - -inf) = NaN out of the sums; such rows end with
    # l = 0 and acc = 0.
    GUARD: tl.constexpr = EDGE or MASK_KIND != 0
    m_next = first_key_mask_tile(mask_base, rows, offs_n, start_n, end_n, stride_mm, stride_mn, S_Q,
                                 MASK_KIND, MASK_INT64, MASK_ROW_BCAST)
    for n0 in range(start_n, end_n, BLOCK_N):
        n0 = tl.multiple_of(n0, BLOCK_N)  # every stage starts on a tile boundary: aligned mask loads
        cols = n0 + offs_n
        m, m_next = key_mask_tiles(m_next, mask_base, rows, offs_n, n0, start_n, end_n, stride_mm, stride_mn, S_Q,
                                   S_K, MASK_KIND, MASK_INT64, MASK_ROW_BCAST, BLOCK_N, EDGE or not EVEN_M)
        kT = load_tile(k_ptr + k_offs, offs_dqk, D_QK, cols, S_K, MASK_DQK, EDGE)  # (BLOCK_DQK, BLOCK_N)
        s, _ = tile_scores(matmul(q, kT, PRECISION), rows[:, None], cols[None, :], m, S_K, slope, diag_off,
                           lo_off, hi_off, qk_scale, softcap_scale, softcap_log2, MASK_KIND, HAS_ALIBI,
                           HAS_SOFTCAP, HAS_LO, HAS_HI, EDGE)                 # (BLOCK_M, BLOCK_N), log2 domain
        m_new = tl.maximum(m_i, tl.max(s, 1))
        if GUARD:
            m_sub = tl.where(m_new == float("-inf"), 0.0, m_new)
        else:
            m_sub = m_new
        p = tl.math.exp2(s - m_sub[:, None])
        alpha = tl.math.exp2(m_i - m_sub)
        l_i = l_i * alpha + tl.sum(p, 1)
        if HAS_DROPOUT:  # the normaliser counts every key; only the output sees the dropout
            p = tl.where(dropout_keep(seed, bh, start_m, n0, dropout_p, BLOCK_M, BLOCK_N), p, 0.0)
        v = load_tile(v_ptr + v_offs, cols, S_K, offs_dv, D_V, EDGE, MASK_DV)      # (BLOCK_N, BLOCK_DV)
        acc = acc * alpha[:, None] + matmul(p.to(v.dtype), v, PRECISION)
        m_i = m_new
        k_ptr += BLOCK_N * stride_kn
        v_ptr += BLOCK_N * stride_vn
    return acc, m_i, l_i


@triton.jit(do_not_specialize=["S_Q", "S_K", "diag_off", "lo_off", "hi_off", "seed_host"])
def attention_forward_kernel(
    Q, K, V, Out, LSE,
    stride_qb, stride_qh, stride_qm, stride_qd,
    stride_kb, stride_kh, stride_kn, stride_kd,
    stride_vb, stride_vh, stride_vn, stride_vd,
    stride_ob, stride_oh, stride_om, stride_od,
    Mask, Slopes, stride_mb, stride_mh, stride_mm, stride_mn,
    stride_sb, stride_sh,
    H_Q, GROUP, S_Q, S_K, diag_off, lo_off, hi_off, qk_scale, softcap_scale, softcap_log2,
    dropout_p, Seed, seed_host: tl.int64,
    D_QK: tl.constexpr, D_V: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
    BLOCK_DQK: tl.constexpr, BLOCK_DV: tl.constexpr,
    HAS_LO: tl.constexpr, HAS_HI: tl.constexpr, MASK_KIND: tl.constexpr, MASK_INT64: tl.constexpr,
    MASK_ROW_BCAST: tl.constexpr, HAS_ALIBI: tl.constexpr, HAS_SOFTCAP: tl.constexpr, HAS_DROPOUT: tl.constexpr,
    EVEN_M: tl.constexpr, EVEN_N: tl.constexpr, PRECISION: tl.constexpr, REVERSE_GRID: tl.constexpr,
):
    MASK_DQK: tl.constexpr = BLOCK_DQK != D_QK
    MASK_DV: tl.constexpr = BLOCK_DV != D_V
    seed = dropout_seed(Seed, seed_host, HAS_DROPOUT)
    qk_scale, softcap_scale, softcap_log2, dropout_p = fp32_scalars(qk_scale, softcap_scale, softcap_log2, dropout_p)
    block_m, bh = row_block_and_head(S_Q, BLOCK_M, REVERSE_GRID, REVERSE_GRID)
    b = bh // H_Q
    h = bh % H_Q
    h_kv = h // GROUP
    # 64-bit base offsets: B*H*S*D may exceed 2**31 elements.
    q_base = Q + b.to(tl.int64) * stride_qb + h.to(tl.int64) * stride_qh
    k_base = K + b.to(tl.int64) * stride_kb + h_kv.to(tl.int64) * stride_kh
    v_base = V + b.to(tl.int64) * stride_vb + h_kv.to(tl.int64) * stride_vh
    o_base = Out + b.to(tl.int64) * stride_ob + h.to(tl.int64) * stride_oh
    mask_base, slope = feature_bases(Mask, Slopes, b, h, stride_mb, stride_mh, stride_sb, stride_sh, HAS_ALIBI)

    start_m = block_m * BLOCK_M
    rows = start_m + tl.arange(0, BLOCK_M)
    offs_n = tl.arange(0, BLOCK_N)
    offs_dqk = tl.arange(0, BLOCK_DQK)
    offs_dv = tl.arange(0, BLOCK_DV)

    q_ptrs = q_base + rows[:, None].to(tl.int64) * stride_qm + offs_dqk[None, :] * stride_qd
    q = load_tile(q_ptrs, rows, S_Q, offs_dqk, D_QK, not EVEN_M, MASK_DQK)
    k_offs = offs_dqk[:, None] * stride_kd + offs_n[None, :] * stride_kn
    v_offs = offs_n[:, None] * stride_vn + offs_dv[None, :] * stride_vd

    m_i = tl.full([BLOCK_M], float("-inf"), dtype=tl.float32)
    l_i = tl.zeros([BLOCK_M], dtype=tl.float32)
    acc = tl.zeros([BLOCK_M, BLOCK_DV], dtype=tl.float32)

    start, full_lo, full_hi, end = key_range(start_m, S_K, lo_off, hi_off, mask_base, stride_mn, BLOCK_M, BLOCK_N,
                                             HAS_LO, HAS_HI, EVEN_N, MASK_KIND == 1 and MASK_ROW_BCAST)
    bounds = (start, full_lo, full_hi, end)
    for stage in tl.static_range(3):  # edge tiles, whole tiles, edge tiles; compiled only where they can occur
        if stage == 1 or (stage == 0 and HAS_LO) or (stage == 2 and (HAS_HI or not EVEN_N)):
            acc, m_i, l_i = _attend_tiles(
                acc, m_i, l_i, q, k_base, v_base, k_offs, v_offs, stride_kn, stride_vn,
                mask_base, stride_mm, stride_mn, slope, bh, seed, dropout_p,
                start_m, rows, offs_n, offs_dqk, offs_dv, bounds[stage], bounds[stage + 1], S_Q, S_K, D_QK, D_V,
                diag_off, lo_off, hi_off, qk_scale, softcap_scale, softcap_log2,
                BLOCK_M, BLOCK_N, stage != 1, EVEN_M, HAS_LO, HAS_HI, MASK_KIND, MASK_INT64, MASK_ROW_BCAST,
                HAS_ALIBI, HAS_SOFTCAP, HAS_DROPOUT, MASK_DQK, MASK_DV, PRECISION)

    # [Note] a row that sees no key has l = 0: its output is 0 and its log-sum-exp -inf,
    # deliberately (torch's math path would give NaN there).
    l_safe = tl.where(l_i == 0.0, 1.0, l_i)
    if HAS_DROPOUT:
        l_safe = l_safe * (1.0 - dropout_p)
    out = acc / l_safe[:, None]
    lse = (m_i + tl.math.log2(l_i)) * 0.6931471805599453  # back to natural log
    o_ptrs = o_base + rows[:, None].to(tl.int64) * stride_om + offs_dv[None, :] * stride_od
    store_tile(o_ptrs, out.to(Out.dtype.element_ty), rows, S_Q, offs_dv, D_V, not EVEN_M, MASK_DV)
    lse_ptrs = LSE + bh.to(tl.int64) * S_Q + rows
    if EVEN_M:
        tl.store(lse_ptrs, lse)
    else:
        tl.store(lse_ptrs, lse, mask=rows < S_Q)
