"""Masks, bias gradients, dropout, windows, ALiBi and softcap in the flash kernel, at large
shapes on a CUDA GPU (run with `pytest -m gpu`; skipped without CUDA).

Reference: the MATH backend run on float64 inputs (exact semantics, every feature). Bar: the
error of the MATH backend run in the same low dtype (it computes in float32 and rounds the
results), times FACTOR of helpers.py. That bar is stricter than torch's own GPU kernels,
which round P to the input dtype as we do; it is also the only one torch offers for softcap,
which torch's SDPA cannot express.
"""
from __future__ import annotations

import pytest
import torch

import flashsdpa
from flashsdpa import Backend
from flashsdpa.backends.flash import draw_dropout_seed, dropout_keep_mask
from helpers import FACTOR, TINY, accuracy_failure, randn, reference_attention

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]

DEVICE = "cuda"
LOWP = [torch.bfloat16, torch.float16]
B, H, S_Q, S_K, D, D_V = 2, 8, 1000, 1537, 96, 64


def _run(backend, q, k, v, mask, dtype, dout, **kwargs):
    """out and the gradients of every floating point input that requires one."""
    leaves = [None if t is None else t.detach().to(dtype if t.is_floating_point() else t.dtype)
              .requires_grad_(t.is_floating_point()) for t in (q, k, v, mask)]
    with flashsdpa.sdpa_kernel(backend):
        out = flashsdpa.scaled_dot_product_attention(*leaves[:3], attn_mask=leaves[3], **kwargs)
    out.backward(dout.to(out.dtype))
    return [out.detach()] + [t.grad for t in leaves if t is not None and t.requires_grad]


def _mask(kind, dtype, gen):
    if kind == "none":
        return None
    if kind == "key_padding":
        return randn((B, 1, 1, S_K), torch.float32, DEVICE, gen) > -0.5
    if kind == "bool_2d":
        return randn((S_Q, S_K), torch.float32, DEVICE, gen) > 0.0
    if kind == "bias_heads":
        return randn((1, H, S_Q, S_K), dtype, DEVICE, gen)
    return randn((B, H, S_Q, S_K), dtype, DEVICE, gen)  # "bias_full"


CASES = {
    "key_padding": ("key_padding", {}),
    "bool_2d+causal": ("bool_2d", {"is_causal": True}),
    "bias_heads(grad)": ("bias_heads", {}),
    "bias_full(grad)+causal": ("bias_full", {"is_causal": True}),
    "window(100,20)": ("none", {"window_size": (100, 20)}),
    "window(256,0)+causal": ("none", {"window_size": (256, -1), "is_causal": True}),
    "alibi(H)+causal": ("none", {"alibi": (H,), "is_causal": True}),
    "alibi(B,H)": ("none", {"alibi": (B, H)}),
    "softcap": ("none", {"softcap": 2.0}),
    "everything": ("bias_full", {"window_size": (300, 50), "alibi": (H,), "softcap": 5.0}),
}


@pytest.mark.parametrize("dtype", LOWP, ids=lambda d: str(d)[6:])
@pytest.mark.parametrize("case", list(CASES))
def test_features_large(case, dtype, gen):
    mask_kind, kwargs = CASES[case]
    kwargs = dict(kwargs)
    if "alibi" in kwargs:
        kwargs["alibi_slopes"] = torch.rand(kwargs.pop("alibi"), generator=gen, device=DEVICE)
    scale_up = 4.0 if "softcap" in kwargs else 1.0  # large scores, so that tanh saturates
    q = randn((B, H, S_Q, D), dtype, DEVICE, gen) * scale_up
    k, v = randn((B, H, S_K, D), dtype, DEVICE, gen), randn((B, H, S_K, D_V), dtype, DEVICE, gen)
    mask = _mask(mask_kind, dtype, gen)
    dout = randn((B, H, S_Q, D_V), torch.float32, DEVICE, gen)
    _check_flash(f"{case} {dtype}", q, k, v, mask, dtype, dout, **kwargs)


NAMES = ["out", "dq", "dk", "dv", "dmask"]


def _check_flash(context, q, k, v, mask, dtype, dout, **kwargs):
    """FLASH's output and gradients within the bar of the module docstring; returns them and the
    float64 reference's."""
    ours = _run(Backend.FLASH, q, k, v, mask, dtype, dout, **kwargs)
    ref = _run(Backend.MATH, q, k, v, mask, torch.float64, dout, **kwargs)
    low = _run(Backend.MATH, q, k, v, mask, dtype, dout, **kwargs)
    problems = [accuracy_failure(n, o, r, t, dtype) for n, o, r, t in zip(NAMES, ours, ref, low)]
    assert not any(problems), f"{context}: " + "; ".join(p for p in problems if p)
    return ours, ref


@pytest.mark.parametrize("dtype", LOWP, ids=lambda d: str(d)[6:])
def test_dropout_large_matches_reference_with_the_same_mask(dtype, gen):
    p = 0.1
    q, k = randn((B, H, S_Q, D), dtype, DEVICE, gen), randn((B, H, S_K, D), dtype, DEVICE, gen)
    v = randn((B, H, S_K, D_V), dtype, DEVICE, gen)
    dout = randn((B, H, S_Q, D_V), torch.float32, DEVICE, gen)
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=torch.Generator().manual_seed(gen.initial_seed() % 2**31)))
    torch.manual_seed(seed)
    ours = _run(Backend.FLASH, q, k, v, None, dtype, dout, dropout_p=p, is_causal=True)
    torch.manual_seed(seed)
    keep = dropout_keep_mask(draw_dropout_seed(DEVICE), B, H, S_Q, S_K, p, DEVICE)
    assert abs(keep.float().mean().item() - (1 - p)) < 1e-3
    leaves = [t.double().requires_grad_() for t in (q, k, v)]
    ref_out, _ = reference_attention(*leaves, causal="top_left", keep=keep, dropout_p=p)
    ref_out.backward(dout.double())
    ref = [ref_out.detach()] + [t.grad for t in leaves]
    # The bar: the MATH backend's error in this dtype on the same call without dropout (dropout
    # only rescales kept probabilities by 1 / (1 - p); a wrong mask gives errors of order 1).
    plain_ref = _run(Backend.MATH, q, k, v, None, torch.float64, dout, is_causal=True)
    plain_low = _run(Backend.MATH, q, k, v, None, dtype, dout, is_causal=True)
    for name, o, r, pr, pl in zip(["out", "dq", "dk", "dv"], ours, ref, plain_ref, plain_low):
        err = ((o.double() - r).norm() / r.norm()).item()
        bar = FACTOR * ((pl.double() - pr).norm() / pr.norm()).item() + TINY[dtype]
        assert err <= bar, f"{name}: {err:.3e} > {bar:.3e}"


GLUON_WINDOWS = {  # name: (B, H_q, H_kv, S, window_size, is_causal, float bias)
    "(256,-1)+causal": (1, 4, 4, 2048 + 72, (256, -1), True, False),
    "(100,20)": (2, 4, 4, 2048, (100, 20), False, False),
    "(1024,0) gqa": (1, 8, 2, 4095, (1024, 0), False, False),
    "(-1,300)": (1, 4, 4, 2048 + 8, (-1, 300), False, False),
    "(0,0)": (1, 2, 2, 2048, (0, 0), False, False),
    "(300,50)+bias": (1, 4, 4, 2048 + 64, (300, 50), False, True),
}


@pytest.mark.parametrize("dtype", LOWP, ids=lambda d: str(d)[6:])
@pytest.mark.parametrize("case", list(GLUON_WINDOWS))
def test_hopper_window(case, dtype, gen, monkeypatch):
    """Sliding windows in the Gluon kernels for Hopper: they take the call (checked), skip the
    key tiles outside the band, and stay within the accuracy rule for the output and every
    gradient (the bias's too), on ragged lengths and GQA; they agree with the Triton kernels."""
    if torch.cuda.get_device_capability()[0] != 9:
        pytest.skip("the Gluon kernels run on sm_90 only")
    from flashsdpa.backends import flash, hopper
    from flashsdpa.kernels import hopper_backward
    monkeypatch.setattr(hopper_backward, "MIN_SCORES", 0)   # these shapes are small on purpose
    monkeypatch.setattr(hopper, "BIAS_BACKWARD", True)
    b, h_q, h_kv, s, window, causal, has_bias = GLUON_WINDOWS[case]
    q = randn((b, h_q, s, 128), dtype, DEVICE, gen)
    k, v = (randn((b, h_kv, s, 128), dtype, DEVICE, gen) for _ in range(2))
    bias = randn((b, h_q, s, s), dtype, DEVICE, gen) if has_bias else None
    opts = flash.ScoreOptions(128 ** -0.5, causal, 0, tuple(w if w >= 0 else -1 for w in window))
    grads = [flash.empty_like_layout(t, 128) for t in (q, k, v)]
    assert hopper.forward_reason(q, k, v, grads[0], mask=bias, opts=opts) is None
    assert hopper.backward_reason(q, k, v, q, q, grads, mask=bias, opts=opts) is None
    dout = randn((b, h_q, s, 128), torch.float32, DEVICE, gen)
    kwargs = dict(window_size=window, is_causal=causal, enable_gqa=h_q != h_kv)
    ours, ref = _check_flash(f"{case} {dtype}", q, k, v, bias, dtype, dout, **kwargs)
    for flag in ("FORWARD", "BACKWARD"):
        monkeypatch.setattr(hopper, flag, False)
    portable = _run(Backend.FLASH, q, k, v, bias, dtype, dout, **kwargs)
    for name, a, c, r in zip(NAMES, ours, portable, ref):
        assert torch.isfinite(a).all(), name
        if r.norm() > 1e-6:   # a window of (0, 0) makes dq exactly 0: both kernels then hold rounding noise
            assert ((a.float() - c.float()).norm() / c.float().norm()).item() < 1e-2, name
