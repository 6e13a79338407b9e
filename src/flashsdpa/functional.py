"""Public attention functions: argument normalisation, then dispatch. Nothing else.

Causal alignment, for S_q = 3 queries and S_k = 5 keys (x = attends):

    is_causal=True in scaled_dot_product_attention   causal=True in flash_attn_func
    (torch: top-left, row i sees keys j <= i)        (flash-attn: bottom-right,
                                                      row i sees keys j <= i + S_k - S_q)
        k0 k1 k2 k3 k4                                   k0 k1 k2 k3 k4
    q0  x  .  .  .  .                                q0  x  x  x  .  .
    q1  x  x  .  .  .                                q1  x  x  x  x  .
    q2  x  x  x  .  .                                q2  x  x  x  x  x

Bottom-right is what decoding with a KV cache needs: the last query sees every key.
With S_q > S_k under bottom-right, the first S_q - S_k rows see no key; their output is 0.
"""
from __future__ import annotations

import torch

from . import dispatch
from .inputs import as_4d, describe_call, unpack


# Calls described and dispatched before, by signature: a model repeats the same few calls,
# and checking them again costs more host time than a small attention call takes on the GPU.
_PREPARED: dict = {}
_MAX_PREPARED = 4096


def _tensor_signature(t):
    return None if t is None else (t.shape, t.dtype, t.device, t.requires_grad)


def _signature(args):
    """Everything describe_call and dispatch read of a call, or None when an argument is not
    of a plain kind (then the full checks run, and raise their errors). Spelled out without
    loops or helpers for q, k, v: this runs on every call."""
    query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa, alignment, window, slopes, softcap = args
    if not (isinstance(query, torch.Tensor) and isinstance(key, torch.Tensor) and isinstance(value, torch.Tensor)
            and (attn_mask is None or isinstance(attn_mask, torch.Tensor))
            and (slopes is None or isinstance(slopes, torch.Tensor)) and type(window) is tuple):
        return None
    # the types too: True == 1 == 1.0 as keys, but describe_call accepts only some of them
    return (query.shape, query.dtype, query.device, query.requires_grad, key.shape, key.dtype, key.device,
            key.requires_grad, value.shape, value.dtype, value.device, value.requires_grad,
            _tensor_signature(attn_mask), _tensor_signature(slopes),
            type(dropout_p), dropout_p, type(is_causal), is_causal, type(scale), scale, type(enable_gqa), enable_gqa,
            type(softcap), softcap, alignment, window, *map(type, window),
            torch.is_grad_enabled(), dispatch.enabled_backends(), dispatch.environment())


def _prepare(*args):
    """(call, run, plain) for these arguments: the AttentionCall (validated and described), the
    chosen backend's runner for it (dispatched and prepared once), and whether as_4d would
    return q, k, v unchanged (4D, nothing to broadcast, no mask or slopes): then it is skipped."""
    signature = None if torch.compiler.is_compiling() else _signature(args)
    try:
        prepared = _PREPARED.get(signature) if signature is not None else None
    except TypeError:  # an unhashable argument: the checks below name it
        signature = prepared = None
    if prepared is None:
        call = describe_call(*args)
        query, key, value, attn_mask, alibi_slopes = args[0], args[1], args[2], args[3], args[10]
        flat = as_4d(call, query, key, value, attn_mask, alibi_slopes)
        plain = flat[0] is query and flat[1] is key and flat[2] is value and flat[3] is None and flat[4] is None
        prepared = call, dispatch.select(call).prepare(call), plain
        if signature is not None:
            if len(_PREPARED) >= _MAX_PREPARED:
                _PREPARED.clear()
            _PREPARED[signature] = prepared
    return prepared


def _attention(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa, causal_alignment,
               window_size=(-1, -1), alibi_slopes=None, softcap=0.0, packed=None):
    """packed: the tensors whose views query, key and value are, if they are (see
    inputs.unpack; then a backend may differentiate them whole, see packed_calls.PackedFlashAttention,
    and out comes back as (B, S_q, H, D), flash-attn's order)."""
    call, run, plain = _prepare(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa,
                                causal_alignment, window_size, alibi_slopes, softcap)
    if plain:  # the hot path: a model's (B, H, S, D) projections
        lean = getattr(run, "lean_plain", None) if packed is None else None   # (backends/lean_calls.py)
        done = lean(query, key, value) if lean is not None else None
        out, lse = done if done is not None else run(query, key, value, None, None, packed)
    else:
        out, lse = run(*as_4d(call, query, key, value, attn_mask, alibi_slopes))
        if packed is not None:
            out = out.transpose(1, 2)
    if out.dim() != len(call.output_shape):  # 4D in and out needs no reshape
        out, lse = out.reshape(call.output_shape), lse.reshape(call.output_shape[:-1])
    return out, lse


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False,
                                 scale=None, enable_gqa=False, *, window_size=(-1, -1), alibi_slopes=None,
                                 softcap=0.0) -> torch.Tensor:
    """softmax(query @ key^T * scale + mask) @ value, as torch.nn.functional.scaled_dot_product_attention.

    query (..., H_q, S_q, D), key (..., H_kv, S_k, D), value (..., H_kv, S_k, D_v) -> (..., H_q, S_q, D_v).
    scale defaults to 1/sqrt(D). is_causal masks keys j > i (top-left aligned, as torch).
    enable_gqa lets H_q be a multiple of H_kv (each key/value head serves H_q/H_kv query heads).
    attn_mask: bool (True = take part) or float (added to the scores; gets a gradient when it
    requires one), broadcastable to (..., H_q, S_q, S_k); combined with is_causal if both given.
    Equivalent PyTorch (for one head, no mask or dropout):
        torch.softmax(query @ key.transpose(-2, -1) * scale, dim=-1) @ value

    Keyword-only extensions (as flash_attn_func, aligned top-left like is_causal here):
    window_size=(left, right) keeps keys i - left <= j <= i + right (-1: unbounded);
    alibi_slopes (H_q,) or (..., H_q) adds -slope * |i - j| to the scores; softcap > 0 turns
    scores s = q.k * scale into softcap * tanh(s / softcap) before the mask is added.
    Runs the fused flash kernel when it can (see why_not_flash), else the exact MATH path.
    """
    return _attention(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa, "top_left",
                      window_size, alibi_slopes, softcap)[0]


def flash_attn_func(q, k, v, dropout_p=0.0, softmax_scale=None, causal=False, window_size=(-1, -1),
                    softcap=0.0, alibi_slopes=None, deterministic=False, return_attn_probs=False,
                    *, return_lse=False):
    """flash-attn 2.x's function: q (B, S_q, H_q, D), k (B, S_k, H_kv, D), v (B, S_k, H_kv, D_v)
    -> out (B, S_q, H_q, D_v). H_q must be a multiple of H_kv (MQA/GQA).

    causal=True is aligned to the bottom-right (see this module's docstring), as flash-attn; so
    are window_size=(left, right) (query i sees keys i + S_k - S_q - left ... i + S_k - S_q + right,
    -1: unbounded) and alibi_slopes ((H_q,) or (B, H_q): -slope * |i + S_k - S_q - j| is added to
    the scores). softcap > 0: scores become softcap * tanh(scores / softcap) (Gemma 2).
    return_lse (or flash-attn's return_attn_probs) also returns the log-sum-exp, (B, H_q, S_q)
    float32: (out, lse). Our backward is always deterministic, so `deterministic` changes nothing.
    """
    for name, t in (("q", q), ("k", k), ("v", v)):
        _check_layout(name, t, "(B, S, H, D)")
    return _flash_attn(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), dropout_p, softmax_scale, causal,
                       window_size, softcap, alibi_slopes, return_lse or return_attn_probs)


def _check_layout(name: str, t, layout: str, packed: int = 0):
    """t must be a tensor of the flash-attn layout `layout` (with `packed` at dim 2 if given)."""
    ndim = 5 if packed else 4
    if not isinstance(t, torch.Tensor) or t.dim() != ndim or (packed and t.shape[2] != packed):
        shape = tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__
        raise ValueError(f"{name} must be a {ndim}D tensor {layout}; got {shape}")


def _flash_attn(q, k, v, dropout_p, softmax_scale, causal, window_size, softcap, alibi_slopes, return_lse,
                packed=None):
    """flash_attn_func on (B, H, S, D) views; packed as in _attention."""
    out, lse = _attention(q, k, v, None, dropout_p, causal, softmax_scale, True, "bottom_right", window_size,
                          alibi_slopes, softcap, packed)
    if packed is None:   # (packed calls come back in flash-attn's order)
        out = out.transpose(1, 2)
    return (out, lse) if return_lse else out


def flash_attn_qkvpacked_func(qkv, dropout_p=0.0, softmax_scale=None, causal=False, window_size=(-1, -1),
                              softcap=0.0, alibi_slopes=None, deterministic=False, return_attn_probs=False,
                              *, return_lse=False):
    """flash-attn's packed form: qkv (B, S, 3, H, D), as a fused QKV projection makes it
    (`linear(x).view(B, S, 3, H, D)`). Its gradient comes out whole, in one tensor, without
    the split/cat or select/zero-fill that autograd through three views would add."""
    _check_layout("qkv", qkv, "(B, S, 3, H, D)", packed=3)
    lean_key = None
    if alibi_slopes is None and not (return_lse or return_attn_probs) and not torch.compiler.is_compiling():
        lean_key = _lean_signature(qkv, dropout_p, softmax_scale, causal, window_size, softcap)
        try:
            lean = _LEAN.get(lean_key)
        except TypeError:   # an unhashable argument: the generic checks name it
            lean = lean_key = None
        out = lean(qkv) if lean is not None else None
        if out is not None:
            return out
    views = unpack((qkv,))
    out = _flash_attn(*views, dropout_p, softmax_scale, causal, window_size, softcap, alibi_slopes,
                      return_lse or return_attn_probs, packed=(qkv,))
    if lean_key is not None and lean_key not in _LEAN:   # (the call was valid: it ran)
        run = _prepare(*views, None, dropout_p, causal, softmax_scale, True, "bottom_right", window_size, None,
                       softcap)[1]
        if len(_LEAN) >= _MAX_PREPARED:
            _LEAN.clear()
        _LEAN[lean_key] = getattr(run, "lean", None)
    return out


# Packed qkv calls' lean runners (a backend's prepared run.lean, e.g. flash.py's), by the
# signature of the call: they skip the views and the generic dispatch of a repeated call.
_LEAN: dict = {}


def _lean_signature(qkv, dropout_p, softmax_scale, causal, window_size, softcap):
    """What _signature reads of a packed qkv call, from qkv itself; None for arguments of other kinds."""
    if type(window_size) is not tuple:
        return None
    return (qkv.shape, qkv.dtype, qkv.device, qkv.requires_grad, type(dropout_p), dropout_p, type(softmax_scale),
            softmax_scale, type(causal), causal, window_size, *map(type, window_size), type(softcap), softcap,
            torch.is_grad_enabled(), dispatch.enabled_backends(), dispatch.environment())


def flash_attn_kvpacked_func(q, kv, dropout_p=0.0, softmax_scale=None, causal=False, window_size=(-1, -1),
                             softcap=0.0, alibi_slopes=None, deterministic=False, return_attn_probs=False,
                             *, return_lse=False):
    """flash-attn's packed form: q (B, S_q, H_q, D), kv (B, S_k, 2, H_kv, D), as a fused KV
    projection makes it; kv's gradient comes out whole, as qkv's in flash_attn_qkvpacked_func."""
    _check_layout("q", q, "(B, S_q, H_q, D)")
    _check_layout("kv", kv, "(B, S_k, 2, H_kv, D)", packed=2)
    q = q.transpose(1, 2)
    return _flash_attn(*unpack((q, kv)), dropout_p, softmax_scale, causal, window_size, softcap, alibi_slopes,
                       return_lse or return_attn_probs, packed=(q, kv))
