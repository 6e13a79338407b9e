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
    through flash_ops._CompiledFlashAttention, the tests above), so their inputs need no grad."""
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


# Compiled graphs launch the portable Triton kernels themselves where they can (flash's triton
# ops, which inductor traces into its own kernel calls), else the opaque ops.

def _hopper_gpu(monkeypatch):
    """The Hopper rules as on an sm_90 GPU, for tensors on this machine's device."""
    from flashsdpa.backends import flash_ops, hopper
    on_gpu = hopper.gluon_kernels
    monkeypatch.setattr(hopper, "interpreter_active", lambda: False)
    monkeypatch.setattr(hopper, "capability_of", lambda device: (9, 0))
    monkeypatch.setattr(hopper, "gluon_kernels", lambda device: on_gpu(torch.device("cuda", 0)))
    monkeypatch.setattr(flash_ops, "_INLINE_DEVICES", ("cuda", "cpu"))


@pytest.mark.parametrize("seq, head_dim, causal, dropout_p, forward, backward", [
    (256, 64, True, 0.1, True, True),       # the nanoGPT example's call: below the Gluon kernels' lengths
    (1024, 128, True, 0.0, False, False),   # the Gluon forward's and backward's
    (4096, 64, False, 0.0, False, False),   # the Gluon forward's, and backward's (fused dQ at D = 64)
    (4096, 128, True, 0.1, True, False),    # dropout: a Triton forward, the Gluon backward
    (300, 40, False, 0.0, True, True),      # a head dim no Gluon kernel takes
])
def test_compiled_calls_take_the_portable_kernels_where_gluon_would_not(monkeypatch, seq, head_dim, causal,
                                                                        dropout_p, forward, backward):
    from flashsdpa.backends import flash, flash_ops
    _hopper_gpu(monkeypatch)
    opts = flash.ScoreOptions(head_dim ** -0.5, causal, dropout_p=dropout_p)
    # (B, H) = (8, 16) as stride-0 views: the Gluon backward takes B * H * S^2 >= 2^26 scores
    q, k, v = (torch.empty(1, 1, seq, head_dim, dtype=torch.bfloat16).expand(8, 16, seq, head_dim) for _ in range(3))
    assert flash_ops._portable_launches(q, k, v, opts, backward=False) is forward
    assert flash_ops._portable_launches(q, k, v, opts, backward=True) is backward


def test_triton_ops_only_without_mask_or_alibi_and_on_cuda(monkeypatch):
    from flashsdpa.backends import flash_ops
    q = torch.empty(1, 2, 256, 64)
    assert not flash_ops._inlinable(q, None, None)   # CPU tensors: inductor would not launch them
    monkeypatch.setattr(flash_ops, "_INLINE_DEVICES", ("cuda", "cpu"))
    assert flash_ops._inlinable(q, None, None)
    assert not flash_ops._inlinable(q, torch.zeros(256, 256, dtype=torch.bool), None)
    assert not flash_ops._inlinable(q, None, torch.ones(1, 2))
    monkeypatch.setattr(flash_ops, "INLINE", False)
    assert not flash_ops._inlinable(q, None, None)


def test_symbolic_lengths_take_the_opaque_ops_without_recompiling(monkeypatch, device, gen):
    """Under dynamic=True the triton ops' bodies see symbolic sizes and call the opaque ops (tile
    choices would guard on the length): one graph for every length, and eager's results. On CPU
    with the triton ops forced on (a GPU takes them by default): the same route."""
    from flashsdpa.backends import flash_ops
    monkeypatch.setattr(flash_ops, "_INLINE_DEVICES", ("cuda", "cpu"))
    monkeypatch.setattr(torch._dynamo.config, "error_on_recompile", True)

    def attend(q, k, v):
        with flashsdpa.sdpa_kernel(Backend.FLASH):
            return flashsdpa.scaled_dot_product_attention(q, k, v, is_causal=True)
    compiled = torch.compile(attend, fullgraph=True, backend=COMPILER, dynamic=True)
    for s in (33, 40, 57):
        q, k, v = (torch.randn(2, 3, s, 16, device=device, generator=gen) for _ in range(3))
        results = []
        for fn in (attend, compiled):
            leaves = [t.clone().requires_grad_() for t in (q, k, v)]
            out = fn(*leaves)
            out.backward(torch.ones_like(out))
            results.append([out] + [t.grad for t in leaves])
        for name, a, b in zip(("out", "dq", "dk", "dv"), *results):
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5, msg=name)


def test_triton_ops_mark_matches_dynamos():
    """flash_ops marks its op-defining function as torch.compiler.assume_constant_result does, without
    importing dynamo at import time; the mark must stay the one dynamo reads."""
    from flashsdpa.backends import flash_ops

    def f():
        return True
    marked = torch._dynamo.assume_constant_result(f)
    assert [name for name in vars(marked) if "dynamo" in name] == ["_dynamo_marked_constant"]
    assert flash_ops._triton_ops_defined._dynamo_marked_constant is True
    assert flash_ops._triton_ops_defined() and hasattr(torch.ops.flashsdpa, "triton_backward")


@pytest.mark.gpu
@pytest.mark.parametrize("dropout_p", [0.0, 0.1])
@pytest.mark.parametrize("layout", ["bhsd", "bshd"])
def test_compiled_graph_launches_our_triton_kernels(gen, dropout_p, layout):
    """A compiled nanoGPT-style call (D = 64, S = 256, causal) runs our Triton kernels from
    inductor's own code, not through the opaque op (no Python of ours a call), with no copy of
    its inputs or outputs (inductor's analysis of what the kernels write succeeded, and the
    partition saves none of the forward's buffers for the backward's: with q in (B, S, H, D)
    memory, out and dq were once one saved buffer, copied), and computes what the eager call
    does: the same kernels and tiles, so the same bits without dropout; with dropout the backward
    keeps the forward's mask (dV = A^T dO with V = I, as above)."""
    from torch._inductor.utils import run_and_get_code
    seq, heads = 256, 6
    q, k = (torch.randn(4, heads, seq, 64, device="cuda", dtype=torch.bfloat16, generator=gen) for _ in range(2))
    v = (torch.eye(seq, 64, device="cuda", dtype=torch.bfloat16).expand(4, heads, seq, 64).contiguous()
         if dropout_p else torch.randn(4, heads, seq, 64, device="cuda", dtype=torch.bfloat16, generator=gen))
    dout = torch.randn(4, heads, seq, 64, device="cuda", dtype=torch.bfloat16, generator=gen)

    def attend(q, k, v):
        with flashsdpa.sdpa_kernel(Backend.FLASH):
            return flashsdpa.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p, is_causal=True)

    def as_layout(t):   # (B, S, H, D) memory: a projection's heads, as a model's q, k, v come
        return t.transpose(1, 2).contiguous().transpose(1, 2) if layout == "bshd" else t

    def step(fn):
        leaves = [as_layout(t).clone().requires_grad_() for t in (q, k, v)]
        out = fn(*leaves)
        out.backward(dout)
        return [out] + [t.grad for t in leaves]
    compiled = torch.compile(attend, fullgraph=True)
    got, codes = run_and_get_code(step, compiled)
    code = "\n".join(codes)
    for kernel in ("attention_forward_kernel", "attention_backward_dq_kernel", "attention_backward_dkdv_kernel"):
        assert kernel in code, f"{kernel} is not launched by the compiled graph"
    assert "flashsdpa.flash_forward" not in code and "flashsdpa.flash_backward" not in code
    assert "clone" not in code, "inductor copied buffers of our kernels (inputs, or out and dq made one)"
    if dropout_p:
        out, dv = got[0].float(), got[3].float()
        # V = the first 64 columns of I: out = A[:, :64], so dV's first 64 rows = A[:, :64]^T dO = out^T dO
        torch.testing.assert_close(dv[..., :64, :], out.transpose(-1, -2) @ dout.float(), rtol=2e-2, atol=2e-2)
    else:
        for name, a, b in zip(("out", "dq", "dk", "dv"), got, step(attend)):
            assert torch.equal(a, b), name


def test_packed_module_does_not_recompile_when_eager_calls_learn_their_lean_path(monkeypatch, device, gen):
    """Eager packed calls remember their lean runners (functional._LEAN); traced code must not
    read that cache, or each eager call that adds to it would make dynamo recompile the graph."""
    monkeypatch.setattr(torch._dynamo.config, "error_on_recompile", True)
    module = CausalSelfAttention(GPTConfig(n_embd=32, n_head=2, dropout=0.0)).to(device)
    compiled = torch.compile(module, fullgraph=True, backend=COMPILER)
    x = torch.randn(2, 21, 32, device=device, generator=gen)
    with flashsdpa.sdpa_kernel(Backend.FLASH):
        for _ in range(2):
            compiled(x).sum().backward()
            module(x).sum().backward()   # eager: adds to the cache
            with torch.no_grad():
                module(x)
