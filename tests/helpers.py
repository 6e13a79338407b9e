"""Shared test helpers: random inputs, the float64 reference, and the project's accuracy rule.

Accuracy rule
-------------
The reference is float64 math on the *same* input values (the low-precision tensors upcast).
For the output and each gradient we compute

    rel(x) = ||x - ref|| / ||ref||

for our result and for torch's own scaled_dot_product_attention run in the same low dtype
on the same device, and require

    rel(ours) <= FACTOR * rel(torch) + TINY[dtype].

FACTOR = 2, as in FlashAttention's own tests: tiling reorders the sums and rounds the
probabilities to the input dtype before the P @ V product, so the error may exceed that of
an untiled implementation by a small constant, never by orders of magnitude.
TINY guards the case where torch's error is ~0 (e.g. one visible key: the output is a copy
of a value row): it is far below the typical error of the dtype (~4e-4 relative for fp16,
~2e-7 for fp32) and far below what a real bug produces (a masking slip or a lost tile gives
errors of 1e-2 and more; an fp16 rounding inside an fp32 computation gives ~1e-4).

A reference that is mathematically zero (dq and dk when every query row sees at most one
key: a softmax over one key has zero gradient) has no relative error: there we bound the
largest absolute entry by ZERO_TOL, rounding noise of the O(1) terms that cancel (dO.V vs
dO.O) for inputs drawn from N(0, 1).

Known cause, allowed explicitly (ALLOW_ROUNDED_OUTPUT_IN_DELTA): the FLASH backward, like
FlashAttention-2/3 and cuDNN, computes delta = rowsum(dO * O) from the output O *as returned*,
i.e. rounded to the input dtype (so the saved state stays output + log-sum-exp). That
perturbs delta by d = rowsum(dO * (O_returned - O_exact)), which changes dq, dk (and
d attn_mask) by exactly the gradient of -sum(d * lse) (since d lse_i / d s_ij = p_ij).
check_accuracy computes that shift from the float64 reference and adds its relative size to
the bound of dq/dk/dmask, where torch's term is at least one unit roundoff of the dtype
(ROUNDOFF), the rounding of the stored shifted result: torch's own rounding can happen to be
~0 on a tensor of two elements, which would leave ours none (hypothesis found s_q = 1,
s_k = 2, fp16: dmask 1.3e-3 against shift 1.075e-3 + 2.5 * torch's 1.5e-5). Everything else
stays under FACTOR * torch + TINY. torch's CPU
math path computes delta from the unrounded output, so on CPU without the allowance dq/dk
of rows that see few keys exceed 2x torch's error (up to ~8x). test_backward_delta.py holds
MATH (which takes delta from its float32 P and dP) to the rule without the allowance, and
FLASH, on the GPU, to torch's own GPU kernels without it.

NaN never passes: results are checked with torch.isfinite first.
"""
from __future__ import annotations

import contextlib
import math

import torch
import torch.nn.functional as F

import flashsdpa
from flashsdpa import Backend

FACTOR = 2.0
# Gradients of a broadcast input (a key with batch 1, or one head, without enable_gqa): the
# backends compute one gradient per broadcast copy, rounded to the input dtype, and autograd
# sums the copies; that is one more rounding of the same size as torch's, measured at
# 1.4x-2.2x torch's error in fp16, hence 2.5 for those calls.
FACTOR_BROADCAST = 2.5
TINY = {torch.float16: 1e-5, torch.bfloat16: 1e-4, torch.float32: 1e-6}
ROUNDOFF = {torch.float16: 2.0 ** -11, torch.bfloat16: 2.0 ** -8, torch.float32: 2.0 ** -24}
ZERO_TOL = {torch.float16: 1e-2, torch.bfloat16: 5e-2, torch.float32: 1e-4}
# A reference whose RMS is below this is "mathematically zero" (float64 cancellation noise
# of O(1) inputs is ~1e-16).
ZERO_RMS = 1e-10
ALLOW_ROUNDED_OUTPUT_IN_DELTA = True


def recompute_tiny(dtype, max_abs_score: float) -> float:
    """TINY for calls with large scores. The flash backward recomputes the scores (in another
    summation order than the forward) and P = exp(s - lse) from the saved lse, so each P
    carries a relative error of about |s| * 2**-24 whatever the input dtype; torch's softmax
    computes exp(s - max) from one set of scores and does not. Visible only in float32 with
    large logits (|s| ~ 50: ~3e-6 against torch's ~5e-7); 4 units of it are allowed."""
    return max(TINY[dtype], 4 * max_abs_score * 2.0 ** -24)


def max_abs_score(q, k, scale=None, enable_gqa=False) -> float:
    """max |q k^T * scale| over all heads, in float64."""
    if scale is None:
        scale = 1.0 / math.sqrt(q.shape[-1])
    q, k = q.double(), k.double()
    if enable_gqa:
        k = k.repeat_interleave(q.shape[-3] // k.shape[-3], dim=-3)
    return (torch.matmul(q, k.transpose(-1, -2)) * scale).abs().max().item() if q.numel() and k.numel() else 0.0

GRAD_NAMES = ("dq", "dk", "dv", "dmask")


# ----------------------------------------------------------------------------- random inputs


def new_generator(device) -> torch.Generator:
    """A generator with a fresh non-deterministic seed (read it back with initial_seed())."""
    g = torch.Generator(device=device)
    g.seed()
    return g


def generator_from_seed(device, seed: int) -> torch.Generator:
    """A generator with the given seed (hypothesis draws the seed, so failures replay)."""
    g = torch.Generator(device=device)
    g.manual_seed(seed)
    return g


def randn(shape, dtype, device, gen) -> torch.Tensor:
    """N(0, 1) values drawn in float32, then rounded to dtype (same stream for every dtype)."""
    return torch.randn(tuple(shape), generator=gen, device=device, dtype=torch.float32).to(dtype)


def seed_of(gen) -> int:
    return gen.initial_seed()


# ----------------------------------------------------------------------------- masks


def causal_visible(s_q: int, s_k: int, alignment: str, device) -> torch.Tensor:
    """Bool (S_q, S_k): key j visible to query i iff j <= i + offset, offset 0 (top_left)
    or S_k - S_q (bottom_right)."""
    offset = 0 if alignment == "top_left" else s_k - s_q
    i = torch.arange(s_q, device=device)[:, None]
    j = torch.arange(s_k, device=device)[None, :]
    return j <= i + offset


def every_row_sees_at_most_one_key(s_q: int, s_k: int, causal) -> bool:
    """True when dq and dk are mathematically zero (softmax over <= 1 key per row)."""
    if s_k <= 1:
        return True
    if causal is None:
        return False
    return bool((causal_visible(s_q, s_k, causal, "cpu").sum(-1) <= 1).all())


# ----------------------------------------------------------------------------- reference


def resolve_alignment(causal=None, alignment=None) -> str:
    """The diagonal that causal masks, windows and ALiBi distances are measured from:
    `causal` ("top_left"/"bottom_right") names it when given, else `alignment`, else top-left
    (the SDPA call's). Both given and different is a mistake in the test."""
    if causal is not None and alignment is not None and causal != alignment:
        raise ValueError(f"causal={causal!r} and alignment={alignment!r} disagree")
    return causal or alignment or "top_left"


def visible_keys(s_q: int, s_k: int, causal=None, window_size=(-1, -1), alignment=None, device="cpu"):
    """Bool (S_q, S_k) of the keys that causal and window_size leave visible (None: all).
    With off = 0 (top-left) or S_k - S_q (bottom-right): causal keeps j <= i + off; a window
    (left, right) keeps i + off - left <= j <= i + off + right (-1: unbounded side)."""
    left, right = window_size
    if causal is None and left < 0 and right < 0:
        return None
    align = resolve_alignment(causal, alignment)
    offset = 0 if align == "top_left" else s_k - s_q
    i = torch.arange(s_q, device=device)[:, None] + offset
    j = torch.arange(s_k, device=device)[None, :]
    visible = torch.ones(s_q, s_k, dtype=torch.bool, device=device)
    if causal is not None:
        visible &= j <= i
    if right >= 0:
        visible &= j <= i + right
    if left >= 0:
        visible &= j >= i - left
    return visible


def alibi_bias(slopes, s_q: int, s_k: int, alignment="top_left", dtype=torch.float64):
    """-slope * |i + off - j|, shaped to broadcast against (..., H, S_q, S_k) scores: slopes
    (H,) or (..., H). Computed in float64, then rounded once to `dtype`."""
    offset = 0 if alignment == "top_left" else s_k - s_q
    i = torch.arange(s_q, device=slopes.device, dtype=torch.float64)[:, None] + offset
    j = torch.arange(s_k, device=slopes.device, dtype=torch.float64)[None, :]
    return (-slopes.double()[..., None, None] * (i - j).abs()).to(dtype)


def scores(q, k, v, attn_mask, causal, scale, enable_gqa, window_size, alibi_slopes, softcap, alignment, dtype):
    """The scores of reference_attention and plain_attention, computed in `dtype` (see
    reference_attention for the order), with -inf where masked; and v with its heads
    repeated for GQA, in `dtype`."""
    q, k, v = q.to(dtype), k.to(dtype), v.to(dtype)
    if scale is None:
        scale = 1.0 / math.sqrt(q.shape[-1])
    if enable_gqa:
        group = q.shape[-3] // k.shape[-3]
        k = k.repeat_interleave(group, dim=-3)
        v = v.repeat_interleave(group, dim=-3)
    s = torch.matmul(q, k.transpose(-1, -2)) * scale
    if softcap > 0:
        s = softcap * torch.tanh(s / softcap)
    align = resolve_alignment(causal, alignment)
    if alibi_slopes is not None:
        s = s + alibi_bias(alibi_slopes, s.shape[-2], s.shape[-1], align, dtype)
    if attn_mask is not None:
        s = s.masked_fill(~attn_mask, float("-inf")) if attn_mask.dtype == torch.bool else s + attn_mask.to(dtype)
    visible = visible_keys(s.shape[-2], s.shape[-1], causal, window_size, align, s.device)
    if visible is not None:
        s = s.masked_fill(~visible, float("-inf"))
    return s, v


def reference_attention(q, k, v, attn_mask=None, causal=None, scale=None, enable_gqa=False,
                        keep=None, dropout_p=0.0, *, window_size=(-1, -1), alibi_slopes=None, softcap=0.0,
                        alignment=None):
    """float64 softmax(q k^T * scale + mask) v, differentiable, with its log-sum-exp.

    causal: None, "top_left" or "bottom_right". Rows that see no key give output 0, lse
    -inf and zero gradients. keep: a dropout keep-mask broadcastable to the scores.
    Inputs are upcast with .double() (a no-op on float64 leaves, so autograd reaches them).
    The scores, in the order applied (the library's): s = q.k * scale; softcap > 0:
    s = softcap * tanh(s / softcap); ALiBi: s -= slope * |i + off - j|; then attn_mask
    (bool: False -> -inf; float: added, and differentiable); then causal and window_size
    (see visible_keys). alignment ("top_left", the default, or "bottom_right") sets off
    when causal is None (windows and ALiBi without causal masking).
    """
    s, v = scores(q, k, v, attn_mask, causal, scale, enable_gqa, window_size, alibi_slopes, softcap, alignment,
                  torch.float64)
    m = s.amax(dim=-1, keepdim=True).detach()
    m = torch.where(torch.isfinite(m), m, torch.zeros_like(m))
    e = torch.exp(s - m)
    total = e.sum(dim=-1, keepdim=True)
    no_key = total == 0
    safe_total = torch.where(no_key, torch.ones_like(total), total)
    p = e / safe_total
    # -inf for rows that see no key, written so that its gradient is 0 there (not NaN)
    lse = (m + torch.log(safe_total)).masked_fill(no_key, float("-inf")).squeeze(-1)
    if keep is not None:
        p = p * keep.double() / (1.0 - dropout_p)
    return torch.matmul(p, v), lse


def ref_sdpa(causal=None, scale=None, enable_gqa=False, *, window_size=(-1, -1), alibi_slopes=None, softcap=0.0,
             alignment=None, keep=None, dropout_p=0.0):
    """fn(q, k, v[, mask]) -> float64 reference (out, lse); lse has out's shape minus the last dim.
    The keyword options are reference_attention's (keep: a dropout keep-mask)."""
    def fn(q, k, v, mask=None):
        return reference_attention(q, k, v, mask, causal, scale, enable_gqa, keep, dropout_p,
                                   window_size=window_size, alibi_slopes=alibi_slopes, softcap=softcap,
                                   alignment=alignment)
    return fn


def plain_attention(q, k, v, attn_mask=None, causal=None, scale=None, enable_gqa=False, keep=None, dropout_p=0.0,
                    *, window_size=(-1, -1), alibi_slopes=None, softcap=0.0, alignment=None):
    """Attention in plain PyTorch for an input dtype, computed as torch's own fused CPU/GPU
    SDPA kernels (and ours) do it, so that its error is the typical error of a good
    implementation in that dtype: the scores from the inputs with float32 accumulation (no
    rounding of q.k to the input dtype), softcap, ALiBi, mask and softmax in float32, the
    probabilities (times the dropout keep-mask / (1 - p)) rounded to the input dtype for
    P @ V, the output in the input dtype. (torch's math path, since 2.5, keeps P in float32;
    a bar built on that would charge us for the P rounding that every flash kernel, torch's
    included, performs.) Differentiable, also in a float mask; autograd's backward rounds dP
    to the input dtype, which only loosens the bar for gradients. Rows that see no key give 0."""
    dtype = q.dtype
    s, _ = scores(q, k, v, attn_mask, causal, scale, enable_gqa, window_size, alibi_slopes, softcap, alignment,
                  torch.float32)
    if enable_gqa:
        v = v.repeat_interleave(q.shape[-3] // v.shape[-3], dim=-3)
    p = torch.softmax(s, dim=-1)
    p = torch.where(torch.isnan(p), torch.zeros_like(p), p)
    if keep is not None:
        p = p * keep.float() / (1.0 - dropout_p)
    return torch.matmul(p.to(dtype), v)


def torch_sdpa(causal=None, scale=None, enable_gqa=False, *, window_size=(-1, -1), alibi_slopes=None, softcap=0.0,
               alignment=None, keep=None, dropout_p=0.0):
    """fn(q, k, v[, mask]) -> torch's own SDPA (in the inputs' dtype). torch's is_causal is
    top-left and excludes attn_mask, so other combinations become an explicit mask.

    Features torch's SDPA lacks are expressed through its attn_mask, in the input dtype:
    causal and window_size as a bool mask (exact), ALiBi as a float bias -slope * |i + off - j|
    rounded to the input dtype (exact when slope * distance is representable there, e.g. for
    power-of-two slopes: see helpers.alibi_slopes), combined with the caller's mask (bool:
    the bias where True, -inf where False).
    softcap and a given dropout keep-mask cannot be expressed through torch's SDPA, and ALiBi
    with a float mask only by adding the two in the input dtype (a rounding of the caller's
    mask at the bias' scale, which would loosen the bar): then the comparator is
    plain_attention (see there), in the input dtype."""
    def plain(q, k, v, mask=None):
        return plain_attention(q, k, v, mask, causal, scale, enable_gqa, keep, dropout_p,
                               window_size=window_size, alibi_slopes=alibi_slopes, softcap=softcap,
                               alignment=alignment)

    if softcap > 0 or keep is not None:
        return plain

    def fn(q, k, v, mask=None):
        if alibi_slopes is not None and mask is not None and mask.is_floating_point():
            return plain(q, k, v, mask)
        is_causal = False
        align = resolve_alignment(causal, alignment)
        if causal == "top_left" and mask is None and tuple(window_size) == (-1, -1) and alibi_slopes is None:
            is_causal = True
        else:
            visible = visible_keys(q.shape[-2], k.shape[-2], causal, window_size, align, q.device)
            if visible is not None:
                if mask is None:
                    mask = visible
                elif mask.dtype == torch.bool:
                    mask = mask & visible
                else:  # torch.where, not masked_fill: the result takes the broadcast shape of both
                    mask = torch.where(visible, mask, float("-inf"))
            if alibi_slopes is not None:
                bias = alibi_bias(alibi_slopes, q.shape[-2], k.shape[-2], align, q.dtype)
                if mask is None:
                    mask = bias
                elif mask.dtype == torch.bool:
                    mask = torch.where(mask, bias, float("-inf"))
                else:
                    mask = mask + bias
        if not q.is_cuda:
            return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=is_causal, scale=scale,
                                                  enable_gqa=enable_gqa)
        # torch 2.11's CUDA backends fault (EFFICIENT: misaligned address) or fail (cuDNN) on
        # views whose pointers or strides are not 16-byte multiples, and on such a dout; and
        # EFFICIENT's backward fails ("LSE is not correctly aligned") when only the mask needs a
        # gradient. The comparator gets dense copies and a q that needs a gradient: its
        # rounding error does not depend on either.
        if mask is not None and mask.requires_grad and not q.requires_grad:
            q = q.detach().requires_grad_()
        out = F.scaled_dot_product_attention(q.contiguous(), k.contiguous(), v.contiguous(), attn_mask=mask,
                                             is_causal=is_causal, scale=scale, enable_gqa=enable_gqa)
        return _DenseGradient.apply(out)
    return fn


class _DenseGradient(torch.autograd.Function):
    """The identity, whose backward hands on a dense copy of the incoming gradient."""
    @staticmethod
    def forward(ctx, x):
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return grad.contiguous()


def with_views(fn, view):
    """fn applied to view(*tensors): lets the leaves be bigger or differently laid out tensors."""
    def wrapped(*tensors):
        return fn(*view(*tensors))
    return wrapped


def output_transposed(fn, dim0=1, dim1=2):
    """fn's output (and a reference's lse, which has the output's shape minus the last dim)
    with dims dim0, dim1 swapped: (B, H, S, D) results of a (B, S, H, D) API."""
    def wrapped(*tensors):
        result = fn(*tensors)
        if isinstance(result, tuple):
            return result[0].transpose(dim0, dim1), result[1].transpose(dim0, dim1)
        return result.transpose(dim0, dim1)
    return wrapped


def ours_sdpa(backend, causal=None, scale=None, enable_gqa=False, *, window_size=(-1, -1), alibi_slopes=None,
              softcap=0.0, alignment=None, dropout_p=0.0):
    """fn(q, k, v[, mask]) -> flashsdpa.scaled_dot_product_attention with only `backend` enabled
    (so a silent fallback is an error). The bottom-right alignment (causal="bottom_right" or
    alignment="bottom_right") goes through flash_attn_func for 4D inputs without a mask,
    else through the internal entry point with that alignment."""
    features = dict(window_size=window_size, alibi_slopes=alibi_slopes, softcap=softcap)

    def fn(q, k, v, mask=None):
        with flashsdpa.sdpa_kernel(backend):
            if resolve_alignment(causal, alignment) == "bottom_right":
                if q.dim() == 4 and mask is None:  # the public API: (B, S, H, D) layout
                    out = flashsdpa.flash_attn_func(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2),
                                                    dropout_p=dropout_p, softmax_scale=scale,
                                                    causal=causal is not None, **features)
                    return out.transpose(1, 2)
                from flashsdpa.functional import _attention
                return _attention(q, k, v, mask, dropout_p, causal is not None, scale, enable_gqa, "bottom_right",
                                  window_size, alibi_slopes, softcap)[0]
            return flashsdpa.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p,
                                                          is_causal=causal == "top_left", scale=scale,
                                                          enable_gqa=enable_gqa, **features)
    return fn


def alibi_slopes(shape, device, gen, low=0, high=5) -> torch.Tensor:
    """float32 ALiBi slopes 2**-e with distinct exponents e (a random permutation of
    low, low + 1, ..., at least high and as many as the slopes), so that a slope taken from
    the wrong head or batch always shows. slope * distance is exact in fp16 (for distances
    < 2048), so torch's comparator (the bias as an attn_mask in the input dtype) carries no
    rounding of the bias itself."""
    n = math.prod(shape)
    levels = max(high - low + 1, n)
    e = torch.randperm(levels, generator=gen, device=device)[:n].reshape(tuple(shape)) + low
    return torch.pow(2.0, -e.float())


# ----------------------------------------------------------------------------- running


def make_leaves(tensors, grad=True, grad_mask=None):
    """Fresh leaf copies of `tensors` (clone keeps a dense layout's strides); grad_mask says
    which get requires_grad (default: the floating point ones)."""
    if grad_mask is None:
        grad_mask = [t.is_floating_point() for t in tensors]
    leaves = []
    for t, wants in zip(tensors, grad_mask):
        leaf = t.detach().clone()
        if grad and wants:
            leaf.requires_grad_(True)
        leaves.append(leaf)
    return leaves


def run(fn, tensors, dout=None, gen=None, grad=True, grad_mask=None):
    """Call fn(*leaves) on fresh leaf copies of `tensors` and backpropagate `dout`.

    fn may return out or (out, extra). When dout is None and grad is set, dout is drawn from
    `gen` (N(0, 1), in the output's dtype). Returns (out, grads, dout); grads has one entry
    per leaf with requires_grad (zeros if it did not take part).
    """
    leaves = make_leaves(tensors, grad, grad_mask)
    out = fn(*leaves)
    if isinstance(out, tuple):
        out = out[0]
    if not grad:
        return out.detach(), [], None
    if dout is None:
        dout = randn(out.shape, out.dtype, out.device, gen)
    out.backward(dout.to(out.dtype))
    grads = [leaf.grad if leaf.grad is not None else torch.zeros_like(leaf)
             for leaf in leaves if leaf.requires_grad]
    return out.detach(), grads, dout


def to_reference_inputs(tensors):
    """float64 copies of the floating-point inputs (bool masks unchanged)."""
    return [t.double() if t.is_floating_point() else t for t in tensors]


def rel_error(x: torch.Tensor, ref: torch.Tensor) -> float:
    return ((x.double() - ref.double()).norm() / ref.double().norm()).item()


def accuracy_failure(name, ours, ref, theirs, dtype, allowance=0.0, factor=FACTOR, tiny=None):
    """None if `ours` meets the accuracy rule for this result, else a sentence why not.
    allowance: an extra relative error with a known, separately reported cause."""
    if ours.shape != ref.shape:
        return f"{name}: shape {tuple(ours.shape)} != reference {tuple(ref.shape)}"
    if ours.numel() == 0:
        return None
    if not torch.isfinite(ours).all():
        bad = (~torch.isfinite(ours)).sum().item()
        return f"{name}: {bad} non-finite entries of {ours.numel()}"
    ref = ref.double()
    if ref.norm().item() <= ZERO_RMS * math.sqrt(ref.numel()):
        worst = ours.double().abs().max().item()
        if worst > ZERO_TOL[dtype]:
            return f"{name}: reference is zero, ours has max |x| = {worst:.3e} > {ZERO_TOL[dtype]:.1e}"
        return None
    ours_rel = rel_error(ours, ref)
    torch_rel = rel_error(torch.nan_to_num(theirs.double()), ref)
    tiny = TINY[dtype] if tiny is None else tiny
    torch_term = max(factor * torch_rel, ROUNDOFF[dtype]) if allowance else factor * torch_rel
    bound = torch_term + allowance + tiny
    if not ours_rel <= bound:
        return (f"{name}: rel err {ours_rel:.3e} > {factor} * torch's {torch_rel:.3e} + {tiny:.1e}"
                + (f" + delta-rounding allowance {allowance:.3e}" if allowance else "") + f" = {bound:.3e}")
    return None


def delta_rounding_shift(ref_lse, leaves, dout, ours_out, ref_out):
    """The change of the reference gradients (one per leaf) that computing
    delta = rowsum(dO * O) from `ours_out` instead of the exact output causes: the gradient
    of -sum(d * lse) with d = rowsum(dO * (ours_out - ref_out))."""
    d = (dout.double() * (ours_out.double() - ref_out.double())).sum(-1)
    lse = torch.where(torch.isfinite(ref_lse), ref_lse, torch.zeros_like(ref_lse))
    shift = torch.autograd.grad(-(d * lse).sum(), leaves, allow_unused=True)
    return [torch.zeros_like(leaf) if g is None else g for leaf, g in zip(leaves, shift)]


def check_accuracy(ours_fn, torch_fn, ref_fn, tensors, dtype, gen, grad=True, grad_mask=None,
                   context="", grad_names=GRAD_NAMES, factor=FACTOR, dout=None, tiny=None):
    """Run ours, torch's (both in `dtype`) and the float64 reference on the same inputs and
    the same upstream gradient; assert the accuracy rule for the output and every gradient.
    ref_fn returns (out, lse) (then dq/dk/dmask get the delta-rounding allowance) or out.
    dout: the upstream gradient (default: drawn from gen, N(0, 1) in dtype).
    Returns (ours_out, ours_grads, ref_out, ref_grads) for further checks."""
    leaves = make_leaves(to_reference_inputs(tensors), grad, grad_mask)
    result = ref_fn(*leaves)
    ref_out, ref_lse = result if isinstance(result, tuple) else (result, None)
    grad_leaves = [leaf for leaf in leaves if leaf.requires_grad]
    ref_grads = None
    if grad:
        if dout is None:
            dout = randn(ref_out.shape, dtype, ref_out.device, gen)
        ref_grads = torch.autograd.grad(ref_out, grad_leaves, dout.double(), retain_graph=True, allow_unused=True)
        ref_grads = [torch.zeros_like(leaf) if g is None else g for leaf, g in zip(grad_leaves, ref_grads)]
    our_out, our_grads, _ = run(ours_fn, tensors, dout, gen, grad, grad_mask)
    th_out, th_grads, _ = run(torch_fn, tensors, dout, gen, grad, grad_mask)
    ref_out = ref_out.detach()
    problems = [accuracy_failure("out", our_out, ref_out, th_out, dtype, factor=factor, tiny=tiny)]
    if grad:
        allowances = [0.0] * len(grad_leaves)
        if ALLOW_ROUNDED_OUTPUT_IN_DELTA and ref_lse is not None and our_out.numel() and ref_lse.requires_grad:
            shift = delta_rounding_shift(ref_lse, grad_leaves, dout, our_out, ref_out)
            allowances = [(s.norm() / r.norm()).item() if r.norm() > 0 else 0.0 for s, r in zip(shift, ref_grads)]
        for name, o, r, t, a in zip(grad_names, our_grads, ref_grads, th_grads, allowances):
            problems.append(accuracy_failure(name, o, r, t, dtype, allowance=a, factor=factor, tiny=tiny))
    problems = [p for p in problems if p]
    shapes = ", ".join(f"{tuple(t.shape)}" for t in tensors)
    assert not problems, (f"{context} dtype={dtype} inputs {shapes} seed={seed_of(gen)}:\n  "
                          + "\n  ".join(problems))
    return our_out, our_grads, ref_out, ref_grads


@contextlib.contextmanager
def nan_filled_allocations():
    """Make torch.empty & co. fill new float tensors with NaN, so an output element that a
    kernel never writes shows up as NaN."""
    previous_mode = torch.are_deterministic_algorithms_enabled()
    previous_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    previous_fill = torch.utils.deterministic.fill_uninitialized_memory
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.utils.deterministic.fill_uninitialized_memory = True
    try:
        yield
    finally:
        torch.utils.deterministic.fill_uninitialized_memory = previous_fill
        torch.use_deterministic_algorithms(previous_mode, warn_only=previous_warn)


BOTH_BACKENDS = (Backend.FLASH, Backend.MATH)
LOW_DTYPES = (torch.float16, torch.float32)
