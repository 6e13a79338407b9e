"""FLASH backend: launches the Triton kernels and owns their autograd Function.

Three layers, as in FlashAttention: `flash_forward` / `flash_backward` launch kernels on
(B, H, S, D) tensors of any strides; `FlashAttentionFunction` ties them to autograd;
`FlashBackend.run` is what dispatch calls.
"""
from __future__ import annotations

import importlib.util
import os

import torch

from ..inputs import AttentionCall
from .support import BackendSupport, not_supported_reasons

from ..kernels import configs

# Triton is imported only when a kernel first runs: TRITON_INTERPRET is read at `import triton`,
# so a program (or the CLI, on a machine without a GPU) can still set it after importing us.
TRITON_AVAILABLE = importlib.util.find_spec("triton") is not None


def _kernels():
    from ..kernels import backward, forward
    return forward, backward


def _cdiv(a: int, b: int) -> int:
    return -(-a // b)


LOG2_E = 1.4426950408889634
MAX_HEAD_DIM = 512


def interpreter_active() -> bool:
    return os.environ.get("TRITON_INTERPRET", "0") == "1"


def support() -> BackendSupport:
    """What the flash kernels run, for the environment as it is now."""
    return BackendSupport(
        name="FLASH",
        devices=frozenset({"cuda", "cpu"} if interpreter_active() else {"cuda"}),
        dtypes=frozenset({torch.float16, torch.bfloat16, torch.float32}),
        max_head_dim=MAX_HEAD_DIM,
        mask_kinds=frozenset({"none"}),
        supports_mask_grad=False,
        supports_dropout=False,
        min_capability=(8, 0),
    )


def _capability(device: torch.device):
    return None if device.type != "cuda" else torch.cuda.get_device_capability(device)


def _precision(dtype: torch.dtype) -> str:
    if dtype == torch.float32 and torch.backends.cuda.matmul.allow_tf32:
        return "tf32"
    return "ieee"


def empty_like_layout(t: torch.Tensor, last_dim: int) -> torch.Tensor:
    """An empty (B, H, S, last_dim) tensor in the memory order of `t`: (B, S, H, D) memory
    when t's heads are the inner dim (e.g. q from a (B, S, H, D) projection), else (B, H, S, D)."""
    batch, heads, seq, _ = t.shape
    if heads > 1 and seq > 1 and t.stride(1) < t.stride(2):
        return t.new_empty((batch, seq, heads, last_dim)).transpose(1, 2)
    return t.new_empty((batch, heads, seq, last_dim))


def _strides(t: torch.Tensor):
    return t.stride(0), t.stride(1), t.stride(2), t.stride(3)


def flash_forward(q, k, v, scale: float, is_causal: bool, causal_offset: int, config=None):
    """q: (B, H_Q, S_Q, D_QK); k: (B, H_KV, S_K, D_QK); v: (B, H_KV, S_K, D_V); any strides.
    Returns out (B, H_Q, S_Q, D_V) in q's memory order and lse (B, H_Q, S_Q) fp32 (natural log)."""
    batch, heads_q, seq_q, d_qk = q.shape
    heads_kv, seq_k, d_v = k.shape[1], k.shape[2], v.shape[3]
    out = empty_like_layout(q, d_v)
    lse = torch.empty((batch, heads_q, seq_q), device=q.device, dtype=torch.float32)
    if batch * heads_q * seq_q == 0 or seq_k == 0:  # D_V = 0 still runs: lse is defined
        out.zero_()
        lse.fill_(float("-inf"))
        return out, lse
    cfg = config or configs.forward_config(_capability(q.device), q.element_size(), d_qk, d_v, is_causal, seq_k)
    grid = (_cdiv(seq_q, cfg.block_m) * batch * heads_q,)
    forward_kernels, _ = _kernels()
    forward_kernels.attention_forward_kernel[grid](
        q, k, v, out, lse, *_strides(q), *_strides(k), *_strides(v), *_strides(out),
        heads_q, heads_q // heads_kv, seq_q, seq_k, causal_offset, scale * LOG2_E,
        D_QK=d_qk, D_V=d_v, BLOCK_M=cfg.block_m, BLOCK_N=cfg.block_n,
        BLOCK_DQK=configs.padded_head_dim(d_qk), BLOCK_DV=configs.padded_head_dim(d_v),
        IS_CAUSAL=is_causal, EVEN_M=seq_q % cfg.block_m == 0, EVEN_N=seq_k % cfg.block_n == 0,
        PRECISION=_precision(q.dtype), REVERSE_GRID=is_causal,
        num_warps=cfg.num_warps, num_stages=cfg.num_stages,
    )
    return out, lse


def flash_backward(dout, q, k, v, out, lse, scale: float, is_causal: bool, causal_offset: int, config=None):
    """Gradients (dq, dk, dv) of flash_forward, each in the memory order of its input.
    `config` (a configs.BackwardConfig) overrides the tuning table, for tuning runs."""
    batch, heads_q, seq_q, d_qk = q.shape
    heads_kv, seq_k, d_v = k.shape[1], k.shape[2], v.shape[3]
    dq, dk, dv = empty_like_layout(q, d_qk), empty_like_layout(k, d_qk), empty_like_layout(v, d_v)
    if batch * heads_q * seq_q == 0 or seq_k == 0:  # a zero head dim still runs: dv is defined
        return dq.zero_(), dk.zero_(), dv.zero_()
    cfg = config or configs.backward_config(_capability(q.device), q.element_size(), d_qk, d_v, is_causal, seq_k)
    block_dqk, block_dv = configs.padded_head_dim(d_qk), configs.padded_head_dim(d_v)
    precision = _precision(q.dtype)
    delta = torch.empty_like(lse)
    pre_block = 64
    _, kernels = _kernels()
    kernels.attention_backward_preprocess_kernel[(_cdiv(seq_q, pre_block) * batch * heads_q,)](
        out, dout, delta, *_strides(out), *_strides(dout), heads_q, seq_q,
        D_V=d_v, BLOCK_M=pre_block, BLOCK_DV=block_dv,
    )
    common = dict(D_QK=d_qk, D_V=d_v, BLOCK_DQK=block_dqk, BLOCK_DV=block_dv, IS_CAUSAL=is_causal, PRECISION=precision)
    c = cfg.dkdv
    kernels.attention_backward_dkdv_kernel[(_cdiv(seq_k, c.block_n) * batch * heads_kv,)](
        q, k, v, dout, lse, delta, dk, dv,
        *_strides(q), *_strides(k), *_strides(v), *_strides(dout), *_strides(dk), *_strides(dv),
        heads_q, heads_kv, heads_q // heads_kv, seq_q, seq_k, causal_offset, scale * LOG2_E, scale,
        BLOCK_M=c.block_m, BLOCK_N=c.block_n, EVEN_M=seq_q % c.block_m == 0, EVEN_N=seq_k % c.block_n == 0,
        num_warps=c.num_warps, num_stages=c.num_stages, **common,
    )
    c = cfg.dq
    kernels.attention_backward_dq_kernel[(_cdiv(seq_q, c.block_m) * batch * heads_q,)](
        q, k, v, dout, lse, delta, dq,
        *_strides(q), *_strides(k), *_strides(v), *_strides(dout), *_strides(dq),
        heads_q, heads_q // heads_kv, seq_q, seq_k, causal_offset, scale * LOG2_E, scale,
        BLOCK_M=c.block_m, BLOCK_N=c.block_n, EVEN_M=seq_q % c.block_m == 0, EVEN_N=seq_k % c.block_n == 0,
        REVERSE_GRID=is_causal, num_warps=c.num_warps, num_stages=c.num_stages, **common,
    )
    return dq, dk, dv


class FlashAttentionFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, q, k, v, scale, is_causal, causal_offset):
        out, lse = flash_forward(q, k, v, scale, is_causal, causal_offset)
        ctx.save_for_backward(q, k, v, out, lse)
        ctx.args = (scale, is_causal, causal_offset)
        ctx.mark_non_differentiable(lse)
        return out, lse

    @staticmethod
    def backward(ctx, dout, _dlse):
        q, k, v, out, lse = ctx.saved_tensors
        dq, dk, dv = flash_backward(dout, q, k, v, out, lse, *ctx.args)
        return dq, dk, dv, None, None, None


def flash_attention(q, k, v, scale: float, is_causal: bool, causal_offset: int = 0):
    """(out, lse) with autograd through out; (B, H, S, D) tensors of any strides."""
    return FlashAttentionFunction.apply(q, k, v, scale, is_causal, causal_offset)


class FlashBackend:
    name = "FLASH"

    def not_supported_reasons(self, call: AttentionCall) -> list[str]:
        if not TRITON_AVAILABLE:
            return ["Triton is not installed (pip install triton)"]
        return not_supported_reasons(support(), call)

    def run(self, q, k, v, mask, call: AttentionCall):
        """Returns (out, lse); see flash_forward."""
        return flash_attention(q, k, v, call.scale, call.is_causal, call.causal_offset)
