"""What the Gluon kernels for Hopper (hopper_forward.py, hopper_backward.py) share: the staged
TMA pipeline between a producer warp and two consumer warpgroups, the causal and sliding-window
key ranges, and the host-side TMA descriptors.

A ring of NBUF shared-memory stages has two mbarriers a stage: `ready` (the producer's TMA
arrival fills it, counting bytes) and `empty` (each consumer warpgroup releases it). The
producer fills stage `it % NBUF` once its consumers released the previous round's use of it.
"""
import functools

import torch
from triton.experimental import gluon
from triton.experimental.gluon import language as gl
from triton.experimental.gluon.nvidia.hopper import TensorDescriptor
from triton._C.libtriton import ir
from triton.experimental.gluon.language._core import builtin
from triton.experimental.gluon.language.nvidia.hopper import tma, mbarrier


@gluon.constexpr_function
def accumulator_layout(n, dtype):
    """The register layout of a one-warpgroup wgmma accumulator (rows x n)."""
    return gl.NVMMADistributedLayout(version=[3, 0], warps_per_cta=[4, 1],
                                     instr_shape=[16, n, 256 // dtype.primitive_bitwidth])


@gluon.constexpr_function
def register_operand_layout(accumulator, dtype):
    """The layout of a product's first operand held in registers, for the accumulator layout
    `accumulator`: an accumulator of the same rows converts to it without data movement."""
    return gl.DotOperandLayout(operand_index=0, parent=accumulator, k_width=32 // dtype.primitive_bitwidth)


@gluon.jit
def stage_barriers(NBUF: gl.constexpr, CONSUMERS: gl.constexpr):
    """(ready, empty): the mbarriers of a ring of NBUF stages, initialised."""
    ready = gl.allocate_shared_memory(gl.int64, [NBUF, 1], mbarrier.MBarrierLayout())
    empty = gl.allocate_shared_memory(gl.int64, [NBUF, 1], mbarrier.MBarrierLayout())
    for i in gl.static_range(NBUF):
        mbarrier.init(ready.index(i), count=1)
        mbarrier.init(empty.index(i), count=CONSUMERS)
    return ready, empty


@gluon.jit
def fill_stage(desc, bufs, ready, empty, it, coords, desc2=None, bufs2=None, coords2=None):
    """Producer: TMA the box at `coords` (and desc2's at coords2 into bufs2, when given) into
    stage it % NBUF once its consumers released it."""
    NBUF: gl.constexpr = bufs.type.shape[0]
    idx = it % NBUF
    mbarrier.wait(empty.index(idx), ((it // NBUF) & 1) ^ 1)  # a fresh mbarrier's parity 1 counts as complete
    if desc2 is None:
        mbarrier.expect(ready.index(idx), desc.block_type.nbytes)
    else:
        mbarrier.expect(ready.index(idx), desc.block_type.nbytes + desc2.block_type.nbytes)
        tma.async_copy_global_to_shared(desc2, coords2, ready.index(idx), bufs2.index(idx))
    tma.async_copy_global_to_shared(desc, coords, ready.index(idx), bufs.index(idx))


@builtin
def tma_reduce_add(tensor_desc, coord, src, _semantic=None):
    """Adds the shared-memory box `src` into global memory at `coord` (cp.reduce.async.bulk.tensor
    .add), asynchronously like tma.async_copy_shared_to_global: tma.store_wait waits for it. This
    Triton's Gluon has the op in its builder but no wrapper in the hopper tma module."""
    coord = _semantic._convert_to_ir_values(coord, require_i64=False)
    _semantic.builder.create_async_tma_reduce(ir.DESCRIPTOR_REDUCE_KIND.ADD, tensor_desc.handle, coord, src.handle)


@gluon.jit
def key_end(block, N_CTX, BLOCK_M: gl.constexpr, CAUSAL: gl.constexpr):
    """One past the last key that any row of query block `block` (of BLOCK_M rows) sees."""
    if CAUSAL:
        return gl.minimum((block + 1) * BLOCK_M, N_CTX)
    else:
        return N_CTX


@gluon.jit
def key_tiles(block, N_CTX, BLOCK_M: gl.constexpr, BLOCK_N: gl.constexpr, CAUSAL: gl.constexpr,
              WINDOW: gl.constexpr, LEFT, RIGHT):
    """(first, count) of the BLOCK_N-key tiles that rows of query block `block` see; WINDOW: row
    i sees keys i - LEFT .. i + RIGHT only (causal is RIGHT = 0), so the tiles outside are skipped."""
    if WINDOW:
        first = gl.maximum(block * BLOCK_M - LEFT, 0) // BLOCK_N
        count = gl.cdiv(gl.minimum((block + 1) * BLOCK_M + RIGHT, N_CTX), BLOCK_N) - first
    else:
        first = 0
        count = gl.cdiv(key_end(block, N_CTX, BLOCK_M, CAUSAL), BLOCK_N)
    return first, count


@gluon.jit
def band_edge(first_row, last_row, first_key, last_key, LEFT, RIGHT):
    """Whether a tile of these rows and keys crosses the window's edge (some pair falls outside)."""
    return (first_key < last_row - LEFT) | (last_key > first_row + RIGHT)


@gluon.jit
def in_band(rows, keys, LEFT, RIGHT):
    """Row i sees key j: i - LEFT <= j <= i + RIGHT (rows and keys broadcast against each other)."""
    return (keys >= rows - LEFT) & (keys <= rows + RIGHT)


@gluon.jit
def outside_band(first_row, last_row, first_key, last_key, CAUSAL: gl.constexpr, WINDOW: gl.constexpr, LEFT,
                 RIGHT):
    """Whether no (row, key) pair of these rows and keys is kept: every key right of the causal
    diagonal (top-left: row i sees key j <= i), or beyond either edge of the window. For causal
    or windowed calls only (a full call keeps every pair)."""
    if WINDOW:
        return (first_key > last_row + RIGHT) | (last_key < first_row - LEFT)
    else:
        return first_key > last_row


@gluon.jit
def release_unread(ready, empty, idx, phase):
    """Consumer: pass over stage idx of a ring unread. It waits for the stage to land first: a
    consumer that released stages ahead of their fills could release one stage twice in one phase."""
    mbarrier.wait(ready.index(idx), phase)
    mbarrier.arrive(empty.index(idx), count=1)


@gluon.jit
def release_step(HAS_BIAS: gl.constexpr, step, a_ready, a_empty, b_ready, b_empty, bias_ready, bias_empty):
    """Consumer: pass over a loop's step `step` unread: its stages of the two streamed rings (K and
    V, or Q and dO) and, with a bias, of the bias ring (all of the same depth)."""
    NBUF: gl.constexpr = a_ready.type.shape[0]
    idx = step % NBUF
    phase = (step // NBUF) & 1
    release_unread(a_ready, a_empty, idx, phase)
    release_unread(b_ready, b_empty, idx, phase)
    if HAS_BIAS:
        release_unread(bias_ready, bias_empty, idx, phase)


@gluon.jit
def fill_bias_stage(desc_bias, bufs, ready, empty, it, b, h, row0, col0, ROW_STEP: gl.constexpr,
                    COL_STEP: gl.constexpr):
    """Producer: both consumer warpgroups' bias boxes of step `it` into stage it % NBUF; consumer
    c's box starts at (row0 + c * ROW_STEP, col0 + c * COL_STEP) and lands in buffer 2 * stage + c."""
    NBUF: gl.constexpr = ready.type.shape[0]
    idx = it % NBUF
    mbarrier.wait(empty.index(idx), ((it // NBUF) & 1) ^ 1)
    mbarrier.expect(ready.index(idx), 2 * desc_bias.block_type.nbytes)
    for c in gl.static_range(2):
        tma.async_copy_global_to_shared(desc_bias, [b, h, row0 + c * ROW_STEP, col0 + c * COL_STEP],
                                        ready.index(idx), bufs.index(2 * idx + c))


@gluon.jit
def bias_tile(bias_bufs, bias_ready, bias_empty, j, cid: gl.constexpr, s_layout: gl.constexpr,
              TRANSPOSED: gl.constexpr = False):
    """Consumer cid's bias tile of step j in fp32, in the scores' layout (TRANSPOSED: the box's
    keys along the rows, for the dK/dV kernels' S^T)."""
    NBUF: gl.constexpr = bias_ready.type.shape[0]
    idx = j % NBUF
    mbarrier.wait(bias_ready.index(idx), (j // NBUF) & 1)
    box = bias_bufs.index(2 * idx + cid)
    box = box.reshape([box.type.shape[2], box.type.shape[3]])
    if TRANSPOSED:
        box = box.permute((1, 0))
    tile = box.load(s_layout).to(gl.float32)
    mbarrier.arrive(bias_empty.index(idx), count=1)
    return tile


# Dropout's keep-mask (kernels/common.py's dropout_keep, the same Philox groups and bits) drawn
# straight into the wgmma accumulator of a score tile, in either orientation. A group (one Philox
# call, 8 16-bit draws) is queries q, q + 8 x keys k, k + 1, k + 8, k + 9. In the forward's
# orientation (queries x keys: the dQ launch) a lane's accumulator holds whole groups, so each
# lane draws its own (dropout_keep_rows). In S^T's (keys x queries: the dK/dV launch) lane l holds
# keys r, r + 8 and queries c, c + 1, c + 8, c + 9: keys r and r + 1 of a group sit in lanes l and
# l + 4, so each lane draws whole groups and the conversion to the accumulator's layout trades
# halves between lanes l and l + 4 by shuffles, no shared memory (dropout_keep_transposed;
# benchmarks/experiment_gluon_dropout_mask.py checks both against the portable kernels' mask on
# the GPU). Trading the draws before comparing them (two 16-bit halves a word, lane-dependent
# byte permutes) took fewer instructions but more registers, and the dK/dV loop spilled more and
# ran slower (benchmarks/NOTES.md, v0.23).
@gluon.constexpr_function
def _dropout_groups_layout(keys, queries):
    """[keys / 4 key groups, queries / 2 query groups] of a one-warpgroup S^T tile, one Philox
    call each: lanes 0, 1 -> query group bits 1, 2; lane 2 -> its bit 0; lanes 3, 4 -> key group
    bits 0, 1; warps -> its bits 2, 3; registers -> query group bits 3 and up."""
    assert keys == 64 and queries % 16 == 0, "a warpgroup's 64 keys, whole 16-query blocks"
    registers = [[0, 8 << i] for i in range((queries // 16).bit_length() - 1)]
    return gl.DistributedLinearLayout(
        reg_bases=registers, lane_bases=[[0, 2], [0, 4], [0, 1], [1, 0], [2, 0]],
        warp_bases=[[4, 0], [8, 0]], block_bases=[], shape=[keys // 4, queries // 2])


@gluon.jit
def _mul_wide(a, asm: gl.constexpr):
    """(high, low) 32 bits of a * M (uint32 tensor a; asm: mul.wide.u32 of $2 and the constant
    M into the 64-bit t): one IMAD.WIDE.U32, where umulhi and a product compile to two multiplies."""
    return gl.inline_asm_elementwise("{ .reg .b64 t; " + asm + " mov.b64 {$1, $0}, t; }", "=r,=r,r", [a],
                                     dtype=(gl.uint32, gl.uint32), is_pure=True, pack=1)


@gluon.jit
def _philox(k0, k1, c0, c1, c2, c3, N_ROUNDS: gl.constexpr):
    """triton.language.random.philox_impl on uint32 tensors (keys k0, k1 uint32 scalars)."""
    for _ in gl.static_range(N_ROUNDS):
        hi0, lo0 = _mul_wide(c2, "mul.wide.u32 t, $2, 0xCD9E8D57;")
        hi2, lo2 = _mul_wide(c0, "mul.wide.u32 t, $2, 0xD2511F53;")
        c0 = hi0 ^ c1 ^ k0
        c2 = hi2 ^ c3 ^ k1
        c1 = lo0
        c3 = lo2
        k0 = k0 + 0x9E3779B9
        k1 = k1 + 0xBB67AE85
    return c0, c1, c2, c3


@gluon.jit
def dropout_seed(Seed, seed_host, HAS_DROPOUT: gl.constexpr):
    """The call's dropout seed: the int64 at Seed plus seed_host, one of them 0 (see the [Note]
    at kernels/common.py's dropout_seed: eager calls draw on the host, captured ones on the GPU)."""
    seed = 0
    if HAS_DROPOUT:
        seed = gl.load(Seed) + seed_host
    return seed


@gluon.jit
def _draw_groups(seed, bh, key_groups, query_groups):
    """(r0, r1, r2, r3): Philox's four words for each group (key_groups and query_groups: uint32
    tensors of one shape, the counters), keyed by the call's seed (an int < 2^63) as tl.philox
    keys it."""
    seed64 = seed.to(gl.int64)
    zero = key_groups * 0
    r0, r1, r2, r3 = _philox((seed64 & 0xFFFFFFFF).to(gl.uint32), ((seed64 >> 32) & 0xFFFFFFFF).to(gl.uint32),
                             key_groups, query_groups, zero + bh.to(gl.uint32), zero, 7)
    return r0, r1, r2, r3


@gluon.jit
def _keep_bound(dropout_p):
    """The bound that keeps a 16-bit draw d (d >= ceil(p * 2^16), as kernels/common.py's
    dropout_keep) when d * 2^16 > bound: one compare of a word whose high half is the draw (a
    bound of 2^32 - 1 keeps nothing, as a threshold of 2^16 does)."""
    return (gl.ceil(dropout_p * 65536.0).to(gl.int64) * 65536 - 1).to(gl.uint32)


@gluon.jit
def _kept(word, bound, HIGH: gl.constexpr):
    """Whether the draw in word's high (HIGH) or low half is kept (_keep_bound's bound)."""
    if HIGH:
        return word > bound
    else:
        return (word << 16) > bound


@gluon.jit
def _keep_words(r0, r1, r2, r3, bound, HIGH: gl.constexpr):
    """One 16-bit half's keep bits of words r0 .. r3 (word = k bit 3 + 2 (q bit 3)), joined as
    (.., q bit 3, k bit 3); given as (r0, r2, r1, r3), as (.., k bit 3, q bit 3)."""
    return gl.join(gl.join(_kept(r0, bound, HIGH), _kept(r2, bound, HIGH)),
                   gl.join(_kept(r1, bound, HIGH), _kept(r3, bound, HIGH)))


@gluon.jit
def dropout_keep_transposed(seed, bh, key0, query0, dropout_p, KEYS: gl.constexpr, QUERIES: gl.constexpr,
                            layout: gl.constexpr):
    """keep^T (bool) of keys key0 .. + KEYS (64) and queries query0 .. + QUERIES (a multiple of
    16) in `layout`, the one-warpgroup wgmma accumulator of that shape; key0 and query0 multiples
    of 16. seed: the call's Philox seed (an int < 2^63); bh: batch * H_q + the query head."""
    groups: gl.constexpr = _dropout_groups_layout(KEYS, QUERIES)
    kg = (key0 // 4 + gl.arange(0, KEYS // 4, layout=gl.SliceLayout(1, groups))).to(gl.uint32)
    qg = (query0 // 2 + gl.arange(0, QUERIES // 2, layout=gl.SliceLayout(0, groups))).to(gl.uint32)
    r0, r1, r2, r3 = _draw_groups(seed, bh, kg[:, None] + qg[None, :] * 0, qg[None, :] + kg[:, None] * 0)
    bound = _keep_bound(dropout_p)
    keep = gl.join(_keep_words(r0, r1, r2, r3, bound, False),
                   _keep_words(r0, r1, r2, r3, bound, True))   # (.., q bit 3, k bit 3, k bit 0)
    # (k >> 4, (k >> 1) & 3, q >> 4, (q >> 1) & 3, q & 1, q bit 3, k bit 3, k & 1) -> (k, q)
    keep = gl.reshape(keep, [KEYS // 16, 4, QUERIES // 16, 4, 2, 2, 2, 2])
    keep = gl.permute(keep, [0, 6, 1, 7, 2, 5, 3, 4])
    keep = gl.reshape(keep, [KEYS, QUERIES])
    return gl.convert_layout(keep, layout)


@gluon.constexpr_function
def _dropout_row_groups_layout(queries, keys):
    """[queries / 2 query groups, keys / 4 key groups] of a one-warpgroup S tile (queries x keys),
    each group in the thread whose accumulator registers hold its 8 scores: lanes 0, 1 -> key
    group bits 0, 1; lanes 2-4 -> query group bits 0-2; warps -> its bits 3, 4; registers ->
    key group bits 2 and up."""
    assert queries == 64 and keys % 16 == 0
    registers = [[0, 4 << i] for i in range((keys // 16).bit_length() - 1)]
    return gl.DistributedLinearLayout(
        reg_bases=registers, lane_bases=[[0, 1], [0, 2], [1, 0], [2, 0], [4, 0]],
        warp_bases=[[8, 0], [16, 0]], block_bases=[], shape=[queries // 2, keys // 4])


@gluon.jit
def dropout_keep_rows(seed, bh, query0, key0, dropout_p, QUERIES: gl.constexpr, KEYS: gl.constexpr,
                      layout: gl.constexpr):
    """keep (bool) of queries query0 .. + QUERIES (64) and keys key0 .. + KEYS (a multiple of 16)
    in `layout`, the one-warpgroup wgmma accumulator of that shape (queries x keys, the forward's
    orientation): one Philox call per thread and 8 scores (dropout_draw_rows), joined in the
    accumulator's register order (dropout_keep_from_draws); query0 and key0 multiples of 16. seed
    and bh as dropout_keep_transposed's."""
    return dropout_keep_from_draws(dropout_draw_rows(seed, bh, query0, key0, QUERIES, KEYS), dropout_p, layout)


@gluon.jit
def dropout_draw_rows(seed, bh, query0, key0, QUERIES: gl.constexpr, KEYS: gl.constexpr):
    """dropout_keep_rows' Philox words (r0, r1, r2, r3), each [QUERIES / 2, KEYS / 4] in the layout
    whose lanes hold their groups' scores: 16 registers a lane for a 64 x 64 tile, where its
    booleans take 32 (what a loop can carry, drawn a tile ahead)."""
    groups: gl.constexpr = _dropout_row_groups_layout(QUERIES, KEYS)
    qg = (query0 // 2 + gl.arange(0, QUERIES // 2, layout=gl.SliceLayout(1, groups))).to(gl.uint32)
    kg = (key0 // 4 + gl.arange(0, KEYS // 4, layout=gl.SliceLayout(0, groups))).to(gl.uint32)
    return _draw_groups(seed, bh, kg[None, :] + qg[:, None] * 0, qg[:, None] + kg[None, :] * 0)


@gluon.jit
def dropout_keep_from_draws(draws, dropout_p, layout: gl.constexpr):
    """keep (bool) in `layout` from dropout_draw_rows' words (see dropout_keep_rows)."""
    r0, r1, r2, r3 = draws
    QUERIES: gl.constexpr = r0.type.shape[0] * 2
    KEYS: gl.constexpr = r0.type.shape[1] * 4
    bound = _keep_bound(dropout_p)
    # the words joined k bit 3 first, then q bit 3: (qg, kg, k bit 3, q bit 3, k bit 0)
    keep = gl.join(_keep_words(r0, r2, r1, r3, bound, False), _keep_words(r0, r2, r1, r3, bound, True))
    # (q >> 4, q & 7, k >> 4, (k >> 1) & 3, k bit 3, q bit 3, k bit 0) -> (q, k)
    keep = gl.reshape(keep, [QUERIES // 16, 8, KEYS // 16, 4, 2, 2, 2])
    keep = gl.permute(keep, [0, 5, 1, 2, 4, 3, 6])
    keep = gl.reshape(keep, [QUERIES, KEYS])
    return gl.convert_layout(keep, layout, assert_trivial=True)


# [Note: keep bits from a warpgroup of their own] The dK/dV launch's transposed draw costs its
# consumers ~550 instructions a warp and tile (Philox ~170, bringing the bits into S^T's layout
# ~230, applying them ~100) in a loop whose registers are nearly all taken (benchmarks/NOTES.md
# v0.21b, v0.23). With DRAWER (experimental, off) a third worker partition, one warpgroup, draws
# them instead: each of its threads the 8 groups that consumer lanes l and l + 4 share (a group's
# two key halves sit in those lanes), packed straight into one 32-bit word per consumer thread in
# its accumulator's register order; the consumer loads its word and tests a bit a score
# (keep_from_word). sm_90a, D = 128 causal: the consumers' loop 808 -> 459 instructions a warp and
# tile, spills gone. Measured (NOTES v0.24): the fused dQ's dK/dV launch 4.10 -> 3.85 ms (S = 8192),
# the two launches' none (2.31 -> 2.34-2.41): handed constant bits, the fused launch still takes
# 3.33 ms against 2.73 without dropout (the extra warpgroup and the registers it takes from the
# consumers), and drawing the bits costs the rest, 0.46 ms. Two drawing warps (64 threads, one
# consumer's words at a time) share a warpgroup with the producer's warp, so the consumers keep
# their 240 registers (built after v0.24's device time; to measure).
@gluon.constexpr_function
def _words_layout(warps=4):
    """One value per thread of `warps` warps: thread 32 w + l holds element 32 w + l."""
    return gl.BlockedLayout([1], [32], [warps], [0])


@gluon.jit
def _pack_kept(low, high, word, bound, BIT: gl.constexpr):
    """low, high with bit BIT set where word's low / high 16-bit draw is kept (_keep_bound)."""
    return (low | (_kept(word, bound, False).to(gl.uint32) << BIT),
            high | (_kept(word, bound, True).to(gl.uint32) << BIT))


@gluon.jit
def dropout_keep_words(seed, bh, key0, query0, dropout_p, QUERIES: gl.constexpr, WARPS: gl.constexpr):
    """Drawer (WARPS warps, 2 or 4): the keep bits of WARPS / 2 consumer warpgroups' S^T tiles,
    consumer c's keys key0 + 64 c .. + 64 and queries query0 .. + QUERIES (64; key0 and query0
    multiples of 16), as [64 WARPS] uint32 words: word 128 c + 32 w + l holds the 32 bits of lane
    l of consumer c's warp w, bit i the score in its accumulator register i (keep_from_word). seed
    and bh as dropout_keep_transposed's; the same Philox groups and bits as kernels/common.py's
    dropout_keep."""
    gl.static_assert(QUERIES == 64, "a 64 x 64 tile: 32 scores, one word, a consumer thread")
    # (consumer, warp, lane pair) = (t >> 6, (t >> 4) & 3, t & 15)
    t = gl.arange(0, 32 * WARPS, layout=_words_layout(WARPS))
    pair = t & 15
    lane = (pair & 3) | ((pair >> 2) << 3)          # of lanes l, l + 4 (keys r, r + 1: one group's halves)
    key = key0 + (t >> 6) * 64 + ((t >> 4) & 3) * 16 + (lane >> 2)
    key_group = ((key >> 4) * 4 + ((key >> 1) & 3)).to(gl.uint32)
    query_group = (query0 // 2 + 2 * (lane & 3)).to(gl.uint32)   # queries 16 i + 2 (l & 3) + b
    bound = _keep_bound(dropout_p)
    low = key_group * 0      # lane l's word (keys' bit 0 clear: the draws' low halves)
    high = key_group * 0     # lane l + 4's
    for i in gl.static_range(QUERIES // 16):
        for b in gl.static_range(2):
            r0, r1, r2, r3 = _draw_groups(seed, bh, key_group, query_group + (8 * i + b))
            # word (key bit 3) + 2 (query bit 3) is the score in register 4 (2 i + query bit 3) +
            # 2 (key bit 3) + b (the accumulator's registers: column bit 0, row bit 3, column bits 3..5)
            low, high = _pack_kept(low, high, r0, bound, 8 * i + b)
            low, high = _pack_kept(low, high, r1, bound, 8 * i + 2 + b)
            low, high = _pack_kept(low, high, r2, bound, 8 * i + 4 + b)
            low, high = _pack_kept(low, high, r3, bound, 8 * i + 6 + b)
    # (consumer, warp, pair >> 2, pair & 3, half) -> word 128 c + 32 w + 8 (pair >> 2) + 4 half + (pair & 3)
    words = gl.reshape(gl.join(low, high), [WARPS // 2, 4, 4, 4, 2])
    return gl.reshape(gl.permute(words, [0, 1, 2, 4, 3]), [64 * WARPS])


@gluon.jit
def keep_word(words_smem):
    """Consumer: this thread's word of its warpgroup's 128 in shared memory (dropout_keep_words)."""
    return words_smem.load(_words_layout())


@gluon.jit
def keep_from_word(word, layout: gl.constexpr, ROTATED: gl.constexpr = False):
    """keep (bool) of a consumer's 64 x 64 S^T tile in `layout` (a one-warpgroup wgmma
    accumulator) from keep_word's word (ROTATED: rotated_word's): a bit test a score."""
    if ROTATED:
        word = (word >> 1) | (word << 31)
    word = gl.reshape(word, [4, 8, 4])    # (warp, lane >> 2, lane & 3)
    bits = gl.join(word, word >> 1)       # a register dim a bit of the register index:
    bits = gl.join(bits, bits >> 2)       # column bit 0, row bit 3, column bits 3, 4, 5
    bits = gl.join(bits, bits >> 4)
    bits = gl.join(bits, bits >> 8)
    bits = gl.join(bits, bits >> 16)
    # (warp, lane >> 2, lane & 3, column bit 0, row bit 3, column bits 3, 4, 5) -> (row, column)
    bits = gl.reshape(gl.permute(bits & 1, [0, 4, 1, 7, 6, 5, 2, 3]), [64, 64])
    return gl.convert_layout(bits, layout, assert_trivial=True) != 0   # (booleans moved through layouts cost bytes)


@gluon.jit
def rotated_word(word):
    """word rotated left by a bit, by an instruction the compiler does not see through: a second
    unpacking of it tests other bits of another register, so the compiler cannot merge the two
    unpackings into one whose 32 booleans it holds (packed by two instructions a bit) between
    their uses."""
    return gl.inline_asm_elementwise("shf.l.wrap.b32 $0, $1, $1, 1;", "=r,r", [word], dtype=word.dtype,
                                     is_pure=True, pack=1)


@gluon.jit
def opaque_copy(x):
    """x, through a move the compiler cannot see through (it would move a conversion to 16 bits
    ahead of a select, then select 16-bit halves)."""
    return gl.inline_asm_elementwise("mov.b32 $0, $1;", "=r,r", [x], dtype=x.dtype, is_pure=True, pack=1)


def tma_compatible(t: torch.Tensor) -> bool:
    """A 4D TMA descriptor can address t: unit last stride, 16-byte aligned start and strides."""
    size = t.element_size()
    return (t.stride(3) == 1 and t.data_ptr() % 16 == 0
            and all(stride * size % 16 == 0 and stride > 0 for stride in t.stride()[:3]))


def descriptor(t: torch.Tensor, rows: int) -> TensorDescriptor:
    """A 4D TMA descriptor over t's own (B, H, S, D) strides with boxes of `rows` x
    padded_head_dim(D): any layout with a unit last stride, and a ragged last box reads zeros /
    stores nothing past S within its own head, and past D within its row."""
    return box_descriptor(t, list(t.shape), list(t.stride()), [1, 1, rows, padded_head_dim(t.shape[3])])


def padded_head_dim(d: int) -> int:
    """The head dim the kernels compute with: D up to 64, 128 or 256, the columns past D read as
    zeros (so Q K^T and dO O^T are exact) and never stored."""
    return 64 if d <= 64 else (128 if d <= 128 else 256)


def describe_head_dims(dims) -> str:
    """'a head dim of 64 or 72..128 in steps of 8' for an error message, from a kernel's HEAD_DIMS."""
    dims, parts, run = sorted(dims), [], []
    for d in dims + [None]:
        if run and (d is None or d != run[-1] + 8):
            parts.append(f"{run[0]}..{run[-1]} in steps of 8" if len(run) > 2 else " or ".join(map(str, run)))
            run = []
        if d is not None:
            run.append(d)
    return "a head dim of " + " or ".join(parts)


def box_descriptor(t: torch.Tensor, shape: list, strides: list, block: list, layout=None) -> TensorDescriptor:
    """TensorDescriptor(t, shape, strides, block, layout or its default shared layout), built
    without the dataclass's checks: they cost ~7 us of Python a descriptor, six a launch, and
    tma_compatible has made them before a call is routed to a Gluon kernel."""
    desc = object.__new__(TensorDescriptor)
    desc.base, desc.shape, desc.strides, desc.block_shape = t, shape, strides, block
    desc.layout = layout if layout is not None else _shared_layout(tuple(block), t.dtype)
    desc.padding = "zero"
    return desc


@functools.lru_cache(maxsize=None)
def _shared_layout(block: tuple, dtype: torch.dtype):
    element = {torch.bfloat16: gl.bfloat16, torch.float16: gl.float16, torch.float32: gl.float32}[dtype]
    return gl.NVMMASharedLayout.get_default_for(list(block), element)


def bias_descriptor(bias: torch.Tensor, rows: int, cols: int):
    """(descriptor with (rows, cols) boxes, BIAS_B, BIAS_H) of a float attn_mask (B, H, S_q, S_k):
    broadcast dims (stride 0) become size-1 dims that every program reads at coordinate 0 (TMA
    takes no zero stride)."""
    batch, heads, n_rows, n_cols = bias.shape
    stride_b, stride_h, stride_m, _ = bias.stride()
    whole = n_rows * stride_m   # a stand-in stride for a size-1 dim, 16-byte aligned as the row's
    shape = [batch if stride_b else 1, heads if stride_h else 1, n_rows, n_cols]
    strides = [stride_b or whole, stride_h or whole, stride_m, 1]
    return box_descriptor(bias, shape, strides, [1, 1, rows, cols]), int(stride_b != 0), int(stride_h != 0)
