"""MATH backend: exact attention in plain PyTorch, processed in chunks of query rows.

It never holds more than one chunk of the S_q x S_k score matrix (forward and backward:
the backward recomputes each chunk from the saved log-sum-exp), so the fallback itself
does not run out of memory at sequence lengths where a naive softmax(QK^T)V would.
Half-precision inputs are computed in float32, float64 in float64.
"""
from __future__ import annotations

import torch

from ..inputs import AttentionCall
from .support import BackendSupport, not_supported_reasons

# Score elements per chunk (x4 bytes in fp32): bounds the working set of one step.
CHUNK_ELEMENTS = 1 << 25

SUPPORT = BackendSupport(
    name="MATH",
    devices=frozenset({"cpu", "cuda"}),
    dtypes=frozenset({torch.float16, torch.bfloat16, torch.float32, torch.float64}),
    max_head_dim=1 << 30,
    mask_kinds=frozenset({"none", "bool", "float"}),
    supports_mask_grad=True,
    supports_dropout=True,
    supports_window=True,
    supports_alibi=True,
    supports_softcap=True,
)


def compute_dtype(dtype: torch.dtype) -> torch.dtype:
    return torch.float64 if dtype == torch.float64 else torch.float32


def chunk_rows(call_shape: tuple[int, int, int, int]) -> int:
    batch, heads, seq_q, seq_k = call_shape
    return max(1, min(seq_q, CHUNK_ELEMENTS // max(1, batch * heads * seq_k)))


def dropout_keep(seed: int, chunk_index: int, shape, device, p: float) -> torch.Tensor:
    """The dropout keep-mask of one chunk, regenerated identically in the backward."""
    generator = torch.Generator(device=device)
    generator.manual_seed(seed + chunk_index)
    return torch.rand(shape, generator=generator, device=device) >= p


def _probabilities(q, k, mask, slopes, rows, call: AttentionCall, groups):
    """Softmax probabilities (pre-dropout) of query rows `rows`, their log-sum-exp, and
    tanh(s / softcap) (the softcap's derivative needs it; None without softcap).

    q: (B, H_KV, G, r, D) chunk in compute dtype; k: (B, H_KV, 1, S_k, D); slopes (B, H_Q).
    Returns p: (B, H_KV, G, r, S_k), lse: (B, H_KV, G, r).
    """
    s = torch.matmul(q, k.transpose(-1, -2)) * call.scale
    capped = None
    if call.softcap > 0:
        capped = torch.tanh(s / call.softcap)
        s = capped * call.softcap
    cols = torch.arange(k.shape[-2], device=q.device)
    diagonal = rows[:, None] + call.causal_offset   # key aligned with each query row
    if slopes is not None:
        distance = (diagonal - cols[None, :]).abs().to(s.dtype)
        s = s - slopes.to(s.dtype).unflatten(1, (-1, groups))[..., None, None] * distance
    if mask is not None:
        m = mask[..., rows, :].unflatten(1, (-1, groups))
        s = s.masked_fill(~m, float("-inf")) if m.dtype == torch.bool else s + m.to(s.dtype)
    if call.visible_hi is not None:
        s = s.masked_fill(cols[None, :] > rows[:, None] + call.visible_hi, float("-inf"))
    if call.visible_lo is not None:
        s = s.masked_fill(cols[None, :] < rows[:, None] + call.visible_lo, float("-inf"))
    # [Note] rows that see no key: max is -inf; a zero stand-in keeps exp() from NaN and
    # the row sum 0 makes the output 0 and the log-sum-exp -inf, as in the flash kernel.
    row_max = s.amax(dim=-1, keepdim=True)
    row_max = torch.where(row_max == float("-inf"), torch.zeros_like(row_max), row_max)
    p = torch.exp(s - row_max)
    total = p.sum(dim=-1, keepdim=True)
    lse = (row_max + torch.log(total)).squeeze(-1)
    p = p / torch.where(total == 0, torch.ones_like(total), total)
    return p, lse, capped


class _ReferenceAttention(torch.autograd.Function):
    @staticmethod
    def forward(ctx, q, k, v, mask, slopes, call, seed):
        batch, heads_q, seq_q, _ = q.shape
        heads_kv, seq_k = k.shape[1], k.shape[2]
        groups = heads_q // heads_kv if heads_kv else 1
        dtype = compute_dtype(q.dtype)
        kc = k.to(dtype).unsqueeze(2)   # (B, H_KV, 1, S_k, D)
        vc = v.to(dtype).unsqueeze(2)
        out = q.new_empty((batch, heads_q, seq_q, v.shape[-1]))
        lse = torch.empty((batch, heads_q, seq_q), device=q.device, dtype=dtype)
        step = chunk_rows((batch, heads_q, seq_q, seq_k))
        kept = []   # the dropout masks, when they cannot be regenerated (inside torch.compile)
        if seq_k == 0:  # no keys: torch returns zeros
            out.zero_()
            lse.fill_(float("-inf"))
        for index, start in enumerate(range(0, seq_q if seq_k else 0, step)):
            rows = torch.arange(start, min(start + step, seq_q), device=q.device)
            qc = q[:, :, start:start + step].to(dtype).unflatten(1, (heads_kv, groups))
            p, lse_c, _ = _probabilities(qc, kc, mask, slopes, rows, call, groups)
            if call.dropout_p > 0:
                if torch.compiler.is_compiling():   # no Generator in a traced graph: torch's RNG, mask kept
                    keep = torch.rand(p.shape, device=q.device) >= call.dropout_p
                    kept.append(keep)
                else:
                    keep = dropout_keep(seed, index, p.shape, q.device, call.dropout_p)
                p = p * keep / (1 - call.dropout_p)
            out[:, :, start:start + step] = torch.matmul(p, vc).flatten(1, 2).to(out.dtype)
            lse[:, :, start:start + step] = lse_c.flatten(1, 2)
        ctx.save_for_backward(q, k, v, mask, slopes, *kept)
        ctx.args = (call, seed, step)
        ctx.mark_non_differentiable(lse)
        return out, lse

    @staticmethod
    def backward(ctx, dout, _dlse):
        q, k, v, mask, slopes, *kept = ctx.saved_tensors
        call, seed, step = ctx.args
        heads_q, heads_kv, seq_q = q.shape[1], k.shape[1], q.shape[2]
        groups = heads_q // heads_kv if heads_kv else 1
        dtype = compute_dtype(q.dtype)
        kc = k.to(dtype).unsqueeze(2)
        vc = v.to(dtype).unsqueeze(2)
        dq = torch.zeros_like(q)
        dk = torch.zeros(kc.shape, dtype=dtype, device=q.device)
        dv = torch.zeros(vc.shape, dtype=dtype, device=q.device)
        want_dmask = mask is not None and ctx.needs_input_grad[3]
        dmask = torch.zeros(mask.shape, dtype=mask.dtype, device=q.device) if want_dmask else None
        for index, start in enumerate(range(0, seq_q if k.shape[2] else 0, step)):
            rows = torch.arange(start, min(start + step, seq_q), device=q.device)
            qc = q[:, :, start:start + step].to(dtype).unflatten(1, (heads_kv, groups))
            doc = dout[:, :, start:start + step].to(dtype).unflatten(1, (heads_kv, groups))
            p, _, capped = _probabilities(qc, kc, mask, slopes, rows, call, groups)
            dp = torch.matmul(doc, vc.transpose(-1, -2))
            attn = p
            if call.dropout_p > 0:
                keep = kept[index] if kept else dropout_keep(seed, index, p.shape, q.device, call.dropout_p)
                keep = keep / (1 - call.dropout_p)
                attn = p * keep
                dp = dp * keep
            dv += torch.matmul(attn.transpose(-1, -2), doc).sum(dim=2, keepdim=True)
            # delta = rowsum(dO * O) taken from the compute-dtype P and dP, not from the output
            # as returned (rounded to the input dtype), whose rounding dq and dk would inherit.
            # dS = P * (dP - delta) cancels where one key takes nearly all of a row: for fp32
            # inputs the products are taken in fp64, else their rounding (half an ulp of dP)
            # is all that is left of dS there (dq and dk 3x torch's error: S_k = 2, scale 1.5).
            if q.dtype == torch.float32:
                delta = (p.double() * dp.double()).sum(dim=-1, keepdim=True).to(dtype)
            else:
                delta = (p * dp).sum(dim=-1, keepdim=True)
            ds = p * (dp - delta)       # d loss / d (scores after softcap, with bias)
            if want_dmask:
                dmask[..., start:start + step, :] = ds.flatten(1, 2).to(dmask.dtype)
            if capped is not None:
                ds = ds * (1 - capped * capped)   # d softcap * tanh(s / softcap) / ds
            dq[:, :, start:start + step] = (torch.matmul(ds, kc) * call.scale).flatten(1, 2).to(dq.dtype)
            dk += (torch.matmul(ds.transpose(-1, -2), qc) * call.scale).sum(dim=2, keepdim=True)
        return dq, dk.squeeze(2).to(k.dtype), dv.squeeze(2).to(v.dtype), dmask, None, None, None


class ReferenceBackend:
    name = "MATH"

    def not_supported_reasons(self, call: AttentionCall) -> list[str]:
        return not_supported_reasons(SUPPORT, call)

    def prepare(self, call: AttentionCall):
        """run(q, k, v, mask, slopes) for calls described by `call` (as FlashBackend.prepare;
        packed calls get out as (B, S_q, H, D))."""
        def run(q, k, v, mask, slopes, packed=None):
            out, lse = self.run(q, k, v, mask, slopes, call)
            return (out if packed is None else out.transpose(1, 2)), lse
        return run

    def run(self, q, k, v, mask, slopes, call: AttentionCall):
        """q, k, v: (B, H, S, D) (k, v with H_KV heads); mask: (B, H, S_q, S_k) or None;
        slopes: (B, H_Q) float32 or None. Returns (out, lse)."""
        seed = 0
        if call.dropout_p > 0 and not torch.compiler.is_compiling():   # (compiled: masks kept, see forward)
            seed = int(torch.randint(0, 2**62, (1,), device="cpu").item())
        return _ReferenceAttention.apply(q, k, v, mask, slopes, call, seed)  # (out, lse)
