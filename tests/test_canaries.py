"""Poison tests: memory the kernels must not read, and outputs they must write in full.

(a) NaN canaries: inputs are views of bigger tensors whose extra rows (past S_q / S_k),
    columns (past the head dim) and heads are NaN. A kernel that reads one of them (an
    unmasked tail load, a wrong stride) turns an output or a gradient into NaN.
(b) Every output element written: the kernels allocate their outputs themselves, so we
    call flash_forward / flash_backward with torch's allocations NaN-filled
    (use_deterministic_algorithms + fill_uninitialized_memory): an element no program
    stores stays NaN.
"""
from __future__ import annotations

import math

import pytest
import torch

from flashsdpa.backends import flash
from helpers import (
    BOTH_BACKENDS,
    LOW_DTYPES,
    causal_visible,
    check_accuracy,
    nan_filled_allocations,
    ours_sdpa,
    randn,
    ref_sdpa,
    reference_attention,
    torch_sdpa,
    with_views,
)

backends = pytest.mark.parametrize("backend", BOTH_BACKENDS, ids=lambda b: b.name)
dtypes = pytest.mark.parametrize("dtype", LOW_DTYPES, ids=lambda d: str(d).replace("torch.", ""))


def nan_padded(shape, pad, dtype, device, gen):
    """A tensor of shape+pad filled with NaN, random in its leading `shape` corner."""
    big = torch.full([s + p for s, p in zip(shape, pad)], float("nan"), dtype=dtype, device=device)
    big[tuple(slice(0, s) for s in shape)] = randn(shape, dtype, device, gen)
    return big


@backends
@dtypes
@pytest.mark.parametrize("causal", [None, "top_left", "bottom_right"])
@pytest.mark.parametrize("s_q,s_k,d,d_v", [(33, 47, 40, 24), (32, 48, 32, 64), (1, 17, 8, 8), (47, 16, 24, 40)])
def test_nan_past_the_ends_is_never_read(backend, dtype, causal, s_q, s_k, d, d_v, device, gen):
    b, h_q, h_kv = 2, 4, 2
    q = nan_padded((b, h_q, s_q, d), (1, 1, 9, 5), dtype, device, gen)
    k = nan_padded((b, h_kv, s_k, d), (1, 2, 17, 5), dtype, device, gen)
    v = nan_padded((b, h_kv, s_k, d_v), (0, 1, 16, 3), dtype, device, gen)
    dout = nan_padded((b, h_q, s_q, d_v), (1, 1, 5, 7), dtype, device, gen)

    def view(q, k, v):
        return q[:b, :h_q, :s_q, :d], k[:b, :h_kv, :s_k, :d], v[:b, :h_kv, :s_k, :d_v]

    fns = [with_views(f, view) for f in (ours_sdpa(backend, causal, enable_gqa=True),
                                         torch_sdpa(causal, enable_gqa=True), ref_sdpa(causal, enable_gqa=True))]
    out, grads, _, _ = check_accuracy(*fns, [q, k, v], dtype, gen, dout=dout[:b, :h_q, :s_q, :d_v],
                                      context=f"{backend.name} NaN-padded causal={causal}")
    assert torch.isfinite(out).all()
    for g in grads:  # gradients of the padded tensors: finite, and zero outside the views
        assert torch.isfinite(g).all()


@backends
def test_nan_in_unused_heads_and_batches_is_never_read(backend, device, gen):
    """A (B, S, H, D) projection with more heads and batches than the call uses."""
    dtype = torch.float16
    qkv_big = nan_padded((2, 29, 3, 3, 24), (1, 0, 0, 2, 8), dtype, device, gen)  # (B, S, 3, H, D)

    def view(t):
        return tuple(t[:2, :, i, :3, :24].transpose(1, 2) for i in range(3))

    fns = [with_views(f, view) for f in (ours_sdpa(backend, "top_left"), torch_sdpa("top_left"), ref_sdpa("top_left"))]
    check_accuracy(*fns, [qkv_big], dtype, gen, grad_names=("dqkv",), context=backend.name)


def _flash_case(gen, device, dtype, b, h_q, h_kv, s_q, s_k, d, d_v, bshd):
    if bshd:
        q = randn((b, s_q, h_q, d), dtype, device, gen).transpose(1, 2)
        k = randn((b, s_k, h_kv, d), dtype, device, gen).transpose(1, 2)
        v = randn((b, s_k, h_kv, d_v), dtype, device, gen).transpose(1, 2)
    else:
        q = randn((b, h_q, s_q, d), dtype, device, gen)
        k = randn((b, h_kv, s_k, d), dtype, device, gen)
        v = randn((b, h_kv, s_k, d_v), dtype, device, gen)
    return q, k, v


@dtypes
@pytest.mark.parametrize("bshd", [False, True], ids=["bhsd", "bshd"])
@pytest.mark.parametrize("causal,offset_kind", [(False, None), (True, "top_left"), (True, "bottom_right")])
@pytest.mark.parametrize("s_q,s_k", [(33, 47), (47, 17), (16, 32), (1, 1)])
def test_flash_writes_every_output_element(dtype, bshd, causal, offset_kind, s_q, s_k, device, gen):
    b, h_q, h_kv, d, d_v = 2, 4, 2, 40, 24
    q, k, v = _flash_case(gen, device, dtype, b, h_q, h_kv, s_q, s_k, d, d_v, bshd)
    offset = s_k - s_q if offset_kind == "bottom_right" else 0
    scale = 1 / math.sqrt(d)
    with nan_filled_allocations():
        probe = torch.empty(4, device=device, dtype=dtype)
        assert torch.isnan(probe).all(), "NaN-filled allocations are not active"
        out, lse = flash.flash_forward(q, k, v, scale, causal, offset)
        dout = randn(out.shape, dtype, device, gen)
        dq, dk, dv, _ = flash.flash_backward(dout, q, k, v, out, lse, scale, causal, offset)
    assert out.shape == (b, h_q, s_q, d_v) and lse.shape == (b, h_q, s_q) and lse.dtype == torch.float32
    if bshd:  # the output follows q's memory order
        assert out.transpose(1, 2).is_contiguous()
    for name, t in (("out", out), ("dq", dq), ("dk", dk), ("dv", dv)):
        assert torch.isfinite(t).all(), f"{name}: {(~torch.isfinite(t)).sum().item()} unwritten/NaN entries"
    assert dq.shape == q.shape and dk.shape == k.shape and dv.shape == v.shape
    # lse: finite where a row sees a key, -inf (not NaN) where it sees none
    sees = torch.ones(s_q, s_k, dtype=torch.bool, device=device)
    if causal:
        sees = causal_visible(s_q, s_k, offset_kind, device)
    row_sees = sees.any(-1).expand(b, h_q, s_q)
    assert not torch.isnan(lse).any()
    assert torch.isfinite(lse[row_sees]).all()
    assert (lse[~row_sees] == float("-inf")).all()
    assert (out[~row_sees] == 0).all()


@dtypes
@pytest.mark.parametrize("causal", [None, "top_left", "bottom_right"])
@pytest.mark.parametrize("s_q,s_k,d", [(33, 47, 40), (47, 17, 24), (1, 70, 64), (64, 64, 16)])
def test_flash_lse_is_float64_logsumexp(dtype, causal, s_q, s_k, d, device, gen):
    """lse is float32, (B, H, S_q), natural log of sum_j exp(q_i.k_j * scale) over visible keys."""
    q, k, v = _flash_case(gen, device, dtype, 1, 4, 2, s_q, s_k, d, 16, False)
    scale = 0.3
    offset = s_k - s_q if causal == "bottom_right" else 0
    _, lse = flash.flash_forward(q, k, v, scale, causal is not None, offset)
    scores = torch.matmul(q.double(), k.double().repeat_interleave(2, 1).transpose(-1, -2)) * scale
    if causal is not None:
        scores = scores.masked_fill(~causal_visible(s_q, s_k, causal, device), float("-inf"))
    ref = torch.logsumexp(scores, dim=-1)
    assert lse.dtype == torch.float32 and lse.shape == ref.shape
    # fp32 scores of exact products, summed in another order, and an fp32 log: a few ulps of
    # the largest |score| (here < 10).
    torch.testing.assert_close(lse.double(), ref, rtol=0, atol=1e-5)
    # and it agrees with the reference module's lse
    _, ref_lse = reference_attention(q, k, v, causal=causal, scale=scale, enable_gqa=True)
    torch.testing.assert_close(lse.double(), ref_lse, rtol=0, atol=1e-5)
