"""Reference helpers shared by the tests, the self-check and users: a float64 oracle and
the relative error the project's accuracy standard is written in."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def relative_error(ours: torch.Tensor, ref: torch.Tensor) -> float:
    """||ours - ref|| / ||ref|| in float64; NaN anywhere gives inf, so NaN never passes."""
    ours, ref = ours.detach().double(), ref.detach().double()
    if not torch.isfinite(ours).all():
        return float("inf")
    denom = ref.norm().item()
    return (ours - ref).norm().item() / (denom if denom > 0 else 1.0)


def reference_attention(q, k, v, attn_mask=None, is_causal=False, scale=None, enable_gqa=False,
                        causal_alignment="top_left"):
    """Attention in float64 with explicit masks (torch's MATH backend semantics). Rows that
    see no key give 0, as flashsdpa does."""
    q64, k64, v64 = q.double(), k.double(), v.double()
    if enable_gqa and k.dim() >= 3 and k.shape[-3] != q.shape[-3]:
        group = q.shape[-3] // k.shape[-3]
        k64 = k64.repeat_interleave(group, dim=-3)
        v64 = v64.repeat_interleave(group, dim=-3)
    scale = q.shape[-1] ** -0.5 if scale is None else scale
    s = q64 @ k64.transpose(-1, -2) * scale
    if attn_mask is not None:
        s = s.masked_fill(~attn_mask, float("-inf")) if attn_mask.dtype == torch.bool else s + attn_mask.double()
    if is_causal:
        s_q, s_k = q.shape[-2], k.shape[-2]
        offset = s_k - s_q if causal_alignment == "bottom_right" else 0
        rows = torch.arange(s_q, device=q.device)[:, None]
        cols = torch.arange(s_k, device=q.device)[None, :]
        s = s.masked_fill(cols > rows + offset, float("-inf"))
    p = torch.softmax(s, dim=-1).nan_to_num(0.0)  # rows with no key: 0, not NaN
    return p @ v64


def torch_sdpa_error(q, k, v, ref, **kwargs) -> float:
    """The relative error torch's own SDPA makes in q's dtype against `ref`: the bar for ours."""
    with torch.no_grad():
        out = F.scaled_dot_product_attention(q, k, v, **kwargs)
    return relative_error(out, ref)
