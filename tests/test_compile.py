"""torch.compile traces flashsdpa without graph breaks (fullgraph=True), through the FLASH
kernels' torch.library ops and their fake implementations, and does not recompile when the
sequence length changes under dynamic=True. On CPU the kernels run under the interpreter, and
the graphs are compiled by inductor where a C++ compiler is installed (its CPU code around our
ops, which it calls as extern kernels, as on a GPU), else run by aot_eager (AOT autograd over
the fake implementations)."""
from __future__ import annotations

import os
import shutil
from contextlib import nullcontext

import pytest
import torch
import torch._dynamo

import flashsdpa
from flashsdpa import Backend
from flashsdpa.nn import CausalSelfAttention, GPTConfig

COMPILER = "inductor" if torch.cuda.is_available() or shutil.which(os.environ.get("CXX", "g++")) else "aot_eager"


@pytest.fixture(autouse=True)
def fresh_dynamo():
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()


def attention(q, k, v, mask):
    with flashsdpa.sdpa_kernel(Backend.FLASH):
        return flashsdpa.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=True)


def test_fullgraph_matches_eager_with_mask_gradient(device, gen):
    q, k, v = (torch.randn(2, 4, 33, 16, device=device, generator=gen) for _ in range(3))
    mask = torch.randn(33, 33, device=device, generator=gen)
    compiled = torch.compile(attention, fullgraph=True, backend=COMPILER)
    results = []
    for fn in (attention, compiled):
        leaves = [t.clone().requires_grad_() for t in (q, k, v, mask)]
        out = fn(*leaves)
        out.backward(torch.ones_like(out))
        results.append([out] + [t.grad for t in leaves])
    for name, a, b in zip(("out", "dq", "dk", "dv", "dmask"), *results):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5, msg=name)


def test_dynamic_sequence_length_does_not_recompile(device, gen, monkeypatch):
    monkeypatch.setattr(torch._dynamo.config, "error_on_recompile", True)
    compiled = torch.compile(attention, fullgraph=True, backend=COMPILER, dynamic=True)
    for s in (33, 40, 57):
        q = torch.randn(2, 4, s, 16, device=device, generator=gen, requires_grad=True)
        mask = torch.randn(s, s, device=device, generator=gen, requires_grad=True)
        out = compiled(q, q, q, mask)
        out.sum().backward()
        assert out.shape == (2, 4, s, 16) and q.grad.shape == q.shape and mask.grad.shape == mask.shape


def test_nanogpt_attention_compiles_with_dropout(device, gen):
    module = CausalSelfAttention(GPTConfig(n_embd=32, n_head=2, dropout=0.1)).to(device)
    compiled = torch.compile(module, fullgraph=True, backend=COMPILER)
    x = torch.randn(2, 21, 32, device=device, generator=gen)
    # inductor draws random numbers (our dropout seed) with its own generator unless told to
    # fall back to eager's, which this comparison needs
    fallback = nullcontext()
    if COMPILER == "inductor":
        from torch._inductor import config as inductor_config
        fallback = inductor_config.patch(fallback_random=True)
    with flashsdpa.sdpa_kernel(Backend.FLASH), fallback:
        torch.manual_seed(3)
        a = compiled(x)
        torch.manual_seed(3)
        b = module(x)  # eager, same seed: the same dropout mask in the kernel
    torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
    a.sum().backward()


@pytest.mark.parametrize("backend", [Backend.MATH, Backend.FLASH])
def test_dropout_backward_uses_the_forwards_mask_when_compiled(device, gen, backend):
    """Dropout under torch.compile(fullgraph=True), on the reference path (which cannot make a
    Generator inside a graph, so it keeps its masks) and the kernels (which regenerate theirs
    from the seed): with V = I the output is the dropped, rescaled probability matrix A itself,
    so dV = A^T dO holds only if the backward dropped the same entries as the forward."""
    seq = 24
    q, k = (torch.randn(2, 3, seq, seq, device=device, generator=gen) for _ in range(2))
    v = torch.eye(seq, device=device).expand(2, 3, seq, seq).clone().requires_grad_()
    dout = torch.randn(2, 3, seq, seq, device=device, generator=gen)

    def attend(q, k, v):
        with flashsdpa.sdpa_kernel(backend):
            return flashsdpa.scaled_dot_product_attention(q, k, v, dropout_p=0.3)
    out = torch.compile(attend, fullgraph=True, backend=COMPILER)(q, k, v)
    out.backward(dout)
    dropped = (out == 0).float().mean().item()
    assert 0.15 < dropped < 0.45, f"{dropped:.2f} of the probabilities dropped, for dropout_p = 0.3"
    torch.testing.assert_close(v.grad, out.detach().transpose(-1, -2) @ dout, rtol=1e-4, atol=1e-4)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA graphs need a GPU")
def test_dropout_masks_change_between_cuda_graph_replays(gen):
    """torch.compile(mode="reduce-overhead") replays CUDA graphs, and a replay repeats whatever
    the graph captured: our dropout seed is drawn on the GPU inside the graph and read by the
    kernels from memory, so each replay must still drop different entries (a seed passed as an
    int would be frozen into the graph; a CPU-drawn seed broke the graph's capture), and each
    call's backward the same entries as its forward (with V = I the output is the dropped
    probability matrix: dV = out^T dO)."""
    seq = 32
    q, k, dout = (torch.randn(2, 3, seq, seq, device="cuda", generator=gen) for _ in range(3))
    v = torch.eye(seq, device="cuda").expand(2, 3, seq, seq).contiguous()

    def attend(q, k, v):
        with flashsdpa.sdpa_kernel(Backend.FLASH):
            return flashsdpa.scaled_dot_product_attention(q, k, v, dropout_p=0.3)
    compiled = torch.compile(attend, mode="reduce-overhead", fullgraph=True)
    dropped = []
    for _ in range(4):
        leaf = v.clone().requires_grad_()
        out = compiled(q, k, leaf)
        out.backward(dout)
        torch.testing.assert_close(leaf.grad, out.detach().transpose(-1, -2) @ dout, rtol=1e-4, atol=1e-4)
        dropped.append((out.detach() == 0).clone())
    assert not all(torch.equal(dropped[0], d) for d in dropped[1:]), "every call dropped the same entries"


@pytest.mark.parametrize("with_mask", [False, True])
def test_ops_pass_torch_library_opcheck(device, gen, with_mask):
    """The ops' schemas and fake implementations, checked the way torch checks custom ops
    (torch.library.opcheck: schema, fake tensors and AOT dispatch with dynamic shapes, each
    against a real call). The ops have no autograd formula (a traced graph differentiates
    through flash._CompiledFlashAttention, the tests above), so their inputs need no grad."""
    q, k, v = (torch.randn(1, 2, 24, 16, device=device, generator=gen) for _ in range(3))
    mask = None   # the ops take a mask broadcast to (B, H, S_q, S_k), stride 0 on broadcast dims
    if with_mask:
        mask = torch.randn(1, 1, 24, 24, device=device, generator=gen).expand(1, 2, 24, 24)
    seed = torch.tensor(0, dtype=torch.int64)
    options = (0.25, True, 0, -1, -1, 0.0, 0.0)
    torch.library.opcheck(torch.ops.flashsdpa.flash_forward.default, (q, k, v, mask, None, *options, seed))
    out, lse = torch.ops.flashsdpa.flash_forward.default(q, k, v, mask, None, *options, seed)
    args = (torch.randn_like(out), q, k, v, out, lse, mask, None, *options, seed, with_mask)
    torch.library.opcheck(torch.ops.flashsdpa.flash_backward.default, args)


def test_ops_have_no_python_autograd_kernel():
    """An autograd kernel registered on the ops runs in Python on every call of a compiled graph
    (~40 µs a call on an H200 host): compiled graphs get the backward from the traced
    autograd.Function instead."""
    for name in ("flashsdpa::flash_forward", "flashsdpa::flash_backward"):
        assert not torch._C._dispatch_has_kernel_for_dispatch_key(name, "Autograd")
        assert torch._C._dispatch_has_kernel_for_dispatch_key(name, "CompositeExplicitAutograd")
