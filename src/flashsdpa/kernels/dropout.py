"""Writes the dropout keep-mask that the attention kernels regenerate in their tiles, so a
test (or an audit) can compare a call with the reference computed under the same mask."""
import triton
import triton.language as tl

from .common import dropout_keep


@triton.jit
def dropout_mask_kernel(Keep, S_Q, S_K, dropout_p, seed, BLOCK: tl.constexpr):
    """Keep: (B * H_Q, S_Q, S_K) uint8, contiguous; grid (row blocks, column blocks, B * H_Q)."""
    rows = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    cols = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    bh = tl.program_id(2)
    keep = dropout_keep(seed, bh, tl.program_id(0) * BLOCK, tl.program_id(1) * BLOCK, dropout_p, BLOCK, BLOCK)
    ptrs = Keep + bh.to(tl.int64) * S_Q * S_K + rows[:, None].to(tl.int64) * S_K + cols[None, :]
    tl.store(ptrs, keep.to(tl.uint8), mask=(rows[:, None] < S_Q) & (cols[None, :] < S_K))
