"""Context parallelism: exact attention over a sequence split across ranks (ring attention),
on torch.distributed (NCCL on GPUs, gloo on CPU).

Each rank holds a shard of the sequence: q, k, v of shape (B, H, S_local, D). K/V shards travel
around the ring with asynchronous point-to-point sends that overlap the local attention of the
shard in hand; the partial outputs merge exactly through their log-sum-exps. The backward
passes the same K/V around again and, with them, the dK/dV accumulated for them, which arrive
back at their owner after a full turn.

Causal attention uses zig-zag sharding so every rank does the same work: with W ranks the
sequence is cut into 2W chunks and rank r holds chunks r and 2W-1-r (`shard_zigzag`,
`unshard_zigzag`). Then at ring step t, with the K/V of rank s:
    s == r: chunk pairs (r, r) and (2W-1-r, 2W-1-r) causal, (2W-1-r, r) full;
    s <  r: both query chunks see the first K/V chunk (s) whole, the second (2W-1-s) not at all;
    s >  r: only the second query chunk (2W-1-r) sees both K/V chunks, whole.
"""
from __future__ import annotations

import math

import torch
import torch.distributed as dist

from .backends import flash
from .dispatch import Backend, enabled_backends
from .inputs import describe_call


def shard_zigzag(x: torch.Tensor, world_size: int, rank: int, dim: int = -2) -> torch.Tensor:
    """Rank `rank`'s zig-zag shard of the full sequence x (chunks rank and 2W-1-rank of 2W)."""
    if x.shape[dim] % (2 * world_size):
        raise ValueError(f"the sequence length (dim {dim}) must be a multiple of 2 * world_size = {2 * world_size} "
                         f"for zig-zag sharding; got {x.shape[dim]}")
    chunks = x.chunk(2 * world_size, dim=dim)
    return torch.cat([chunks[rank], chunks[2 * world_size - 1 - rank]], dim=dim)


def unshard_zigzag(shards: list[torch.Tensor], dim: int = -2) -> torch.Tensor:
    """The full sequence from every rank's zig-zag shard, in rank order."""
    world_size = len(shards)
    chunks = [None] * (2 * world_size)
    for rank, shard in enumerate(shards):
        chunks[rank], chunks[2 * world_size - 1 - rank] = shard.chunk(2, dim=dim)
    return torch.cat(chunks, dim=dim)


# ----------------------------------------------------------------------------- one block
# (out, lse) of queries against one K/V block, and its gradients given the *global* out and
# lse: P_block = exp(S_block - lse) is the block's share of the global softmax, so the
# FlashAttention backward run on the block with the global delta yields exactly the block's
# contribution to dq, dk, dv.


def _use_flash(q: torch.Tensor) -> bool:
    return Backend.FLASH in enabled_backends() and not flash.FlashBackend().not_supported_reasons(
        describe_call(q, q, q))


def _compute_dtype(t: torch.Tensor) -> torch.dtype:
    return torch.float64 if t.dtype == torch.float64 else torch.float32


def _math_scores(q, k, v, scale, causal):
    """Block scores in the compute dtype (-inf above a top-left diagonal), with k and v's heads
    repeated for GQA: the plain PyTorch path of a block."""
    group, ct = q.shape[1] // k.shape[1], _compute_dtype(q)
    k, v = k.repeat_interleave(group, 1).to(ct), v.repeat_interleave(group, 1).to(ct)
    s = q.to(ct) @ k.transpose(-1, -2) * scale
    if causal:
        s = s.masked_fill(torch.ones(s.shape[-2:], dtype=torch.bool, device=s.device).triu(1), float("-inf"))
    return s, k, v


def _block_forward(q, k, v, scale, causal, use_flash):
    if use_flash:
        return flash.flash_forward(q, k, v, scale, causal, 0)
    s, _, v = _math_scores(q, k, v, scale, causal)
    lse = torch.logsumexp(s, dim=-1)
    return (torch.exp(s - lse[..., None]) @ v).to(q.dtype), lse


def _block_backward(dout, q, k, v, out, lse, scale, causal, use_flash):
    if use_flash:  # the kernels index lse and delta as dense (B, H, S_q)
        return flash.flash_backward(dout, q, k, v, out, lse.contiguous(), scale, causal, 0)[:3]
    heads_kv, group, ct = k.shape[1], q.shape[1] // k.shape[1], _compute_dtype(q)
    s, kf, vf = _math_scores(q, k, v, scale, causal)
    p = torch.exp(s - lse[..., None].to(ct))
    do = dout.to(ct)
    delta = (do * out.to(ct)).sum(-1, keepdim=True)
    ds = p * (do @ vf.transpose(-1, -2) - delta)
    dq = ds @ kf * scale
    dk = (ds.transpose(-1, -2) @ q.to(ct) * scale).unflatten(1, (heads_kv, group)).sum(2)
    dv = (p.transpose(-1, -2) @ do).unflatten(1, (heads_kv, group)).sum(2)
    return dq.to(q.dtype), dk.to(k.dtype), dv.to(v.dtype)


def _pairs(rank: int, source: int, causal: bool, s_local: int):
    """(query slice, key slice, causal) of the local attention against rank `source`'s K/V."""
    if not causal:
        return [(slice(0, s_local), slice(0, s_local), False)]
    half = s_local // 2
    first, second = slice(0, half), slice(half, s_local)
    if source == rank:
        return [(first, first, True), (second, first, False), (second, second, True)]
    if source < rank:
        return [(slice(0, s_local), first, False)]
    return [(second, slice(0, s_local), False)]


def _merge(out, lse, block_out, block_lse, rows):
    """Fold a block's (out, lse) into the running ones for query rows `rows`, exactly."""
    old_lse, block_lse = lse[:, :, rows], block_lse.to(lse.dtype)
    new_lse = torch.logaddexp(old_lse, block_lse)
    # a side that has seen no key yet has lse = -inf: its weight is 0, not NaN
    w_old = torch.exp(torch.where(old_lse == float("-inf"), old_lse, old_lse - new_lse))[..., None]
    w_new = torch.exp(torch.where(block_lse == float("-inf"), block_lse, block_lse - new_lse))[..., None]
    out[:, :, rows] = out[:, :, rows] * w_old + block_out.to(out.dtype) * w_new
    lse[:, :, rows] = new_lse


# ----------------------------------------------------------------------------- the ring


class _Ring:
    """Point-to-point exchange with the ring neighbours: send to rank + 1, receive from rank - 1."""

    def __init__(self, group):
        self.group = group
        self.rank = dist.get_rank(group)
        self.world = dist.get_world_size(group)
        self.next = dist.get_global_rank(group, (self.rank + 1) % self.world) if group else (self.rank + 1) % self.world
        self.prev = dist.get_global_rank(group, (self.rank - 1) % self.world) if group else (self.rank - 1) % self.world

    def start(self, tensors):
        """Send `tensors` on and start receiving their successors; returns (requests, buffers)."""
        buffers = [torch.empty_like(t) for t in tensors]
        ops = [dist.P2POp(dist.isend, t, self.next, self.group) for t in tensors]
        ops += [dist.P2POp(dist.irecv, b, self.prev, self.group) for b in buffers]
        return dist.batch_isend_irecv(ops), buffers

    @staticmethod
    def finish(requests):
        for request in requests:
            request.wait()


def _check_shards(q, k, v, causal, group, world):
    if q.dim() != 4 or k.dim() != 4 or v.dim() != 4:
        raise ValueError("q, k and v must be (B, H, S_local, D) shards; got shapes "
                         f"{tuple(q.shape)}, {tuple(k.shape)}, {tuple(v.shape)}")
    if q.shape[2] != k.shape[2]:
        raise ValueError(f"q and k must hold the same local sequence length; got {q.shape[2]} and {k.shape[2]}")
    if causal and q.shape[2] % 2:
        raise ValueError(f"causal context parallelism needs an even local sequence length (two zig-zag chunks); "
                         f"got {q.shape[2]}")
    lengths = torch.tensor([q.shape[2], -q.shape[2]], device=q.device if q.is_cuda else "cpu")
    dist.all_reduce(lengths, op=dist.ReduceOp.MAX, group=group)
    if lengths[0].item() != -lengths[1].item():
        raise ValueError(f"every rank must hold the same local sequence length; this rank has {q.shape[2]}, "
                         f"others between {-lengths[1].item()} and {lengths[0].item()}")


class _RingAttention(torch.autograd.Function):
    @staticmethod
    def forward(ctx, q, k, v, scale, causal, group, use_flash):
        ring = _Ring(group)
        batch, heads, s_local, _ = q.shape
        ct = _compute_dtype(q)
        out = torch.zeros((batch, heads, s_local, v.shape[-1]), device=q.device, dtype=ct)
        lse = torch.full((batch, heads, s_local), float("-inf"), device=q.device, dtype=ct)
        kv = [k.contiguous(), v.contiguous()]
        for step in range(ring.world):
            pending = ring.start(kv) if step + 1 < ring.world else None  # overlaps the local work below
            source = (ring.rank - step) % ring.world
            for rows, cols, block_causal in _pairs(ring.rank, source, causal, s_local):
                block_out, block_lse = _block_forward(q[:, :, rows], kv[0][:, :, cols], kv[1][:, :, cols], scale,
                                                      block_causal, use_flash)
                _merge(out, lse, block_out, block_lse, rows)
            if pending:
                _Ring.finish(pending[0])
                kv = pending[1]
        out = out.to(q.dtype)
        ctx.save_for_backward(q, k, v, out, lse)
        ctx.args = (scale, causal, group, use_flash)
        return out

    @staticmethod
    def backward(ctx, dout):
        q, k, v, out, lse = ctx.saved_tensors
        scale, causal, group, use_flash = ctx.args
        ring = _Ring(group)
        s_local = q.shape[2]
        dout = dout.contiguous()
        ct = _compute_dtype(q)
        dq = torch.zeros_like(q, dtype=ct)
        # K, V and the dK, dV accumulated for them travel together; after W steps each
        # rank holds its own K/V's complete gradients again.
        kv = [k.contiguous(), v.contiguous()]
        dkv = [torch.zeros_like(k, dtype=ct), torch.zeros_like(v, dtype=ct)]
        for step in range(ring.world):
            source = (ring.rank - step) % ring.world
            pending_kv = ring.start(kv) if step + 1 < ring.world else None
            for rows, cols, block_causal in _pairs(ring.rank, source, causal, s_local):
                dq_b, dk_b, dv_b = _block_backward(dout[:, :, rows], q[:, :, rows], kv[0][:, :, cols],
                                                   kv[1][:, :, cols], out[:, :, rows], lse[:, :, rows], scale,
                                                   block_causal, use_flash)
                dq[:, :, rows] += dq_b.to(ct)
                dkv[0][:, :, cols] += dk_b.to(ct)
                dkv[1][:, :, cols] += dv_b.to(ct)
            pending_dkv = ring.start(dkv)  # to the next rank, which holds this K/V next
            if pending_kv:
                _Ring.finish(pending_kv[0])
                kv = pending_kv[1]
            _Ring.finish(pending_dkv[0])
            dkv = pending_dkv[1]
        return dq.to(q.dtype), dkv[0].to(k.dtype), dkv[1].to(v.dtype), None, None, None, None


def context_parallel_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, *, group=None,
                               is_causal: bool = False, scale: float | None = None) -> torch.Tensor:
    """Exact attention of this rank's query shard against the whole sequence, sharded over the
    ranks of `group` (default: the world).

    q (B, H_q, S_local, D), k/v (B, H_kv, S_local, D): this rank's shards; H_q a multiple of
    H_kv (GQA). For is_causal, shard with `shard_zigzag` (the result is then this rank's
    zig-zag shard of the output; `unshard_zigzag` puts gathered shards back in order); without
    it, any contiguous split in rank order. Equals scaled_dot_product_attention on the
    gathered sequence. Runs the flash kernels where FLASH can (see why_not_flash), else a
    plain PyTorch block computation.
    """
    if not dist.is_available() or not dist.is_initialized():
        raise RuntimeError("context_parallel_attention needs torch.distributed to be initialized "
                           "(torch.distributed.init_process_group)")
    world = dist.get_world_size(group)
    _check_shards(q, k, v, is_causal, group, world)
    if q.shape[1] % k.shape[1]:
        raise ValueError(f"the query heads must be a multiple of the key/value heads; got {q.shape[1]} and {k.shape[1]}")
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    return _RingAttention.apply(q, k, v, scale, is_causal, group, _use_flash(q))
