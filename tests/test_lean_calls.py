"""Repeated plain calls through backends/lean_calls.py: the same kernels with the same arguments
as the generic path, found by the tensors' strides once a first call made the plans."""
from __future__ import annotations

import pytest
import torch

import flashsdpa
from flashsdpa import Backend, functional
from flashsdpa.backends import flash, lean_calls
from helpers import randn


@pytest.fixture
def lean_calls_counted(monkeypatch):
    """The LeanFlashAttention calls and lean inference calls, counted; prepared calls and plans
    of this test's own."""
    monkeypatch.setattr(functional, "_PREPARED", {})
    monkeypatch.setattr(flash, "_PLANS", {})
    counted = []
    apply = lean_calls.LeanFlashAttention.apply
    monkeypatch.setattr(lean_calls.LeanFlashAttention, "apply", lambda *a: counted.append("apply") or apply(*a))
    launch = lean_calls._launch_forward
    monkeypatch.setattr(lean_calls, "_launch_forward", lambda *a: counted.append("forward") or launch(*a))
    backward = lean_calls._launch_backward
    monkeypatch.setattr(lean_calls, "_launch_backward", lambda *a: counted.append("backward") or backward(*a))
    return counted


def projections(gen, device, batch=2, seq=37, heads=3, dim=16, dtype=torch.float16):
    """x (B, S, 3 H D) requiring grad and a step that makes nanoGPT's q, k, v from it ((B, S, H, D)
    memory seen as (B, H, S, D), views of one tensor)."""
    x = randn((batch, seq, 3 * heads * dim), dtype, device, gen).requires_grad_()

    def qkv():
        return [t.view(batch, seq, heads, dim).transpose(1, 2) for t in x.split(heads * dim, dim=2)]
    return x, qkv


@pytest.mark.parametrize("dropout_p", [0.0, 0.2])
@pytest.mark.parametrize("dout_layout", ["bshd", "bhsd"])
def test_repeated_calls_take_the_lean_path_and_compute_the_same(lean_calls_counted, dropout_p, dout_layout, device,
                                                                  gen):
    """The first call runs the generic path (which makes the plans), the next ones the lean path,
    bit for bit the same output and gradient under the same seed; a gradient laid out otherwise
    than out takes the generic backward once, then its plan too."""
    x, qkv = projections(gen, device)
    dout = randn((2, 37, 3, 16), torch.float16, device, gen).transpose(1, 2)   # as out: (B, S, H, D) memory
    if dout_layout == "bhsd":
        dout = dout.contiguous()

    def step():
        torch.manual_seed(5)
        with flashsdpa.sdpa_kernel(Backend.FLASH):
            out = flashsdpa.scaled_dot_product_attention(*qkv(), dropout_p=dropout_p, is_causal=True)
        x.grad = None
        out.backward(dout)
        return out.detach(), x.grad
    want = step()
    assert lean_calls_counted == []
    got = step()
    assert lean_calls_counted == ["apply", "forward"] + (["backward"] if dout_layout == "bshd" else [])
    again = step()
    assert lean_calls_counted[-1] == "backward"   # the gradient's plan is known now, whatever its layout
    for result in (got, again):
        assert torch.equal(result[0], want[0]) and torch.equal(result[1], want[1])
    assert torch.isfinite(want[1]).all() and want[1].abs().sum() > 0


def test_inference_calls_take_the_lean_path_without_autograd(lean_calls_counted, device, gen):
    """Without grad (decoding), a repeated call launches its forward plan straight, no autograd
    node, the same output as the first call's."""
    q = randn((1, 4, 1, 32), torch.float16, device, gen)
    k, v = (randn((1, 4, 29, 32), torch.float16, device, gen) for _ in range(2))
    with torch.no_grad(), flashsdpa.sdpa_kernel(Backend.FLASH):
        want = flashsdpa.scaled_dot_product_attention(q, k, v)
        got = flashsdpa.scaled_dot_product_attention(q, k, v)
    assert lean_calls_counted == ["forward"]
    assert torch.equal(got, want) and got.grad_fn is None


def test_other_strides_make_their_own_plans(lean_calls_counted, device, gen):
    """A call with the same signature but other strides (contiguous q, k, v instead of views of
    projections) is not served another layout's plans: it runs the generic path first."""
    x, qkv = projections(gen, device)
    contiguous = [t.detach().contiguous().requires_grad_() for t in qkv()]
    with flashsdpa.sdpa_kernel(Backend.FLASH):
        flashsdpa.scaled_dot_product_attention(*qkv(), is_causal=True).sum().backward()
        flashsdpa.scaled_dot_product_attention(*qkv(), is_causal=True).sum().backward()
        assert "apply" in lean_calls_counted
        lean_calls_counted.clear()
        out = flashsdpa.scaled_dot_product_attention(*contiguous, is_causal=True)
    assert lean_calls_counted == []
    views_out = flashsdpa.scaled_dot_product_attention(*[t.detach() for t in qkv()], is_causal=True)
    assert torch.equal(out.detach(), views_out)
