"""One description of an attention call: validated arguments, shapes and flags.

Every entry point builds an `AttentionCall` first; dispatch and backends read only it.
Errors name the argument, what was expected and what was given.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
CAUSAL_ALIGNMENTS = ("top_left", "bottom_right")


@dataclass(frozen=True)
class AttentionCall:
    leading_shape: tuple[int, ...]  # broadcast dims before (S, D) of the output, heads last
    heads_q: int
    heads_kv: int
    seq_q: int
    seq_k: int
    head_dim_qk: int
    head_dim_v: int
    dtype: torch.dtype
    device: torch.device
    mask_kind: str  # "none", "bool" or "float"
    mask_requires_grad: bool
    dropout_p: float
    is_causal: bool
    causal_alignment: str
    scale: float
    enable_gqa: bool
    requires_grad: bool
    window_left: int = -1   # -1: unbounded; else query i sees keys j >= i + causal_offset - left
    window_right: int = -1  # -1: unbounded; else query i sees keys j <= i + causal_offset + right
    alibi_kind: str = "none"  # "none", "heads" (H_q,) or "batch_heads" (..., H_q) slopes
    softcap: float = 0.0      # > 0: scores become softcap * tanh(scores / softcap)

    @property
    def batch(self) -> int:
        """All leading dims but the heads, flattened."""
        return math.prod(self.leading_shape[:-1]) if self.leading_shape else 1

    @property
    def is_empty(self) -> bool:
        return self.batch * self.heads_q * self.seq_q * self.head_dim_v == 0 or self.seq_k == 0

    @property
    def causal_offset(self) -> int:
        """The diagonal: query row i is aligned with key i + causal_offset (causal masks, windows
        and ALiBi distances are measured from it)."""
        return self.seq_k - self.seq_q if self.causal_alignment == "bottom_right" else 0

    @property
    def visible_hi(self) -> int | None:
        """Query i sees keys j <= i + visible_hi (None: no upper bound)."""
        bounds = ([0] if self.is_causal else []) + ([self.window_right] if self.window_right >= 0 else [])
        return self.causal_offset + min(bounds) if bounds else None

    @property
    def visible_lo(self) -> int | None:
        """Query i sees keys j >= i + visible_lo (None: no lower bound)."""
        return self.causal_offset - self.window_left if self.window_left >= 0 else None

    @property
    def output_shape(self) -> tuple[int, ...]:
        return (*self.leading_shape, self.seq_q, self.head_dim_v)


def _finite(x: float) -> bool:
    """math.isfinite without the math call, which torch.compile cannot trace on a float input."""
    return x == x and abs(x) != float("inf")


def _shape(t: torch.Tensor) -> str:
    return "(" + ", ".join(str(s) for s in t.shape) + ")"


def _broadcast(shapes: dict[str, tuple[int, ...]], what: str) -> tuple[int, ...]:
    first, *others = shapes.values()
    if all(other == first for other in others):  # the common case, without torch's slower general path
        return tuple(first)
    try:
        return tuple(torch.broadcast_shapes(*shapes.values()))
    except RuntimeError:
        given = ", ".join(f"{name} {tuple(s)}" for name, s in shapes.items())
        raise ValueError(f"{what} of query, key and value must be equal or broadcast; got {given}"
                         " (for fewer key/value heads than query heads, pass enable_gqa=True)") from None


def _check_window(window_size) -> tuple[int, int]:
    try:
        left, right = window_size
        ok = all(isinstance(w, int) and not isinstance(w, bool) and w >= -1 for w in (left, right))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError("window_size must be a pair (left, right) of ints >= 0, or -1 for no bound; "
                         f"got {window_size!r}")
    return left, right


def _check_softcap(softcap) -> float:
    if isinstance(softcap, (bool, torch.Tensor)) or not isinstance(softcap, (int, float)) \
            or not _finite(softcap) or softcap < 0:
        raise ValueError(f"softcap must be a finite float >= 0 (0: off); got {softcap!r}")
    return float(softcap)


def _alibi_kind(alibi_slopes, leading: tuple[int, ...], device) -> str:
    if alibi_slopes is None:
        return "none"
    heads = leading[-1] if leading else 1
    if not isinstance(alibi_slopes, torch.Tensor) or not alibi_slopes.is_floating_point():
        given = alibi_slopes.dtype if isinstance(alibi_slopes, torch.Tensor) else type(alibi_slopes).__name__
        raise TypeError(f"alibi_slopes must be a floating point tensor; got {given}")
    if alibi_slopes.device != device:
        raise ValueError(f"alibi_slopes must be on the device of query ({device}); got {alibi_slopes.device}")
    if alibi_slopes.requires_grad and torch.is_grad_enabled():
        raise NotImplementedError("alibi_slopes get no gradient (as in flash-attn); pass alibi_slopes.detach(), or "
                                  "learn a bias through a float attn_mask, which does get one")
    if tuple(alibi_slopes.shape) == (heads,):
        return "heads"
    if tuple(alibi_slopes.shape) == tuple(leading):
        return "batch_heads"
    batch = leading[:-1]
    raise ValueError(f"alibi_slopes must have shape ({heads},) (one slope per query head) or "
                     f"{(*batch, heads)} (per batch and head); got {_shape(alibi_slopes)}")


def describe_call(
    query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, enable_gqa=False,
    causal_alignment="top_left", window_size=(-1, -1), alibi_slopes=None, softcap=0.0,
) -> AttentionCall:
    """Validate the arguments of scaled_dot_product_attention and describe the call."""
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor; got {type(t).__name__}")
        if t.dim() < 2:
            raise ValueError(f"{name} must have at least 2 dims (..., S, D); got shape {_shape(t)}")
        if t.dtype not in FLOAT_DTYPES:
            raise TypeError(f"{name} must be float16, bfloat16, float32 or float64; got {t.dtype}")
    if not (query.dtype == key.dtype == value.dtype):
        raise TypeError("query, key and value must have the same dtype; got "
                        f"query {query.dtype}, key {key.dtype}, value {value.dtype}")
    if not (query.device == key.device == value.device):
        raise ValueError("query, key and value must be on the same device; got "
                         f"query {query.device}, key {key.device}, value {value.device}")
    if query.shape[-1] != key.shape[-1]:
        raise ValueError("query and key must have the same head dim (last dim); got "
                         f"query {_shape(query)} and key {_shape(key)}")
    if key.shape[-2] != value.shape[-2]:
        raise ValueError("key and value must have the same sequence length (dim -2); got "
                         f"key {_shape(key)} and value {_shape(value)}")

    if enable_gqa:
        for name, t in (("query", query), ("key", key), ("value", value)):
            if t.dim() < 3:
                raise ValueError(f"enable_gqa=True needs a heads dim: {name} must be (..., H, S, D); "
                                 f"got shape {_shape(t)}")
        heads_q, heads_kv = query.shape[-3], key.shape[-3]
        if value.shape[-3] != heads_kv:
            raise ValueError("key and value must have the same number of heads (dim -3); got "
                             f"key {_shape(key)} and value {_shape(value)}")
        if heads_kv == 0 or heads_q % heads_kv != 0:
            raise ValueError("with enable_gqa=True the query heads must be a multiple of the key/value "
                             f"heads (dim -3); got {heads_q} query heads and {heads_kv} key/value heads")
        batch = _broadcast({"query": query.shape[:-3], "key": key.shape[:-3], "value": value.shape[:-3]},
                           "the batch dims (before dim -3)")
        leading = (*batch, heads_q)
    else:
        leading = _broadcast({"query": query.shape[:-2], "key": key.shape[:-2], "value": value.shape[:-2]},
                             "the leading dims (batch..., heads) before dim -2")
        heads_q = heads_kv = leading[-1] if leading else 1

    seq_q, seq_k = query.shape[-2], key.shape[-2]
    mask_kind = "none"
    if attn_mask is not None:
        if not isinstance(attn_mask, torch.Tensor):
            raise TypeError(f"attn_mask must be a torch.Tensor or None; got {type(attn_mask).__name__}")
        if attn_mask.dtype == torch.bool:
            mask_kind = "bool"
        elif attn_mask.dtype in FLOAT_DTYPES:
            mask_kind = "float"
        else:
            raise TypeError(f"attn_mask must be bool (True = take part) or floating point (added to the "
                            f"scores); got {attn_mask.dtype}")
        if attn_mask.device != query.device:
            raise ValueError(f"attn_mask must be on the device of query ({query.device}); got {attn_mask.device}")
        target = (*leading, seq_q, seq_k)
        try:
            if attn_mask.shape != target and torch.broadcast_shapes(attn_mask.shape, target) != torch.Size(target):
                raise RuntimeError
        except RuntimeError:
            raise ValueError(f"attn_mask must broadcast to {target} (..., S_q, S_k); "
                             f"got shape {_shape(attn_mask)}") from None

    if isinstance(dropout_p, (bool, torch.Tensor)) or not isinstance(dropout_p, (int, float)):
        raise TypeError(f"dropout_p must be a float in [0, 1); got {type(dropout_p).__name__}")
    if not 0.0 <= dropout_p < 1.0:
        raise ValueError(f"dropout_p must be in [0, 1); got {dropout_p}")
    if not isinstance(is_causal, bool):
        raise TypeError(f"is_causal must be a bool; got {type(is_causal).__name__}")
    if causal_alignment not in CAUSAL_ALIGNMENTS:
        raise ValueError(f"causal alignment must be one of {CAUSAL_ALIGNMENTS}; got {causal_alignment!r}")
    head_dim_qk = query.shape[-1]
    if scale is None:
        scale = 1.0 / math.sqrt(head_dim_qk) if head_dim_qk > 0 else 1.0
    elif isinstance(scale, (bool, torch.Tensor)) or not isinstance(scale, (int, float)) or not _finite(scale):
        raise ValueError(f"scale must be a finite float or None; got {scale!r}")

    window_left, window_right = _check_window(window_size)
    softcap = _check_softcap(softcap)
    alibi_kind = _alibi_kind(alibi_slopes, tuple(leading), query.device)

    return AttentionCall(
        leading_shape=tuple(leading), heads_q=heads_q, heads_kv=heads_kv, seq_q=seq_q, seq_k=seq_k,
        head_dim_qk=head_dim_qk, head_dim_v=value.shape[-1], dtype=query.dtype, device=query.device,
        mask_kind=mask_kind, mask_requires_grad=bool(attn_mask is not None and attn_mask.requires_grad),
        dropout_p=float(dropout_p), is_causal=is_causal, causal_alignment=causal_alignment,
        scale=float(scale), enable_gqa=bool(enable_gqa),
        requires_grad=torch.is_grad_enabled() and any(t.requires_grad for t in (query, key, value)),
        window_left=window_left, window_right=window_right, alibi_kind=alibi_kind, softcap=softcap,
    )


def unpack_qkv(qkv):
    """q, k, v (B, H, S, D) views of a packed (B, S, 3, H, D) tensor: two view ops where a select
    and a transpose each would be six (a packed call unpacks twice, forward and backward, and
    each op costs host time a small model's step pays on every layer)."""
    return qkv.permute(2, 0, 3, 1, 4).unbind(0)


def unpack(packed):
    """q, k, v (B, H, S, D) views of the packed sources of a call: (qkv,), a (B, S, 3, H, D)
    tensor, or (q, kv), q (B, H, S_q, D) and kv (B, S_k, 2, H_kv, D)."""
    if len(packed) == 1:
        return unpack_qkv(packed[0])
    q, kv = packed
    return (q, *kv.permute(2, 0, 3, 1, 4).unbind(0))


def as_4d(call: AttentionCall, query, key, value, attn_mask, alibi_slopes=None):
    """Broadcast to the call's leading shape (stride-0 views, no copies) and flatten to
    (B, H, S, D), the layout the backends take. The mask becomes (B, H, S_q, S_k) or None,
    the ALiBi slopes (B, H) float32 or None."""
    lead = call.leading_shape[:-1] if call.enable_gqa else call.leading_shape
    tail = 3 if call.enable_gqa else 2

    def expand(t):  # skipped when there is nothing to broadcast: a few µs a call on the hot path
        return t if t.shape[:-tail] == lead else t.expand(*lead, *t.shape[-tail:])
    q, k, v = expand(query), expand(key), expand(value)

    def flat(t):  # (*batch, H, S, D) -> (B, H, S, D); a view unless dims cannot merge
        if t.dim() == 2:
            return t.unsqueeze(0).unsqueeze(0)
        if t.dim() == 3:
            return t.unsqueeze(0)
        return t.reshape(-1, *t.shape[-3:]) if t.dim() > 4 else t

    mask = None
    if attn_mask is not None:
        mask = flat(attn_mask.expand(*call.leading_shape, call.seq_q, call.seq_k))
    slopes = None
    if alibi_slopes is not None:
        dtype = torch.float64 if call.dtype == torch.float64 else torch.float32  # exact on the float64 path
        slopes = alibi_slopes.to(dtype).expand(call.leading_shape or (1,)).reshape(-1, call.heads_q)
    return flat(q), flat(k), flat(v), mask, slopes
