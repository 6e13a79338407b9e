"""Triton helpers shared by the forward and backward kernels.

Sub notation used in every kernel of this package:
    B       batch (all leading dims flattened), H_Q / H_KV query / key-value heads
    GROUP   H_Q // H_KV, the query heads that share one key-value head (GQA/MQA)
    S_Q     query length, S_K key length, D_QK / D_V head dims of q,k and of v
    BLOCK_* tile sizes; BLOCK_DQK / BLOCK_DV are D_QK / D_V rounded up to a power of two
    CAUSAL_OFFSET  query row i may see key j iff j <= i + CAUSAL_OFFSET
                   (0: torch's top-left alignment, S_K - S_Q: flash-attn's bottom-right)
Scores live in the base-2 domain: s2 = q.k * scale * log2(e), so softmax uses exp2.
"""
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


@triton.jit
def visible(rows, cols, n_cols, causal_offset, IS_CAUSAL: tl.constexpr):
    """Which (row, col) score entries take part: inside the key length and, if causal, on or
    below the (shifted) diagonal."""
    keep = cols[None, :] < n_cols
    if IS_CAUSAL:
        keep = keep & (cols[None, :] <= rows[:, None] + causal_offset)
    return keep


@triton.jit
def matmul(a, b, PRECISION: tl.constexpr):
    """a @ b with fp32 accumulation; PRECISION picks ieee or tf32 for fp32 operands."""
    return tl.dot(a, b, input_precision=PRECISION, out_dtype=tl.float32)


@triton.jit
def row_block_and_head(seq_len, BLOCK: tl.constexpr, REVERSE: tl.constexpr):
    """Map the 1D program id to (block index along the sequence, flattened batch*head).

    Blocks of one head are adjacent, so programs running together share K/V in L2; with
    REVERSE the heaviest causal blocks of each head (the last ones) start first. A 1D grid
    also lifts the 65535 limit of the second grid axis on B*H.
    """
    num_blocks = tl.cdiv(seq_len, BLOCK)
    pid = tl.program_id(0)
    block = pid % num_blocks
    if REVERSE:
        block = num_blocks - 1 - block
    return block, pid // num_blocks
