"""FlashAttention-2 backward kernels.

Notation: see kernels/common.py. With P = softmax(S) recomputed from the saved
log-sum-exp, Z the dropout keep-mask (all ones without dropout) and r = 1 / (1 - dropout_p),
dS = P * (r Z * (dO V^T) - delta) where delta = rowsum(dO * O):
    dV = (r Z * P)^T dO,   dK = scale * dS'^T Q,   dQ = scale * dS' K,   d attn_mask = dS,
with dS' = dS * (1 - tanh^2) under softcap, else dS.
Two launches, none of them atomic, so results are deterministic:
  1. dQ (and d attn_mask): one program per query block, looping over key blocks like the
     forward; it computes delta for its rows from O and dO (which it loads anyway) and stores
     it for launch 2, so no separate pass over O and dO (FlashAttention-2's preprocess launch)
     is needed: a launch costs ~25 µs of host time, more than a small call's GPU time;
  2. dK/dV: one program per key block of one key-value head; it loops over the GROUP
     query heads that share that head (GQA without repeating K/V) and their query blocks.
"""
import triton
import triton.language as tl

from .common import (dropout_keep, dropout_seed, feature_bases, fp32_scalars, first_key_mask_tile, key_mask_tiles,
                     key_range, load_mask_tile, load_tile, matmul, next_tile_start, row_block_and_head, store_tile,
                     tile_columns, tile_scores)


@triton.jit
def _load_row_lse(LSE, row_base, rows, S_Q, EVEN_M: tl.constexpr):
    """Per-row log-sum-exp, in the log2 domain. Rows past S_Q and rows that saw no key get
    lse = +inf, which makes their recomputed P exactly 0."""
    if EVEN_M:
        lse = tl.load(LSE + row_base + rows)
    else:
        lse = tl.load(LSE + row_base + rows, mask=rows < S_Q, other=float("inf"))
    return tl.where(lse == float("-inf"), float("inf"), lse) * 1.4426950408889634


@triton.jit
def _load_row_stats(LSE, Delta, row_base, rows, S_Q, EVEN_M: tl.constexpr):
    """Per-row log-sum-exp (as _load_row_lse) and delta (0 past S_Q)."""
    if EVEN_M:
        delta = tl.load(Delta + row_base + rows)
    else:
        delta = tl.load(Delta + row_base + rows, mask=rows < S_Q, other=0.0)
    return _load_row_lse(LSE, row_base, rows, S_Q, EVEN_M), delta


@triton.jit
def _score_axes(rows, cols, QUERY_ROWS: tl.constexpr):
    """Query rows and key columns broadcast along the dK/dV kernel's scores tile: (BLOCK_M,
    BLOCK_N) with QUERY_ROWS, else (BLOCK_N, BLOCK_M) (see _dkdv_tiles)."""
    if QUERY_ROWS:
        r2 = rows[:, None]
        c2 = cols[None, :]
    else:
        r2 = rows[None, :]
        c2 = cols[:, None]
    return r2, c2


@triton.jit
def _keys_first(x, QUERY_ROWS: tl.constexpr):
    """A scores-shaped tile with keys along its rows, as dV's and dK's products take it."""
    if QUERY_ROWS:
        x = tl.trans(x)
    return x


@triton.jit
def _dkdv_tiles(
    dk, dv, k, v, q_ptr, do_ptr, q_offs, do_offs, LSE, Delta, row_base, stride_qm, stride_dom,
    mask_base, stride_mm, stride_mn, slope, bh, seed, dropout_p,
    offs_m, cols, start_n, offs_dqk, offs_dv, start_m, end_m, S_Q, S_K, D_QK, D_V,
    diag_off, lo_off, hi_off, qk_scale, softcap_scale, softcap_log2,
    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, EDGE: tl.constexpr, EVEN_M: tl.constexpr, EVEN_N: tl.constexpr,
    HAS_LO: tl.constexpr, HAS_HI: tl.constexpr, MASK_KIND: tl.constexpr, MASK_INT64: tl.constexpr,
    MASK_ROW_BCAST: tl.constexpr, HAS_ALIBI: tl.constexpr, HAS_SOFTCAP: tl.constexpr, HAS_DROPOUT: tl.constexpr,
    MASK_DQK: tl.constexpr, MASK_DV: tl.constexpr, PRECISION: tl.constexpr, QUERY_ROWS: tl.constexpr,
):
    q_ptr += tl.cast(start_m, tl.int64) * stride_qm
    do_ptr += tl.cast(start_m, tl.int64) * stride_dom
    PREFETCH: tl.constexpr = MASK_KIND != 0 and not MASK_ROW_BCAST  # as in the forward, along the rows
    if PREFETCH:
        r2, c2 = _score_axes(start_m + offs_m, cols, QUERY_ROWS)
        m_next = load_mask_tile(mask_base, r2, c2, stride_mm, stride_mn, tl.minimum(end_m, S_Q), S_K, MASK_KIND,
                                MASK_INT64, False, True)
    for m0 in range(start_m, end_m, BLOCK_M):
        m0 = tl.multiple_of(m0, BLOCK_M)
        rows = m0 + offs_m
        r2, c2 = _score_axes(rows, cols, QUERY_ROWS)
        if PREFETCH:
            m = m_next
            r2_next, c2_next = _score_axes(next_tile_start(m0, start_m, end_m, BLOCK_M) + offs_m, cols, QUERY_ROWS)
            m_next = load_mask_tile(mask_base, r2_next, c2_next, stride_mm, stride_mn, S_Q, S_K, MASK_KIND,
                                    MASK_INT64, False, not (EVEN_M and EVEN_N))
        else:
            m = load_mask_tile(mask_base, r2, c2, stride_mm, stride_mn, S_Q, S_K, MASK_KIND, MASK_INT64,
                               MASK_ROW_BCAST, not (EVEN_M and EVEN_N))
        q = load_tile(q_ptr + q_offs, rows, S_Q, offs_dqk, D_QK, not EVEN_M, MASK_DQK)    # (BLOCK_M, BLOCK_DQK)
        do = load_tile(do_ptr + do_offs, rows, S_Q, offs_dv, D_V, not EVEN_M, MASK_DV)  # (BLOCK_M, BLOCK_DV)
        lse, delta = _load_row_stats(LSE, Delta, row_base, rows, S_Q, EVEN_M)
        # The scores tile: the transposed sT = K Q^T (BLOCK_N, BLOCK_M), so that dV and dK come
        # out of plain products; or, with QUERY_ROWS, S = Q K^T (BLOCK_M, BLOCK_N), whose P^T and
        # dS^T reach those products through shared memory. At 8 warps Triton splits a 64-row
        # tile's two warpgroups along its columns only for the dK/dV accumulators and computes
        # a (64, BLOCK_M) sT in both, twice the work: 128 query rows a tile avoid that where dK
        # and dV leave no registers for 128 keys (head dim 256).
        if QUERY_ROWS:
            s, t = tile_scores(matmul(q, tl.trans(k), PRECISION), r2, c2, m, S_K, slope, diag_off, lo_off, hi_off,
                               qk_scale, softcap_scale, softcap_log2, MASK_KIND, HAS_ALIBI, HAS_SOFTCAP, HAS_LO,
                               HAS_HI, EDGE)
            p = tl.math.exp2(s - lse[:, None])
            dp = matmul(do, tl.trans(v), PRECISION)
            delta = delta[:, None]
        else:
            s, t = tile_scores(matmul(k, tl.trans(q), PRECISION), r2, c2, m, S_K, slope, diag_off, lo_off, hi_off,
                               qk_scale, softcap_scale, softcap_log2, MASK_KIND, HAS_ALIBI, HAS_SOFTCAP, HAS_LO,
                               HAS_HI, EDGE)
            p = tl.math.exp2(s - lse[None, :])
            dp = matmul(v, tl.trans(do), PRECISION)
            delta = delta[None, :]
        if HAS_DROPOUT:
            keep = dropout_keep(seed, bh, m0, start_n, dropout_p, BLOCK_M, BLOCK_N)
            if not QUERY_ROWS:
                keep = tl.trans(keep)
            scale_kept = 1.0 / (1.0 - dropout_p)
            dv += matmul(_keys_first(tl.where(keep, p * scale_kept, 0.0).to(do.dtype), QUERY_ROWS), do, PRECISION)
            dp = tl.where(keep, dp * scale_kept, 0.0)
        else:
            dv += matmul(_keys_first(p.to(do.dtype), QUERY_ROWS), do, PRECISION)
        ds = p * (dp - delta)
        if HAS_SOFTCAP:
            ds = ds * (1.0 - t * t)
        dk += matmul(_keys_first(ds.to(q.dtype), QUERY_ROWS), q, PRECISION)
        q_ptr += BLOCK_M * stride_qm
        do_ptr += BLOCK_M * stride_dom
    return dk, dv


@triton.jit(do_not_specialize=["S_Q", "S_K", "diag_off", "lo_off", "hi_off", "seed_host"])
def attention_backward_dkdv_kernel(
    Q, K, V, dOut, LSE, Delta, dK, dV,
    stride_qb, stride_qh, stride_qm, stride_qd,
    stride_kb, stride_kh, stride_kn, stride_kd,
    stride_vb, stride_vh, stride_vn, stride_vd,
    stride_dob, stride_doh, stride_dom, stride_dod,
    stride_dkb, stride_dkh, stride_dkn, stride_dkd,
    stride_dvb, stride_dvh, stride_dvn, stride_dvd,
    Mask, Slopes, stride_mb, stride_mh, stride_mm, stride_mn,
    stride_sb, stride_sh,
    H_Q, H_KV, GROUP, S_Q, S_K, diag_off, lo_off, hi_off, qk_scale, sm_scale, softcap_scale, softcap_log2,
    dropout_p, Seed, seed_host: tl.int64,
    D_QK: tl.constexpr, D_V: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
    BLOCK_DQK: tl.constexpr, BLOCK_DV: tl.constexpr,
    HAS_LO: tl.constexpr, HAS_HI: tl.constexpr, MASK_KIND: tl.constexpr, MASK_INT64: tl.constexpr,
    MASK_ROW_BCAST: tl.constexpr, HAS_ALIBI: tl.constexpr, HAS_SOFTCAP: tl.constexpr, HAS_DROPOUT: tl.constexpr,
    EVEN_M: tl.constexpr, EVEN_N: tl.constexpr, PRECISION: tl.constexpr, QUERY_ROWS: tl.constexpr = False,
):
    MASK_DQK: tl.constexpr = BLOCK_DQK != D_QK
    MASK_DV: tl.constexpr = BLOCK_DV != D_V
    seed = dropout_seed(Seed, seed_host, HAS_DROPOUT)
    qk_scale, softcap_scale, softcap_log2, dropout_p = fp32_scalars(qk_scale, softcap_scale, softcap_log2, dropout_p)
    sm_scale = tl.cast(sm_scale, tl.float32)
    block_n, bh_kv = row_block_and_head(S_K, BLOCK_N, False, HAS_HI)   # an upper bound: early keys seen most
    start_n = block_n * BLOCK_N
    b = bh_kv // H_KV
    h_kv = bh_kv % H_KV
    cols = start_n + tl.arange(0, BLOCK_N)
    offs_m = tl.arange(0, BLOCK_M)
    offs_dqk = tl.arange(0, BLOCK_DQK)
    offs_dv = tl.arange(0, BLOCK_DV)

    k = load_tile(K + b.to(tl.int64) * stride_kb + h_kv.to(tl.int64) * stride_kh
                  + cols[:, None].to(tl.int64) * stride_kn + offs_dqk[None, :] * stride_kd,
                  cols, S_K, offs_dqk, D_QK, not EVEN_N, MASK_DQK)                  # (BLOCK_N, BLOCK_DQK)
    v = load_tile(V + b.to(tl.int64) * stride_vb + h_kv.to(tl.int64) * stride_vh
                  + cols[:, None].to(tl.int64) * stride_vn + offs_dv[None, :] * stride_vd,
                  cols, S_K, offs_dv, D_V, not EVEN_N, MASK_DV)                     # (BLOCK_N, BLOCK_DV)
    dk = tl.zeros([BLOCK_N, BLOCK_DQK], dtype=tl.float32)
    dv = tl.zeros([BLOCK_N, BLOCK_DV], dtype=tl.float32)

    # Query rows that see any of these keys: i + lo_off <= last col and i + hi_off >= start_n;
    # those that see all of them (no geometric masking): i + lo_off <= start_n and
    # i + hi_off >= last col. Rows past S_Q get P = 0 from their lse (see _load_row_stats).
    end_m = tl.cdiv(S_Q, BLOCK_M) * BLOCK_M
    first = 0
    last = end_m
    full_lo = 0
    full_hi = end_m
    if HAS_HI:
        first = tl.minimum(tl.maximum(start_n - hi_off, 0) // BLOCK_M * BLOCK_M, end_m)
        full_lo = tl.minimum(tl.cdiv(tl.maximum(start_n + BLOCK_N - 1 - hi_off, 0), BLOCK_M) * BLOCK_M, end_m)
    if HAS_LO:
        last = tl.minimum(tl.cdiv(tl.maximum(start_n + BLOCK_N - lo_off, 0), BLOCK_M) * BLOCK_M, end_m)
        full_hi = tl.maximum(start_n - lo_off + 1, 0) // BLOCK_M * BLOCK_M
    last = tl.maximum(last, first)
    full_lo = tl.minimum(tl.maximum(full_lo, first), last)
    full_hi = tl.maximum(tl.minimum(full_hi, last), full_lo)

    q_offs = offs_m[:, None] * stride_qm + offs_dqk[None, :] * stride_qd
    do_offs = offs_m[:, None] * stride_dom + offs_dv[None, :] * stride_dod
    for g in range(0, GROUP):
        h = h_kv * GROUP + g
        bh = b * H_Q + h
        row_base = bh.to(tl.int64) * S_Q
        q_ptr = Q + b.to(tl.int64) * stride_qb + h.to(tl.int64) * stride_qh
        do_ptr = dOut + b.to(tl.int64) * stride_dob + h.to(tl.int64) * stride_doh
        mask_base, slope = feature_bases(Mask, Slopes, b, h, stride_mb, stride_mh, stride_sb, stride_sh, HAS_ALIBI)
        bounds = (first, full_lo, full_hi, last)
        if MASK_KIND == 1 and MASK_ROW_BCAST:  # a key block that key padding removes: no rows at all
            keep = tl.load(mask_base + cols.to(tl.int64) * stride_mn, mask=cols < S_K, other=0)
            stop = tl.where(tl.max(keep.to(tl.int32)) == 0, first, last)
            bounds = (first, tl.minimum(full_lo, stop), tl.minimum(full_hi, stop), stop)
        for stage in tl.static_range(3):  # edge rows, rows that see the whole key block, edge rows
            if stage == 1 or (stage == 0 and HAS_HI) or (stage == 2 and HAS_LO):
                dk, dv = _dkdv_tiles(
                    dk, dv, k, v, q_ptr, do_ptr, q_offs, do_offs, LSE, Delta, row_base, stride_qm, stride_dom,
                    mask_base, stride_mm, stride_mn, slope, bh, seed, dropout_p,
                    offs_m, cols, start_n, offs_dqk, offs_dv, bounds[stage], bounds[stage + 1], S_Q, S_K, D_QK, D_V,
                    diag_off, lo_off, hi_off, qk_scale, softcap_scale, softcap_log2,
                    BLOCK_M, BLOCK_N, stage != 1, EVEN_M, EVEN_N, HAS_LO, HAS_HI, MASK_KIND, MASK_INT64,
                    MASK_ROW_BCAST, HAS_ALIBI, HAS_SOFTCAP, HAS_DROPOUT, MASK_DQK, MASK_DV, PRECISION, QUERY_ROWS)

    dk *= sm_scale
    store_tile(dK + b.to(tl.int64) * stride_dkb + h_kv.to(tl.int64) * stride_dkh
               + cols[:, None].to(tl.int64) * stride_dkn + offs_dqk[None, :] * stride_dkd,
               dk.to(dK.dtype.element_ty), cols, S_K, offs_dqk, D_QK, not EVEN_N, MASK_DQK)
    store_tile(dV + b.to(tl.int64) * stride_dvb + h_kv.to(tl.int64) * stride_dvh
               + cols[:, None].to(tl.int64) * stride_dvn + offs_dv[None, :] * stride_dvd,
               dv.to(dV.dtype.element_ty), cols, S_K, offs_dv, D_V, not EVEN_N, MASK_DV)


@triton.jit
def _dq_tiles(
    dq, q, do, lse, delta, k_ptr, v_ptr, k_offs, v_offs, stride_kn, stride_vn,
    mask_base, stride_mm, stride_mn, dmask_ptr, stride_dmm, slope, bh, seed, dropout_p,
    start_m, rows, offs_n, offs_dqk, offs_dv, start_n, end_n, S_Q, S_K, D_QK, D_V,
    diag_off, lo_off, hi_off, qk_scale, softcap_scale, softcap_log2,
    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, EDGE: tl.constexpr, EVEN_M: tl.constexpr,
    HAS_LO: tl.constexpr, HAS_HI: tl.constexpr, MASK_KIND: tl.constexpr, MASK_INT64: tl.constexpr,
    MASK_ROW_BCAST: tl.constexpr, HAS_ALIBI: tl.constexpr, HAS_SOFTCAP: tl.constexpr, HAS_DROPOUT: tl.constexpr, MASK_GRAD: tl.constexpr,
    MASK_DQK: tl.constexpr, MASK_DV: tl.constexpr, PRECISION: tl.constexpr,
):
    k_ptr += tl.cast(start_n, tl.int64) * stride_kn
    v_ptr += tl.cast(start_n, tl.int64) * stride_vn
    m_next = first_key_mask_tile(mask_base, rows, offs_n, start_n, end_n, stride_mm, stride_mn, S_Q,
                                 MASK_KIND, MASK_INT64, MASK_ROW_BCAST)  # as in the forward
    for n0 in range(start_n, end_n, BLOCK_N):
        n0 = tl.multiple_of(n0, BLOCK_N)  # every stage starts on a tile boundary: aligned mask loads
        cols = tile_columns(n0, offs_n, BLOCK_N)
        m, m_next = key_mask_tiles(m_next, mask_base, rows, offs_n, n0, start_n, end_n, stride_mm, stride_mn, S_Q,
                                   S_K, MASK_KIND, MASK_INT64, MASK_ROW_BCAST, BLOCK_N, EDGE or not EVEN_M)
        kT = load_tile(k_ptr + k_offs, offs_dqk, D_QK, cols, S_K, MASK_DQK, EDGE)   # (BLOCK_DQK, BLOCK_N)
        vT = load_tile(v_ptr + v_offs, offs_dv, D_V, cols, S_K, MASK_DV, EDGE)      # (BLOCK_DV, BLOCK_N)
        s, t = tile_scores(matmul(q, kT, PRECISION), rows[:, None], cols[None, :], m, S_K, slope, diag_off,
                           lo_off, hi_off, qk_scale, softcap_scale, softcap_log2, MASK_KIND, HAS_ALIBI,
                           HAS_SOFTCAP, HAS_LO, HAS_HI, EDGE)
        p = tl.math.exp2(s - lse[:, None])
        dp = matmul(do, vT, PRECISION)
        if HAS_DROPOUT:
            keep = dropout_keep(seed, bh, start_m, n0, dropout_p, BLOCK_M, BLOCK_N)
            dp = tl.where(keep, dp * (1.0 / (1.0 - dropout_p)), 0.0)
        ds = p * (dp - delta[:, None])
        if MASK_GRAD:  # d attn_mask = dS, a dense (B, H, S_Q, S_K) tensor
            ptrs = dmask_ptr + rows[:, None].to(tl.int64) * stride_dmm + cols[None, :]
            if EDGE or not EVEN_M:
                tl.store(ptrs, ds.to(dmask_ptr.dtype.element_ty), mask=(rows[:, None] < S_Q) & (cols[None, :] < S_K))
            else:
                tl.store(ptrs, ds.to(dmask_ptr.dtype.element_ty))
        if HAS_SOFTCAP:
            ds = ds * (1.0 - t * t)
        dq += matmul(ds.to(kT.dtype), tl.trans(kT), PRECISION)
        k_ptr += BLOCK_N * stride_kn
        v_ptr += BLOCK_N * stride_vn
    return dq


@triton.jit(do_not_specialize=["S_Q", "S_K", "diag_off", "lo_off", "hi_off", "seed_host"])
def attention_backward_dq_kernel(
    Q, K, V, Out, dOut, LSE, Delta, dQ,
    stride_qb, stride_qh, stride_qm, stride_qd,
    stride_kb, stride_kh, stride_kn, stride_kd,
    stride_vb, stride_vh, stride_vn, stride_vd,
    stride_ob, stride_oh, stride_om, stride_od,
    stride_dob, stride_doh, stride_dom, stride_dod,
    stride_dqb, stride_dqh, stride_dqm, stride_dqd,
    Mask, Slopes, dMask, stride_mb, stride_mh, stride_mm, stride_mn, stride_dmm,
    stride_sb, stride_sh,
    H_Q, GROUP, S_Q, S_K, diag_off, lo_off, hi_off, qk_scale, sm_scale, softcap_scale, softcap_log2,
    dropout_p, Seed, seed_host: tl.int64,
    D_QK: tl.constexpr, D_V: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
    BLOCK_DQK: tl.constexpr, BLOCK_DV: tl.constexpr,
    HAS_LO: tl.constexpr, HAS_HI: tl.constexpr, MASK_KIND: tl.constexpr, MASK_INT64: tl.constexpr,
    MASK_ROW_BCAST: tl.constexpr, HAS_ALIBI: tl.constexpr, HAS_SOFTCAP: tl.constexpr, HAS_DROPOUT: tl.constexpr, MASK_GRAD: tl.constexpr,
    EVEN_M: tl.constexpr, EVEN_N: tl.constexpr, PRECISION: tl.constexpr, REVERSE_GRID: tl.constexpr,
):
    MASK_DQK: tl.constexpr = BLOCK_DQK != D_QK
    MASK_DV: tl.constexpr = BLOCK_DV != D_V
    seed = dropout_seed(Seed, seed_host, HAS_DROPOUT)
    qk_scale, softcap_scale, softcap_log2, dropout_p = fp32_scalars(qk_scale, softcap_scale, softcap_log2, dropout_p)
    sm_scale = tl.cast(sm_scale, tl.float32)
    block_m, bh = row_block_and_head(S_Q, BLOCK_M, REVERSE_GRID, REVERSE_GRID)
    b = bh // H_Q
    h = bh % H_Q
    h_kv = h // GROUP
    start_m = block_m * BLOCK_M
    rows = start_m + tl.arange(0, BLOCK_M)
    offs_n = tl.arange(0, BLOCK_N)
    offs_dqk = tl.arange(0, BLOCK_DQK)
    offs_dv = tl.arange(0, BLOCK_DV)

    q_off = b.to(tl.int64) * stride_qb + h.to(tl.int64) * stride_qh
    q = load_tile(Q + q_off + rows[:, None].to(tl.int64) * stride_qm + offs_dqk[None, :] * stride_qd,
                  rows, S_Q, offs_dqk, D_QK, not EVEN_M, MASK_DQK)
    do = load_tile(dOut + b.to(tl.int64) * stride_dob + h.to(tl.int64) * stride_doh
                   + rows[:, None].to(tl.int64) * stride_dom + offs_dv[None, :] * stride_dod,
                   rows, S_Q, offs_dv, D_V, not EVEN_M, MASK_DV)
    o = load_tile(Out + b.to(tl.int64) * stride_ob + h.to(tl.int64) * stride_oh
                  + rows[:, None].to(tl.int64) * stride_om + offs_dv[None, :] * stride_od,
                  rows, S_Q, offs_dv, D_V, not EVEN_M, MASK_DV)
    row_base = bh.to(tl.int64) * S_Q
    delta = tl.sum(o.to(tl.float32) * do.to(tl.float32), 1)  # rows past S_Q: 0 (masked loads)
    tl.store(Delta + row_base + rows, delta, mask=rows < S_Q)  # for the dK/dV launch that follows
    lse = _load_row_lse(LSE, row_base, rows, S_Q, EVEN_M)
    k_ptr = K + b.to(tl.int64) * stride_kb + h_kv.to(tl.int64) * stride_kh
    v_ptr = V + b.to(tl.int64) * stride_vb + h_kv.to(tl.int64) * stride_vh
    k_offs = offs_dqk[:, None] * stride_kd + offs_n[None, :] * stride_kn
    v_offs = offs_dv[:, None] * stride_vd + offs_n[None, :] * stride_vn
    mask_base, slope = feature_bases(Mask, Slopes, b, h, stride_mb, stride_mh, stride_sb, stride_sh, HAS_ALIBI)
    dmask_ptr = dMask + bh.to(tl.int64) * S_Q * stride_dmm   # dense (B, H, S_Q, S_K): stride_dmm = S_K, specialised
    dq = tl.zeros([BLOCK_M, BLOCK_DQK], dtype=tl.float32)

    start, full_lo, full_hi, end = key_range(start_m, S_K, lo_off, hi_off, mask_base, stride_mn, BLOCK_M, BLOCK_N,
                                             HAS_LO, HAS_HI, EVEN_N, MASK_KIND == 1 and MASK_ROW_BCAST)
    bounds = (start, full_lo, full_hi, end)
    for stage in tl.static_range(3):  # same key ranges as the forward
        if stage == 1 or (stage == 0 and HAS_LO) or (stage == 2 and (HAS_HI or not EVEN_N)):
            dq = _dq_tiles(dq, q, do, lse, delta, k_ptr, v_ptr, k_offs, v_offs, stride_kn, stride_vn,
                           mask_base, stride_mm, stride_mn, dmask_ptr, stride_dmm, slope, bh, seed, dropout_p,
                           start_m, rows, offs_n, offs_dqk, offs_dv, bounds[stage], bounds[stage + 1], S_Q, S_K, D_QK, D_V,
                           diag_off, lo_off, hi_off, qk_scale, softcap_scale, softcap_log2,
                           BLOCK_M, BLOCK_N, stage != 1, EVEN_M, HAS_LO, HAS_HI, MASK_KIND, MASK_INT64,
                           MASK_ROW_BCAST, HAS_ALIBI, HAS_SOFTCAP, HAS_DROPOUT, MASK_GRAD, MASK_DQK, MASK_DV,
                           PRECISION)
    dq *= sm_scale
    store_tile(dQ + b.to(tl.int64) * stride_dqb + h.to(tl.int64) * stride_dqh
               + rows[:, None].to(tl.int64) * stride_dqm + offs_dqk[None, :] * stride_dqd,
               dq.to(dQ.dtype.element_ty), rows, S_Q, offs_dqk, D_QK, not EVEN_M, MASK_DQK)
