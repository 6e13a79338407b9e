"""Hugging Face transformers: `attn_implementation="fsdpa"`.

    from flashsdpa.integrations.transformers import register
    name = register()                      # "fsdpa"
    model = AutoModelForCausalLM.from_pretrained(model_id, attn_implementation=name)

The name is "fsdpa", not "flashsdpa": transformers (5.x) sends every implementation whose name
contains "flash" down its flash-attn path (unpadded variable-length inputs, kernels loaded
from the hub), which is not how this one is called.

The model builds its masks as for "sdpa" (a boolean (B, 1, S_q, S_k) mask, or none when
causality alone describes it); the attention runs in flashsdpa, with GQA without repeating
K/V, Gemma 2's softcap in the kernel, and the bottom-right causal alignment that chunked
prefill over a KV cache needs. transformers stays an optional dependency.
"""
from __future__ import annotations

import torch

from ..functional import _attention

NAME = "fsdpa"


def attention_forward(module: torch.nn.Module, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                      attention_mask: torch.Tensor | None, dropout: float = 0.0, scaling: float | None = None,
                      is_causal: bool | None = None, softcap: float | None = None,
                      position_bias: torch.Tensor | None = None, **kwargs):
    """transformers' attention interface: query (B, H, S_q, D), key/value (B, H_kv, S_k, D) ->
    (output (B, S_q, H, D), None). Attention weights are never formed."""
    is_causal = is_causal if is_causal is not None else getattr(module, "is_causal", True)
    mask = attention_mask
    if position_bias is not None:  # T5-style learned bias: added to the scores (with its gradient)
        if mask is None:
            mask = position_bias
        elif mask.dtype == torch.bool:
            mask = position_bias.masked_fill(~mask, float("-inf"))
        else:
            mask = position_bias + mask
    # Without a mask, causality is the kernel's; aligned bottom-right, so that new queries after
    # a KV cache see every cached key (torch's is_causal would align them top-left).
    causal = bool(is_causal and mask is None and query.shape[2] > 1)
    out, _ = _attention(query, key, value, mask, dropout, causal, scaling, key.shape[1] != query.shape[1],
                        "bottom_right", softcap=softcap or 0.0)
    return out.transpose(1, 2).contiguous(), None


def register(name: str = NAME) -> str:
    """Make `attn_implementation=name` available in transformers; returns the name."""
    from transformers import AttentionInterface, AttentionMaskInterface
    from transformers.masking_utils import sdpa_mask

    AttentionInterface.register(name, attention_forward)
    AttentionMaskInterface.register(name, sdpa_mask)
    return name
