"""Empty tensors behave like torch's; NaN inputs propagate row-wise and never crash."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

import flashsdpa
from helpers import BOTH_BACKENDS, randn, reference_attention

backends = pytest.mark.parametrize("backend", BOTH_BACKENDS, ids=lambda b: b.name)


def forced(backend, fn, *args, **kwargs):
    with flashsdpa.sdpa_kernel(backend):
        return fn(*args, **kwargs)


@backends
@pytest.mark.parametrize("dtype", [torch.float16, torch.float32], ids=str)
@pytest.mark.parametrize("shapes", [
    ((0, 3, 5, 8), (0, 3, 7, 8), (0, 3, 7, 8)),      # B = 0
    ((2, 3, 0, 8), (2, 3, 7, 8), (2, 3, 7, 8)),      # S_q = 0
    ((2, 3, 5, 8), (2, 3, 0, 8), (2, 3, 0, 16)),     # S_k = 0: zeros like torch
    ((2, 3, 5, 8), (2, 3, 7, 8), (2, 3, 7, 0)),      # D_v = 0
    ((2, 0, 5, 8), (2, 0, 7, 8), (2, 0, 7, 8)),      # no heads
    ((0, 5, 8), (0, 7, 8), (0, 7, 8)),               # 3D, no heads
    ((5, 8), (0, 8), (0, 8)),                        # 2D, S_k = 0
], ids=["B0", "Sq0", "Sk0", "Dv0", "H0", "3D-H0", "2D-Sk0"])
def test_empty_inputs(backend, dtype, shapes, device, gen):
    q, k, v = (randn(s, dtype, device, gen) for s in shapes)
    with sdpa_kernel(SDPBackend.MATH):  # torch 2.11's cuDNN backend returns None for an empty fp16 batch
        expected = F.scaled_dot_product_attention(q, k, v)
    leaves = [t.clone().requires_grad_() for t in (q, k, v)]
    out = forced(backend, flashsdpa.scaled_dot_product_attention, *leaves)
    assert out.shape == expected.shape and out.dtype == expected.dtype
    assert torch.equal(out, torch.zeros_like(out))  # empty, or zeros when S_k = 0
    assert torch.equal(expected, torch.zeros_like(expected))
    out.backward(randn(out.shape, dtype, device, gen))
    for leaf in leaves:
        assert leaf.grad is not None and leaf.grad.shape == leaf.shape
        assert torch.equal(leaf.grad, torch.zeros_like(leaf.grad))


@backends
@pytest.mark.parametrize("causal", [False, True])
def test_empty_keys_in_flash_attn_func(backend, causal, device, gen):
    q = randn((2, 5, 3, 8), torch.float16, device, gen)
    kv = randn((2, 0, 3, 8), torch.float16, device, gen)
    out, lse = forced(backend, flashsdpa.flash_attn_func, q, kv, kv, causal=causal, return_lse=True)
    assert out.shape == (2, 5, 3, 8) and torch.equal(out, torch.zeros_like(out))
    assert lse.shape == (2, 3, 5) and (lse == float("-inf")).all()


@backends
def test_zero_value_head_dim_keeps_lse(backend, device, gen):
    """D_v = 0: the output is empty, but the scores exist: lse is their logsumexp."""
    q = randn((1, 5, 2, 8), torch.float16, device, gen)
    k = randn((1, 7, 2, 8), torch.float16, device, gen)
    v = randn((1, 7, 2, 0), torch.float16, device, gen)
    out, lse = forced(backend, flashsdpa.flash_attn_func, q, k, v, return_lse=True)
    assert out.shape == (1, 5, 2, 0)
    _, ref_lse = reference_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2))
    torch.testing.assert_close(lse.double(), ref_lse, rtol=0, atol=1e-5)


@backends
def test_zero_query_key_head_dim(backend, device, gen):
    """D_qk = 0: every score is 0, attention is the plain mean over keys; dv = P^T dO with
    P uniform, dq and dk are empty."""
    q = randn((2, 3, 5, 0), torch.float32, device, gen)
    k = randn((2, 3, 7, 0), torch.float32, device, gen)
    v = randn((2, 3, 7, 4), torch.float32, device, gen)
    leaves = [t.clone().requires_grad_() for t in (q, k, v)]
    out = forced(backend, flashsdpa.scaled_dot_product_attention, *leaves)
    dout = randn(out.shape, torch.float32, device, gen)
    out.backward(dout)
    torch.testing.assert_close(out, v.mean(dim=-2, keepdim=True).expand_as(out))
    expected_dv = dout.sum(dim=-2, keepdim=True).expand_as(v) / 7
    torch.testing.assert_close(leaves[2].grad, expected_dv)


# ----------------------------------------------------------------------------- NaN


@backends
@pytest.mark.parametrize("dtype", [torch.float16, torch.float32], ids=str)
@pytest.mark.parametrize("causal", [False, True])
def test_nan_in_query_row_gives_nan_output_row(backend, dtype, causal, device, gen):
    s_q, s_k, bad_row = 33, 40, 17
    q = randn((1, 2, s_q, 24), dtype, device, gen)
    k = randn((1, 2, s_k, 24), dtype, device, gen)
    v = randn((1, 2, s_k, 16), dtype, device, gen)
    q[0, 1, bad_row, 3] = float("nan")
    leaves = [t.clone().requires_grad_() for t in (q, k, v)]
    out = forced(backend, flashsdpa.scaled_dot_product_attention, *leaves, is_causal=causal)
    assert torch.isnan(out[0, 1, bad_row]).all()
    others = torch.ones(out.shape[:-1], dtype=torch.bool, device=device)
    others[0, 1, bad_row] = False
    assert torch.isfinite(out[others]).all()
    out.backward(randn(out.shape, dtype, device, gen))  # must not raise
    assert torch.isfinite(leaves[0].grad[others]).all()  # dq of the other rows stays finite


@backends
def test_nan_in_value_propagates_without_crash(backend, device, gen):
    q = randn((1, 2, 9, 16), torch.float16, device, gen)
    k = randn((1, 2, 11, 16), torch.float16, device, gen)
    v = randn((1, 2, 11, 16), torch.float16, device, gen)
    v[0, 0, 4, 2] = float("nan")
    out = forced(backend, flashsdpa.scaled_dot_product_attention, q, k, v)
    assert torch.isnan(out[0, 0, :, 2]).all()  # every query sees key 4
    assert torch.isfinite(out[0, 1]).all() and torch.isfinite(out[0, 0, :, :2]).all()
