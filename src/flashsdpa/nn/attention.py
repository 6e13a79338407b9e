"""Attention modules on flashsdpa: nanoGPT's CausalSelfAttention and a drop-in for
torch.nn.MultiheadAttention. Parameter names match the originals, so their checkpoints load."""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..functional import flash_attn_qkvpacked_func, scaled_dot_product_attention


@dataclass
class GPTConfig:
    """The fields of nanoGPT's GPTConfig that attention reads (a nanoGPT config works too)."""
    block_size: int = 1024
    n_embd: int = 768
    n_head: int = 12
    dropout: float = 0.0
    bias: bool = True


class CausalSelfAttention(nn.Module):
    """nanoGPT's causal self-attention with flashsdpa underneath: same parameters (c_attn,
    c_proj), same dropouts, same result. x (B, T, C) -> (B, T, C)."""

    def __init__(self, config):
        super().__init__()
        if config.n_embd % config.n_head != 0:
            raise ValueError(f"n_embd must be a multiple of n_head; got n_embd={config.n_embd}, n_head={config.n_head}")
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.attn_dropout = nn.Dropout(config.dropout)  # kept for checkpoint parity; the kernel drops
        self.resid_dropout = nn.Dropout(config.dropout)
        self.n_head = config.n_head
        self.n_embd = config.n_embd
        self.dropout = config.dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.size()
        # nanoGPT splits c_attn's output into q, k, v and transposes each; one packed view
        # instead lets the gradient come out as one tensor (no split, transposes or cat in the
        # backward) and the output come out in (B, T, nh, hs) order (no copy before c_proj).
        # With as many queries as keys, flash-attn's causal mask is is_causal=True's.
        qkv = self.c_attn(x).view(B, T, 3, self.n_head, C // self.n_head)
        y = flash_attn_qkvpacked_func(qkv, dropout_p=self.dropout if self.training else 0.0, causal=True)
        return self.resid_dropout(self.c_proj(y.reshape(B, T, C)))


class MultiheadAttention(nn.Module):
    """A drop-in for torch.nn.MultiheadAttention (same constructor, state_dict keys, inputs and
    outputs) whose attention runs in flashsdpa's fused kernel.

    need_weights=True (torch's default) must return the attention weights, which a fused
    kernel never forms: they are then computed explicitly, softmax(q k^T * scale + mask), an
    O(S_q * S_k) tensor, next to the fused output. Pass need_weights=False for the fast path.
    Masks follow torch.nn.MultiheadAttention: in key_padding_mask and a boolean attn_mask,
    True means *ignore*; float masks are added to the scores.
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0 or embed_dim % num_heads != 0:
            raise ValueError(f"embed_dim must be a positive multiple of num_heads; got embed_dim={embed_dim}, "
                             f"num_heads={num_heads}")
        factory = {"device": device, "dtype": dtype}
        self.embed_dim, self.num_heads, self.dropout, self.batch_first = embed_dim, num_heads, dropout, batch_first
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.head_dim = embed_dim // num_heads
        if self._qkv_same_embed_dim:
            self.in_proj_weight = nn.Parameter(torch.empty((3 * embed_dim, embed_dim), **factory))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = nn.Parameter(torch.empty((embed_dim, embed_dim), **factory))
            self.k_proj_weight = nn.Parameter(torch.empty((embed_dim, self.kdim), **factory))
            self.v_proj_weight = nn.Parameter(torch.empty((embed_dim, self.vdim), **factory))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = nn.Parameter(torch.empty(3 * embed_dim, **factory))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = nn.modules.linear.NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **factory)
        if add_bias_kv:
            self.bias_k = nn.Parameter(torch.empty((1, 1, embed_dim), **factory))
            self.bias_v = nn.Parameter(torch.empty((1, 1, embed_dim), **factory))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):  # as torch.nn.MultiheadAttention
        if self._qkv_same_embed_dim:
            nn.init.xavier_uniform_(self.in_proj_weight)
        else:
            nn.init.xavier_uniform_(self.q_proj_weight)
            nn.init.xavier_uniform_(self.k_proj_weight)
            nn.init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            nn.init.constant_(self.in_proj_bias, 0.0)
            nn.init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            nn.init.xavier_normal_(self.bias_k)
            nn.init.xavier_normal_(self.bias_v)

    def _project(self, query, key, value):
        e = self.embed_dim
        b_q, b_k, b_v = (None, None, None) if self.in_proj_bias is None else self.in_proj_bias.split(e)
        if self._qkv_same_embed_dim:
            w_q, w_k, w_v = self.in_proj_weight.split(e)
        else:
            w_q, w_k, w_v = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
        return F.linear(query, w_q, b_q), F.linear(key, w_k, b_k), F.linear(value, w_v, b_v)

    def _additive_mask(self, attn_mask, key_padding_mask, batch, s_q, s_k, dtype):
        """One float mask (B or 1, H or 1, S_q, S_k) with torch MHA's semantics, or None."""
        def as_float(mask, name):
            if mask.dtype == torch.bool:
                return torch.zeros(mask.shape, dtype=dtype, device=mask.device).masked_fill(mask, float("-inf"))
            if not mask.is_floating_point():
                raise TypeError(f"{name} must be bool or floating point; got {mask.dtype}")
            return mask.to(dtype)

        mask = None
        if attn_mask is not None:
            if attn_mask.dim() == 2:
                if attn_mask.shape != (s_q, s_k):
                    raise ValueError(f"attn_mask must be (L, S) = {(s_q, s_k)} or (N*num_heads, L, S); "
                                     f"got {tuple(attn_mask.shape)}")
                mask = as_float(attn_mask, "attn_mask")[None, None]
            elif attn_mask.dim() == 3 and attn_mask.shape == (batch * self.num_heads, s_q, s_k):
                mask = as_float(attn_mask, "attn_mask").view(batch, self.num_heads, s_q, s_k)
            else:
                raise ValueError(f"attn_mask must be (L, S) = {(s_q, s_k)} or (N*num_heads, L, S) = "
                                 f"{(batch * self.num_heads, s_q, s_k)}; got {tuple(attn_mask.shape)}")
        if key_padding_mask is not None:
            if key_padding_mask.shape != (batch, s_k):
                raise ValueError(f"key_padding_mask must be (N, S) = {(batch, s_k)}; got {tuple(key_padding_mask.shape)}")
            padding = as_float(key_padding_mask, "key_padding_mask")[:, None, None, :]
            mask = padding if mask is None else mask + padding
        return mask

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        """query (L, N, E) or (N, L, E) with batch_first (or unbatched (L, E)); returns
        (attn_output, attn_weights or None), as torch.nn.MultiheadAttention."""
        unbatched = query.dim() == 2
        if unbatched:
            query, key, value = (t.unsqueeze(1) for t in (query, key, value))
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif self.batch_first:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        s_q, batch, _ = query.shape  # (L, N, E) from here on
        q, k, v = self._project(query, key, value)
        if self.bias_k is not None:
            k = torch.cat([k, self.bias_k.expand(1, batch, -1)])
            v = torch.cat([v, self.bias_v.expand(1, batch, -1)])
            attn_mask = None if attn_mask is None else F.pad(attn_mask, (0, 1))
            key_padding_mask = None if key_padding_mask is None else F.pad(key_padding_mask, (0, 1))
        if self.add_zero_attn:
            k = torch.cat([k, k.new_zeros((1, batch, self.embed_dim))])
            v = torch.cat([v, v.new_zeros((1, batch, self.embed_dim))])
            attn_mask = None if attn_mask is None else F.pad(attn_mask, (0, 1))
            key_padding_mask = None if key_padding_mask is None else F.pad(key_padding_mask, (0, 1))
        s_k = k.shape[0]
        # (L, N, E) -> (N, H, L, head_dim), views of the projections
        q, k, v = (t.view(t.shape[0], batch, self.num_heads, self.head_dim).permute(1, 2, 0, 3) for t in (q, k, v))
        mask = self._additive_mask(attn_mask, key_padding_mask, batch, s_q, s_k, q.dtype)
        causal = is_causal and mask is None  # torch treats is_causal as a hint when a mask is given
        dropout = self.dropout if self.training else 0.0
        out = scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout, is_causal=causal)
        out = self.out_proj(out.permute(2, 0, 1, 3).reshape(s_q, batch, self.embed_dim))  # (L, N, E)
        weights = None
        if need_weights:  # explicit, O(S_q * S_k): see the class docstring
            scores = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim)
            if mask is not None:
                scores = scores + mask
            elif causal:
                scores = scores.masked_fill(torch.ones(s_q, s_k, dtype=torch.bool, device=q.device).triu(1),
                                            float("-inf"))
            weights = torch.softmax(scores, dim=-1)
            if dropout > 0:
                weights = F.dropout(weights, dropout)
            weights = weights.mean(dim=1) if average_attn_weights else weights
            if unbatched:
                weights = weights.squeeze(0)
        if unbatched:
            out = out.squeeze(1)
        elif self.batch_first:
            out = out.transpose(0, 1)
        return out, weights
