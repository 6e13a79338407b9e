"""Triton helpers shared by the forward and backward kernels.

Sub notation used in every kernel of this package:
    B       batch (all leading dims flattened), H_Q / H_KV query / key-value heads
    GROUP   H_Q // H_KV, the query heads that share one key-value head (GQA/MQA)
    S_Q     query length, S_K key length, D_QK / D_V head dims of q,k and of v
    BLOCK_* tile sizes; BLOCK_DQK / BLOCK_DV are D_QK / D_V rounded up to a power of two
    diag_off       query row i is aligned with key i + diag_off (0: torch's top-left
                   alignment, S_K - S_Q: flash-attn's bottom-right); ALiBi measures from it
    HAS_HI, hi_off query i sees keys j <= i + hi_off (causal and/or a right window)
    HAS_LO, lo_off query i sees keys j >= i + lo_off (a left window)
    MASK_KIND      0: no attn_mask, 1: boolean (read as uint8, nonzero = take part), 2: float bias
    MASK_ROW_BCAST the mask has one row for every query (stride 0 along S_Q: key padding)
    r2, c2         query rows and key columns of a tile, as 2D index tensors broadcast against
                   each other ((M, 1) and (1, N), or transposed in the dK/dV kernel)
Scores live in the base-2 domain: s2 = q.k * scale * log2(e), so softmax uses exp2.

The score of (i, j), in the order applied (as flash-attn; torch's attn_mask comes last):
    s = q_i . k_j * scale;  s = softcap * tanh(s / softcap);  s -= slope * |i + diag_off - j|;
    s += bias_ij  or  s = -inf where the boolean mask is False;  -inf outside [lo, hi].
"""
import os

import triton
import triton.language as tl


@triton.jit
def load_tile(ptrs, rows, n_rows, cols, n_cols, MASK_ROWS: tl.constexpr, MASK_COLS: tl.constexpr):
    """Load a 2D tile, reading zeros outside [0, n_rows) x [0, n_cols).

    The masks are compile-time optional so that interior tiles of even shapes pay nothing.
    """
    if MASK_ROWS and MASK_COLS:
        return tl.load(ptrs, mask=(rows[:, None] < n_rows) & (cols[None, :] < n_cols), other=0.0)
    elif MASK_ROWS:
        return tl.load(ptrs, mask=rows[:, None] < n_rows, other=0.0)
    elif MASK_COLS:
        return tl.load(ptrs, mask=cols[None, :] < n_cols, other=0.0)
    else:
        return tl.load(ptrs)


@triton.jit
def store_tile(ptrs, value, rows, n_rows, cols, n_cols, MASK_ROWS: tl.constexpr, MASK_COLS: tl.constexpr):
    if MASK_ROWS and MASK_COLS:
        tl.store(ptrs, value, mask=(rows[:, None] < n_rows) & (cols[None, :] < n_cols))
    elif MASK_ROWS:
        tl.store(ptrs, value, mask=rows[:, None] < n_rows)
    elif MASK_COLS:
        tl.store(ptrs, value, mask=cols[None, :] < n_cols)
    else:
        tl.store(ptrs, value)


LOG2_E = tl.constexpr(1.4426950408889634)


@triton.jit
def tanh(x):
    """tanh from exp2 (the interpreter has no tanh), accurate near 0 through its series."""
    a = tl.abs(x)
    e = tl.math.exp2(a * -2.8853900817779268)  # exp(-2|x|)
    far = (1.0 - e) / (1.0 + e)
    x2 = a * a
    near = a * (1.0 + x2 * (-0.3333333333333333 + x2 * (0.13333333333333333 + x2 * (
        -0.05396825396825397 + x2 * 0.021869488536155203))))
    t = tl.where(a < 0.25, near, far)
    return tl.where(x < 0, -t, t)


@triton.jit
def fp32_scalars(qk_scale, softcap_scale, softcap_log2, dropout_p):
    """The float arguments as fp32: Triton's JIT passes Python floats so, but inductor passes
    them as fp64 to the kernels it launches (compiled graphs: backends/flash_ops.py's triton ops),
    which would turn the score tiles and accumulators fp64. A no-op in the JIT's binaries."""
    return (tl.cast(qk_scale, tl.float32), tl.cast(softcap_scale, tl.float32), tl.cast(softcap_log2, tl.float32),
            tl.cast(dropout_p, tl.float32))


@triton.jit
def dropout_seed(Seed, seed_host, HAS_DROPOUT: tl.constexpr):
    """The call's dropout seed: the int64 at Seed plus seed_host, one of them 0.

    [Note] An eager call draws its seed on the host, from the state of torch's generator of the
    tensors' device (backends/flash.py's dropout_seed: no launch, as torch's own dropout), and
    passes it as seed_host with Seed at a zero. A call that a CUDA graph captures (or that
    torch.compile traces) draws it on the GPU into Seed instead, with seed_host 0: every replay
    then draws a new seed, where a host int would be frozen into the graph (every replay
    dropping the same entries). seed_host must be an int64 that Triton does not specialize on
    (see the kernels' do_not_specialize): a per-call value."""
    seed = 0
    if HAS_DROPOUT:
        seed = tl.load(Seed) + seed_host
    return seed


@triton.jit
def dropout_keep(seed, bh, row0, col0, dropout_p, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr):
    """The (BLOCK_M, BLOCK_N) dropout keep-mask of query rows [row0, row0 + BLOCK_M) and key
    columns [col0, col0 + BLOCK_N); row0, col0 and both sizes multiples of 16.

    [Note] Dropout's random bits: Philox (7 rounds, as FlashAttention-2) keyed by the call's
    seed, one counter (key group, query group, batch*head) per 8 scores, 16 bits a score (p
    is resolved to 1/65536), so forward, backward and dropout_keep_mask regenerate the same
    mask in any order. A group is the 8 scores that one thread holds in the accumulator of
    an Ampere/Hopper matmul tile (mma.sync and wgmma: rows r and r + 8, columns c, c + 1,
    c + 8, c + 9): query q belongs to group (q >> 4) * 8 + (q & 7) and key k to group
    (k >> 4) * 4 + ((k >> 1) & 3); bit 0 of k picks the half of a 32-bit word, bit 3 of k
    and bit 3 of q pick the word. Joined back into a tile, the mask lands in the registers
    that hold the scores: no round trip through shared memory (groups of 8 adjacent keys
    took four, with barriers, per tile)."""
    tl.static_assert(BLOCK_M % 16 == 0 and BLOCK_N % 16 == 0, "dropout tiles are whole groups of 16 x 16")
    q_groups = (row0 // 2 + tl.arange(0, BLOCK_M // 2)).to(tl.uint32)
    k_groups = (col0 // 4 + tl.arange(0, BLOCK_N // 4)).to(tl.uint32)
    c0 = k_groups[None, :] + q_groups[:, None] * 0                  # (BLOCK_M // 2, BLOCK_N // 4)
    c1 = q_groups[:, None] + k_groups[None, :] * 0
    zero = c0 * 0
    r0, r1, r2, r3 = tl.philox(seed, c0, c1, zero + bh.to(tl.uint32), zero, n_rounds=7)
    threshold = tl.math.ceil(dropout_p * 65536.0).to(tl.uint32)   # keep a 16-bit draw >= p * 2^16
    # word (k bit 3) + 2 (q bit 3); joins append dims: (.., k bit 0, k bit 3, q bit 3)
    keep = tl.join(tl.join(tl.join((r0 & 0xFFFF) >= threshold, (r0 >> 16) >= threshold),
                           tl.join((r1 & 0xFFFF) >= threshold, (r1 >> 16) >= threshold)),
                   tl.join(tl.join((r2 & 0xFFFF) >= threshold, (r2 >> 16) >= threshold),
                           tl.join((r3 & 0xFFFF) >= threshold, (r3 >> 16) >= threshold)))
    # (q >> 4, q & 7, k >> 4, (k >> 1) & 3, k bit 0, k bit 3, q bit 3) -> (q, k)
    keep = tl.reshape(keep, [BLOCK_M // 16, 8, BLOCK_N // 16, 4, 2, 2, 2])
    keep = tl.permute(keep, [0, 6, 1, 2, 5, 3, 4])
    return tl.reshape(keep, [BLOCK_M, BLOCK_N])


@triton.jit
def load_mask_tile(mask_ptr, r2, c2, stride_mm, stride_mn, S_Q, S_K,
                   MASK_KIND: tl.constexpr, MASK_INT64: tl.constexpr, MASK_ROW_BCAST: tl.constexpr,
                   BOUNDS: tl.constexpr):
    """The attn_mask tile of rows r2 and columns c2 (0 when there is no mask).

    [Note] Triton's software pipeliner only stages loads that feed a tl.dot, so a 2D mask
    (a bias of B·H·S_q·S_k elements, as many bytes as the matmuls' time can hide at best)
    would stall every step for its full memory latency. The loops prefetch it by hand: the
    tile of the next step is loaded during this one (registers, one tile ahead)."""
    if MASK_KIND != 0 and MASK_ROW_BCAST:  # one row for all queries (key padding): a 1D load
        if BOUNDS:
            m = tl.load(mask_ptr + c2 * stride_mn, mask=c2 < S_K, other=0)
        else:
            m = tl.load(mask_ptr + c2 * stride_mn)
    elif MASK_KIND != 0:
        if MASK_INT64:
            ptrs = mask_ptr + r2.to(tl.int64) * stride_mm + c2.to(tl.int64) * stride_mn
        else:
            ptrs = mask_ptr + r2 * stride_mm + c2 * stride_mn
        if BOUNDS:
            m = tl.load(ptrs, mask=(r2 < S_Q) & (c2 < S_K), other=0)
        else:
            m = tl.load(ptrs)
    else:
        m = 0
    return m


@triton.jit
def tile_columns(start, offs, BLOCK: tl.constexpr):
    """start + offs for a tile that starts on a multiple of BLOCK, with that alignment stated:
    Triton's alignment analysis loses it through the key loop, and without it the dQ kernel's
    d attn_mask store wrote 2 bytes per instruction instead of 16."""
    return tl.max_contiguous(tl.multiple_of(start + offs, BLOCK), BLOCK)


@triton.jit
def next_tile_start(n0, start, end, BLOCK: tl.constexpr):
    """The start of the tile after n0 in a loop over [start, end), or n0 itself for the last
    tile: a prefetch then re-reads that tile (from L2) rather than reading past the range."""
    last = start + tl.maximum(end - start - 1, 0) // BLOCK * BLOCK
    return tl.multiple_of(tl.minimum(n0 + BLOCK, last), BLOCK)


@triton.jit
def first_key_mask_tile(mask_base, rows, offs_n, start_n, end_n, stride_mm, stride_mn, S_Q,
                        MASK_KIND: tl.constexpr, MASK_INT64: tl.constexpr, MASK_ROW_BCAST: tl.constexpr):
    """Before a loop over key tiles [start_n, end_n): the first 2D mask tile, which
    key_mask_tiles hands out and replaces by the next one (a placeholder when nothing is
    prefetched). Read within [start_n, end_n): the loop may be empty."""
    if MASK_KIND != 0 and not MASK_ROW_BCAST:
        first = load_mask_tile(mask_base, rows[:, None], (start_n + offs_n)[None, :], stride_mm, stride_mn,
                               S_Q, end_n, MASK_KIND, MASK_INT64, False, True)
    else:
        first = 0
    return first


@triton.jit
def key_mask_tiles(prefetched, mask_base, rows, offs_n, n0, start_n, end_n, stride_mm, stride_mn, S_Q, S_K,
                   MASK_KIND: tl.constexpr, MASK_INT64: tl.constexpr, MASK_ROW_BCAST: tl.constexpr,
                   BLOCK_N: tl.constexpr, BOUNDS: tl.constexpr):
    """In a loop over key tiles: (the mask tile of columns n0 + offs_n, what to pass as
    `prefetched` next step). A 2D tile was loaded one step ahead (see load_mask_tile) and the
    next one is loaded now; a key-padding row is read where it is used."""
    if MASK_KIND != 0 and not MASK_ROW_BCAST:
        m = prefetched
        prefetched = load_mask_tile(mask_base, rows[:, None],
                                    (next_tile_start(n0, start_n, end_n, BLOCK_N) + offs_n)[None, :],
                                    stride_mm, stride_mn, S_Q, S_K, MASK_KIND, MASK_INT64, False, BOUNDS)
    else:
        m = load_mask_tile(mask_base, rows[:, None], (n0 + offs_n)[None, :], stride_mm, stride_mn, S_Q, S_K,
                           MASK_KIND, MASK_INT64, MASK_ROW_BCAST, BOUNDS)
    return m, prefetched


@triton.jit
def tile_scores(
    qk, r2, c2, m, S_K, slope, diag_off, lo_off, hi_off, qk_scale, softcap_scale, softcap_log2,
    MASK_KIND: tl.constexpr, HAS_ALIBI: tl.constexpr, HAS_SOFTCAP: tl.constexpr,
    HAS_LO: tl.constexpr, HAS_HI: tl.constexpr, GEOMETRY: tl.constexpr,
):
    """Base-2 scores of a tile from the raw products qk = q . k and its mask tile m
    (load_mask_tile), and tanh(s / softcap) (the softcap's derivative needs it; qk itself
    without softcap). GEOMETRY: the tile may hold entries outside [lo, hi] or past S_K, which
    get -inf. slope is in base 2 (slope * log2(e))."""
    if HAS_SOFTCAP:
        t = tanh(qk * softcap_scale)
        s = t * softcap_log2
    else:
        t = qk
        s = qk * qk_scale
    if HAS_ALIBI:
        s -= slope * tl.abs(r2 + diag_off - c2).to(tl.float32)
    if MASK_KIND == 1:
        s = tl.where(m != 0, s, float("-inf"))
    elif MASK_KIND == 2:
        s += m.to(tl.float32) * LOG2_E
    if GEOMETRY:
        keep = c2 < S_K
        if HAS_HI:
            keep = keep & (c2 <= r2 + hi_off)
        if HAS_LO:
            keep = keep & (c2 >= r2 + lo_off)
        s = tl.where(keep, s, float("-inf"))
    return s, t


@triton.jit
def feature_bases(Mask, Slopes, b, h, stride_mb, stride_mh, stride_sb, stride_sh, HAS_ALIBI: tl.constexpr):
    """The attn_mask base pointer and the base-2 ALiBi slope of one (batch, query head)."""
    mask_base = Mask + b.to(tl.int64) * stride_mb + h.to(tl.int64) * stride_mh
    slope = 0.0
    if HAS_ALIBI:
        slope = tl.load(Slopes + b * stride_sb + h * stride_sh).to(tl.float32) * 1.4426950408889634
    return mask_base, slope


@triton.jit
def visible_key_span(mask_base, stride_mn, S_K, BLOCK_N: tl.constexpr):
    """[first, last) of the key columns that a one-row boolean mask (key padding) keeps;
    (S_K, 0) when it keeps none. Lets a program skip the padded tiles instead of masking them."""
    offs = tl.arange(0, BLOCK_N)
    first = S_K
    last = 0
    for n0 in range(0, S_K, BLOCK_N):
        cols = n0 + offs
        keep = tl.load(mask_base + cols.to(tl.int64) * stride_mn, mask=cols < S_K, other=0) != 0
        first = tl.minimum(first, tl.min(tl.where(keep, cols, S_K)))
        last = tl.maximum(last, tl.max(tl.where(keep, cols + 1, 0)))
    return first, last


@triton.jit
def key_range(start_m, S_K, lo_off, hi_off, mask_base, stride_mn, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
              HAS_LO: tl.constexpr, HAS_HI: tl.constexpr, EVEN_N: tl.constexpr, KEY_PADDING: tl.constexpr):
    """For query rows [start_m, start_m + BLOCK_M): the key tiles [start, end) that any row
    sees, and within them [full_lo, full_hi), the tiles every row sees whole (no geometric
    masking). KEY_PADDING (a one-row boolean mask): the tiles outside the span of keys it keeps
    are left out too."""
    key_lo = 0
    key_hi = S_K
    if KEY_PADDING:
        key_lo, key_hi = visible_key_span(mask_base, stride_mn, S_K, BLOCK_N)
    start = 0
    end = S_K
    full_lo = 0
    full_hi = S_K
    if HAS_LO:
        start = tl.maximum(start_m + lo_off, 0) // BLOCK_N * BLOCK_N
        full_lo = tl.cdiv(tl.maximum(start_m + BLOCK_M - 1 + lo_off, 0), BLOCK_N) * BLOCK_N
    if HAS_HI:
        end = tl.minimum(S_K, tl.maximum(start_m + BLOCK_M + hi_off, 0))
        full_hi = tl.maximum(start_m + hi_off + 1, 0)
    start = tl.maximum(start, key_lo // BLOCK_N * BLOCK_N)
    end = tl.minimum(end, key_hi)
    start = tl.minimum(start, end)
    full_lo = tl.minimum(tl.maximum(full_lo, start), end)
    if EVEN_N and not HAS_HI:
        full_hi = end
    else:
        full_hi = tl.minimum(full_hi, end) // BLOCK_N * BLOCK_N
    full_hi = tl.maximum(full_hi, full_lo)
    return start, full_lo, full_hi, end


@triton.jit
def matmul(a, b, PRECISION: tl.constexpr):
    """a @ b with fp32 accumulation; PRECISION picks ieee or tf32 for fp32 operands."""
    return tl.dot(a, b, input_precision=PRECISION, out_dtype=tl.float32)


# Heads whose blocks a causal launch hands out together, longest first (row_block_and_head here,
# hopper_backward._block_and_head): list-scheduling count (132 SMs, H = 16, 16k tokens,
# benchmarks/schedule_count.py) over ideal 1.001-1.023 for 16, against 1.056-1.077 in block
# order; all heads at once 1.003-1.014, but then the programs running together read up to 132
# heads' tensors. FLASHSDPA_HEAD_GROUP overrides it (for measurements: the Gluon backward's 4,
# hopper_backward.CAUSAL_HEAD_GROUP, measured faster there than 16).
HEAD_GROUP = tl.constexpr(int(os.environ.get("FLASHSDPA_HEAD_GROUP", "16")))


@triton.jit
def row_block_and_head(seq_len, BLOCK: tl.constexpr, REVERSE: tl.constexpr, LONGEST_FIRST: tl.constexpr):
    """Map the 1D program id to (block index along the sequence, flattened batch*head).

    Blocks of one head are adjacent, so programs running together share K/V in L2 (a 1D grid
    also lifts the 65535 limit of the second grid axis on B*H). REVERSE: the last blocks first.
    LONGEST_FIRST (causal, where a block's work grows or falls with its index: REVERSE when the
    last is the longest): within groups of HEAD_GROUP heads, every head's block of rank 0, then
    rank 1, and so on, so that the last programs to start are short ones; in head order each
    head's longest program starts with its head, for the last heads near the end of the launch
    (benchmarks/schedule_count.py: 5-8% over ideal at 16k tokens, H = 16, against 1-2%).
    """
    num_blocks = tl.cdiv(seq_len, BLOCK)
    pid = tl.program_id(0)
    if LONGEST_FIRST:
        heads_total = tl.num_programs(0) // num_blocks
        group = pid // (HEAD_GROUP * num_blocks)
        heads = tl.minimum(heads_total - group * HEAD_GROUP, HEAD_GROUP)   # the last group may be short
        within = pid - group * HEAD_GROUP * num_blocks
        block = within // heads
        head = group * HEAD_GROUP + within % heads
    else:
        block = pid % num_blocks
        head = pid // num_blocks
    if REVERSE:
        block = num_blocks - 1 - block
    return block, head
