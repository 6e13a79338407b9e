"""The MATH backend: chunked (memory-bounded) exact attention, masks, dropout."""
from __future__ import annotations

import math

import pytest
import torch

import flashsdpa
from flashsdpa import Backend
from flashsdpa.backends import reference
from helpers import (
    FACTOR_BROADCAST,
    LOW_DTYPES,
    causal_visible,
    check_accuracy,
    ours_sdpa,
    randn,
    ref_sdpa,
    reference_attention,
    torch_sdpa,
)

dtypes = pytest.mark.parametrize("dtype", LOW_DTYPES, ids=lambda d: str(d).replace("torch.", ""))
MATH = Backend.MATH


def math_sdpa(q, k, v, **kwargs):
    with flashsdpa.sdpa_kernel(MATH):
        return flashsdpa.scaled_dot_product_attention(q, k, v, **kwargs)


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of a few query rows, so that every call below spans several chunks."""
    monkeypatch.setattr(reference, "CHUNK_ELEMENTS", 300)
    return 300


# ----------------------------------------------------------------------------- chunking


@dtypes
@pytest.mark.parametrize("chunk_elements", [1, 600, 1000])
@pytest.mark.parametrize("causal", [None, "top_left", "bottom_right"])
def test_chunked_matches_reference(dtype, chunk_elements, causal, monkeypatch, device, gen):
    monkeypatch.setattr(reference, "CHUNK_ELEMENTS", chunk_elements)
    b, h_q, h_kv, s_q, s_k = 2, 4, 2, 37, 23
    rows = reference.chunk_rows((b, h_q, s_q, s_k))
    assert rows < s_q and s_q % rows != 0 or rows == 1, "the call must span several, uneven chunks"
    tensors = [randn(s, dtype, device, gen) for s in ((b, h_q, s_q, 16), (b, h_kv, s_k, 16), (b, h_kv, s_k, 24))]
    check_accuracy(ours_sdpa(MATH, causal, enable_gqa=True), torch_sdpa(causal, enable_gqa=True),
                   ref_sdpa(causal, enable_gqa=True), tensors, dtype, gen, context=f"chunk rows {rows}")


def test_chunked_equals_unchunked(monkeypatch, device, gen):
    """Rows are independent: chunking changes the result only by the summation order of the
    dk/dv/dmask accumulation (float32 here: relative differences ~1e-7)."""
    dtype = torch.float32
    q, k, v = (randn(s, dtype, device, gen) for s in ((2, 3, 29, 16), (2, 3, 31, 16), (2, 3, 31, 8)))
    mask = randn((29, 31), dtype, device, gen)
    dout = randn((2, 3, 29, 8), dtype, device, gen)
    results = []
    for chunk in (1 << 25, 100):
        monkeypatch.setattr(reference, "CHUNK_ELEMENTS", chunk)
        leaves = [t.clone().requires_grad_() for t in (q, k, v, mask)]
        out = math_sdpa(*leaves[:3], attn_mask=leaves[3], is_causal=True)
        out.backward(dout)
        results.append([out, *(leaf.grad for leaf in leaves)])
    assert reference.chunk_rows((2, 3, 29, 31)) == 1
    for name, a, b in zip(("out", "dq", "dk", "dv", "dmask"), *results):
        assert torch.isfinite(b).all()
        rel = ((a.double() - b.double()).norm() / a.double().norm()).item()
        assert rel < 1e-6, (name, rel)


# ----------------------------------------------------------------------------- masks


MASK_SHAPES = [(37, 23), (2, 1, 1, 23), (2, 1, 37, 23), (1, 3, 37, 23), (3, 37, 23), (2, 3, 37, 23)]


def _mask(kind, shape, dtype, device, gen):
    if kind == "bool":
        m = torch.rand(shape, generator=gen, device=device) > 0.3
        return m
    return randn(shape, dtype, device, gen)


@dtypes
@pytest.mark.parametrize("kind", ["bool", "float"])
@pytest.mark.parametrize("mask_shape", MASK_SHAPES, ids=str)
def test_mask_shapes(dtype, kind, mask_shape, small_chunks, device, gen):
    q, k, v = (randn(s, dtype, device, gen) for s in ((2, 3, 37, 16), (2, 3, 23, 16), (2, 3, 23, 24)))
    mask = _mask(kind, mask_shape, dtype, device, gen)
    check_accuracy(ours_sdpa(MATH), torch_sdpa(), ref_sdpa(), [q, k, v, mask], dtype, gen,
                   grad_mask=[True, True, True, False], context=f"{kind} mask {mask_shape}")


@dtypes
@pytest.mark.parametrize("mask_shape", MASK_SHAPES, ids=str)
def test_float_mask_gradient(dtype, mask_shape, small_chunks, device, gen):
    """A float mask that requires grad gets d(out)/d(mask), summed over its broadcast dims."""
    q, k, v = (randn(s, dtype, device, gen) for s in ((2, 3, 37, 16), (2, 3, 23, 16), (2, 3, 23, 24)))
    mask = randn(mask_shape, dtype, device, gen)
    broadcast = tuple(mask_shape) != (2, 3, 37, 23)
    _, grads, _, _ = check_accuracy(ours_sdpa(MATH), torch_sdpa(), ref_sdpa(), [q, k, v, mask], dtype, gen,
                                    context=f"mask {mask_shape}", factor=FACTOR_BROADCAST if broadcast else 2.0)
    assert grads[3].shape == mask.shape and grads[3].dtype == mask.dtype


@dtypes
@pytest.mark.parametrize("kind", ["bool", "float"])
def test_mask_with_gqa_and_causal(dtype, kind, small_chunks, device, gen):
    q, k, v = (randn(s, dtype, device, gen) for s in ((2, 4, 37, 16), (2, 2, 23, 16), (2, 2, 23, 24)))
    mask = _mask(kind, (2, 4, 37, 23), dtype, device, gen)
    check_accuracy(ours_sdpa(MATH, "top_left", enable_gqa=True), torch_sdpa("top_left", enable_gqa=True),
                   ref_sdpa("top_left", enable_gqa=True), [q, k, v, mask], dtype, gen,
                   grad_mask=[True, True, True, kind == "float"])


@dtypes
@pytest.mark.parametrize("kind", ["bool", "float"])
def test_fully_masked_rows_give_zeros(dtype, kind, small_chunks, device, gen):
    s_q, s_k = 37, 23
    q, k, v = (randn(s, dtype, device, gen) for s in ((2, 3, s_q, 16), (2, 3, s_k, 16), (2, 3, s_k, 24)))
    hidden_rows = [0, 5, 6, 36]
    if kind == "bool":
        mask = torch.rand((2, 1, s_q, s_k), generator=gen, device=device) > 0.3
        mask[:, :, hidden_rows] = False
    else:
        mask = randn((2, 1, s_q, s_k), dtype, device, gen)
        mask[:, :, hidden_rows] = float("-inf")
    mask_leaf = mask.clone().requires_grad_(kind == "float")
    leaves = [t.clone().requires_grad_() for t in (q, k, v)]
    out = math_sdpa(*leaves, attn_mask=mask_leaf)
    out.backward(randn(out.shape, dtype, device, gen))
    assert torch.equal(out[:, :, hidden_rows], torch.zeros_like(out[:, :, hidden_rows]))
    assert torch.equal(leaves[0].grad[:, :, hidden_rows], torch.zeros_like(leaves[0].grad[:, :, hidden_rows]))
    for t in (out, *(leaf.grad for leaf in leaves)):
        assert torch.isfinite(t).all()
    if kind == "float":
        assert torch.isfinite(mask_leaf.grad).all()
        assert (mask_leaf.grad[:, :, hidden_rows] == 0).all()
    check_accuracy(ours_sdpa(MATH), torch_sdpa(), ref_sdpa(), [q, k, v, mask], dtype, gen,
                   grad_mask=[True, True, True, kind == "float"], factor=FACTOR_BROADCAST)


def test_float64_inputs_are_exact(small_chunks, device, gen):
    """float64 runs in float64: it matches the float64 reference to ~1e-14."""
    q, k, v = (randn(s, torch.float64, device, gen) for s in ((2, 3, 37, 16), (2, 3, 23, 16), (2, 3, 23, 24)))
    mask = randn((37, 23), torch.float64, device, gen)
    leaves = [t.clone().requires_grad_() for t in (q, k, v, mask)]
    ref_leaves = [t.clone().requires_grad_() for t in (q, k, v, mask)]
    out = math_sdpa(*leaves[:3], attn_mask=leaves[3], is_causal=True)
    ref, _ = reference_attention(*ref_leaves[:3], attn_mask=ref_leaves[3], causal="top_left")
    dout = randn(out.shape, torch.float64, device, gen)
    out.backward(dout)
    ref.backward(dout)
    assert out.dtype == torch.float64
    for ours, theirs in zip([out, *(x.grad for x in leaves)], [ref, *(x.grad for x in ref_leaves)]):
        torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------- dropout


def _dropout_call(q, k, v, seed, p, **kwargs):
    torch.manual_seed(seed)
    return math_sdpa(q, k, v, dropout_p=p, **kwargs)


def test_dropout_same_seed_same_result(small_chunks, device, gen):
    q, k, v = (randn(s, torch.float32, device, gen) for s in ((2, 3, 37, 16), (2, 3, 23, 16), (2, 3, 23, 24)))
    dout = randn((2, 3, 37, 24), torch.float32, device, gen)
    results = []
    for seed in (1234, 1234, 4321):
        leaves = [t.clone().requires_grad_() for t in (q, k, v)]
        out = _dropout_call(*leaves, seed, 0.3)
        out.backward(dout)
        results.append([out, *(x.grad for x in leaves)])
    for a, b in zip(results[0], results[1]):
        assert torch.equal(a, b)
    for a, b in zip(results[0], results[2]):
        assert not torch.equal(a, b)


def test_dropout_keeps_scaled_probabilities(small_chunks, device, gen):
    """With V = I (S_k = D_v) the output *is* the dropped-out probability matrix: each entry
    is 0 or p_ij / (1 - p), and about a fraction p of them is 0."""
    p, s_q, s_k = 0.25, 37, 23
    q = randn((2, 3, s_q, 16), torch.float32, device, gen)
    k = randn((2, 3, s_k, 16), torch.float32, device, gen)
    eye = torch.eye(s_k, device=device).expand(2, 3, s_k, s_k)
    out = _dropout_call(q, k, eye, 99, p)
    probs, _ = reference_attention(q, k, eye)
    kept = out != 0
    torch.testing.assert_close(out[kept].double(), probs[kept] / (1 - p), rtol=1e-5, atol=1e-7)
    n = out.numel()
    dropped = 1 - kept.double().mean().item()
    # binomial(n, p): 6 standard deviations
    assert abs(dropped - p) < 6 * math.sqrt(p * (1 - p) / n), dropped


@pytest.mark.parametrize("causal", [False, True])
def test_dropout_gradients_match_reference_with_same_mask(causal, small_chunks, device, gen):
    """Recover the keep-mask of a seed from a V = I call (the mask depends only on the seed
    and the score shape), then compare output and gradients of a general V with the float64
    reference that applies that mask: the backward regenerates each chunk's mask correctly."""
    p, s_q, s_k = 0.3, 37, 23
    q, k = (randn(s, torch.float32, device, gen) for s in ((2, 3, s_q, 16), (2, 3, s_k, 16)))
    v = randn((2, 3, s_k, 40), torch.float32, device, gen)
    eye = torch.eye(s_k, device=device).expand(2, 3, s_k, s_k)
    keep = _dropout_call(q, k, eye, 7, p, is_causal=causal) != 0
    causal_mask = causal_visible(s_q, s_k, "top_left", device)
    if causal:  # invisible entries are 0 either way; count them as kept
        keep = keep | ~causal_mask
    leaves = [t.clone().requires_grad_() for t in (q, k, v)]
    out = _dropout_call(*leaves, 7, p, is_causal=causal)
    ref_leaves = [t.double().requires_grad_() for t in (q, k, v)]
    ref, _ = reference_attention(*ref_leaves, causal="top_left" if causal else None, keep=keep, dropout_p=p)
    dout = randn(out.shape, torch.float32, device, gen)
    out.backward(dout)
    ref.backward(dout.double())
    for ours, theirs in zip([out, *(x.grad for x in leaves)], [ref, *(x.grad for x in ref_leaves)]):
        assert torch.isfinite(ours).all()
        assert ((ours.double() - theirs).norm() / theirs.norm()).item() < 1e-5


def test_dropout_mean_over_seeds_is_the_attention(device, gen):
    """E[dropout(P) / (1-p)] = P: the mean of N outputs estimates the no-dropout output,
    with per-entry variance sum_j P_ij^2 V_jd^2 p / (1-p) / N. Every entry's z-score must be
    within 5 (for ~200 entries a |z| > 5 has probability ~1e-4)."""
    p, n = 0.4, 400
    q, k = (randn(s, torch.float32, device, gen) for s in ((1, 2, 9, 8), (1, 2, 13, 8)))
    v = randn((1, 2, 13, 12), torch.float32, device, gen)
    seeds = torch.randint(0, 2**31, (n,), generator=torch.Generator().manual_seed(gen.initial_seed() % 2**63))
    total = torch.zeros(1, 2, 9, 12, dtype=torch.float64, device=device)
    for seed in seeds.tolist():
        total += _dropout_call(q, k, v, seed, p).double()
    mean = total / n
    exact, _ = reference_attention(q, k, v)
    probs, _ = reference_attention(q, k, torch.eye(13, device=device).expand(1, 2, 13, 13))
    variance = torch.matmul(probs ** 2, v.double() ** 2) * p / (1 - p) / n
    z = (mean - exact) / variance.sqrt()
    assert z.abs().max().item() < 5, z.abs().max().item()
    # and dropout does change single outputs
    assert not torch.allclose(_dropout_call(q, k, v, 1, p), exact.float())


def test_dropout_is_not_applied_at_p_zero(device, gen):
    q, k, v = (randn(s, torch.float32, device, gen) for s in ((1, 2, 9, 8), (1, 2, 13, 8), (1, 2, 13, 8)))
    a = _dropout_call(q, k, v, 1, 0.0)
    b = _dropout_call(q, k, v, 2, 0.0)
    assert torch.equal(a, b)
