"""flash-attn 2.x compatible functions: (B, S, H, D) layout, bottom-right causal, lse, packed forms."""
from __future__ import annotations

import gc
import weakref

import pytest
import torch

import flashsdpa
from flashsdpa import Backend
from helpers import (
    BOTH_BACKENDS,
    check_accuracy,
    output_transposed,
    randn,
    ref_sdpa,
    reference_attention,
    torch_sdpa,
    with_views,
)

backends = pytest.mark.parametrize("backend", BOTH_BACKENDS, ids=lambda b: b.name)
dtypes = pytest.mark.parametrize("dtype", [torch.float16, torch.float32], ids=lambda d: str(d).replace("torch.", ""))


def forced(backend, fn, *args, **kwargs):
    with flashsdpa.sdpa_kernel(backend):
        return fn(*args, **kwargs)


def bhsd(*ts):
    return tuple(t.transpose(1, 2) for t in ts)


@backends
@dtypes
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("s_q,s_k,h_q,h_kv", [(17, 47, 4, 2), (47, 17, 4, 1), (33, 33, 3, 3), (1, 40, 2, 2)])
def test_flash_attn_func_accuracy(backend, dtype, causal, s_q, s_k, h_q, h_kv, device, gen):
    """Output (B, S_q, H, D_v), bottom-right causal, GQA, against the float64 reference."""
    tensors = [randn(s, dtype, device, gen) for s in ((2, s_q, h_q, 40), (2, s_k, h_kv, 40), (2, s_k, h_kv, 24))]
    align = "bottom_right" if causal else None

    def ours(q, k, v):
        return forced(backend, flashsdpa.flash_attn_func, q, k, v, causal=causal)

    theirs = output_transposed(with_views(torch_sdpa(align, enable_gqa=True), bhsd))
    ref = output_transposed(with_views(ref_sdpa(align, enable_gqa=True), bhsd))
    out, *_ = check_accuracy(ours, theirs, ref, tensors, dtype, gen, context=f"{backend.name} flash_attn_func")
    assert out.shape == (2, s_q, h_q, 24)


@backends
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("s_q,s_k", [(17, 47), (47, 17), (33, 33)])
def test_return_lse(backend, causal, s_q, s_k, device, gen):
    q = randn((2, s_q, 4, 32), torch.float16, device, gen)
    k = randn((2, s_k, 2, 32), torch.float16, device, gen)
    v = randn((2, s_k, 2, 16), torch.float16, device, gen)
    out, lse = forced(backend, flashsdpa.flash_attn_func, q, k, v, softmax_scale=0.2, causal=causal, return_lse=True)
    plain = forced(backend, flashsdpa.flash_attn_func, q, k, v, softmax_scale=0.2, causal=causal)
    assert torch.equal(out, plain)
    assert lse.shape == (2, 4, s_q) and lse.dtype == torch.float32
    scores = torch.matmul(q.double().transpose(1, 2), k.double().transpose(1, 2).repeat_interleave(2, 1).transpose(-1, -2))
    scores = scores * 0.2
    if causal:
        i = torch.arange(s_q, device=device)[:, None]
        j = torch.arange(s_k, device=device)[None, :]
        scores = scores.masked_fill(j > i + s_k - s_q, float("-inf"))
    ref = torch.logsumexp(scores, dim=-1)
    torch.testing.assert_close(lse.double(), ref, rtol=0, atol=1e-5)  # fp32 sums of fp16 products
    # return_attn_probs (flash-attn's flag) returns the same pair
    out2, lse2 = forced(backend, flashsdpa.flash_attn_func, q, k, v, softmax_scale=0.2, causal=causal,
                        return_attn_probs=True)
    assert torch.equal(out2, out) and torch.equal(lse2, lse)


@backends
def test_lse_rows_without_keys_are_minus_inf(backend, device, gen):
    q = randn((1, 20, 2, 16), torch.float32, device, gen)
    k = randn((1, 6, 2, 16), torch.float32, device, gen)
    out, lse = forced(backend, flashsdpa.flash_attn_func, q, k, k, causal=True, return_lse=True)
    assert (lse[:, :, :14] == float("-inf")).all() and torch.isfinite(lse[:, :, 14:]).all()
    assert (out[:, :14] == 0).all()


@backends
@pytest.mark.parametrize("causal", [False, True])
def test_packed_variants_equal_unpacked(backend, causal, device, gen):
    qkv = randn((2, 33, 3, 4, 24), torch.float16, device, gen)
    dout = randn((2, 33, 4, 24), torch.float16, device, gen)

    def grads(fn, *tensors):
        leaves = [t.clone().requires_grad_() for t in tensors]
        out, lse = forced(backend, fn, *leaves, causal=causal, return_lse=True)
        out.backward(dout)
        return [out, lse, *(leaf.grad for leaf in leaves)]

    packed = grads(flashsdpa.flash_attn_qkvpacked_func, qkv)
    unpacked = grads(flashsdpa.flash_attn_func, qkv[:, :, 0], qkv[:, :, 1], qkv[:, :, 2])
    for a, b in zip(packed[:2], unpacked[:2]):
        assert torch.equal(a, b)
    assert torch.equal(packed[2], torch.stack(unpacked[2:], dim=2))

    q, kv = qkv[:, :, 0], qkv[:, :, 1:]  # kv (B, S, 2, H, D)
    kvpacked = grads(flashsdpa.flash_attn_kvpacked_func, q, kv)
    for a, b in zip(kvpacked[:3], unpacked[:3]):
        assert torch.equal(a, b)
    assert torch.equal(kvpacked[3], torch.stack(unpacked[3:], dim=2))


@backends
def test_kvpacked_with_gqa_and_other_length(backend, device, gen):
    """Output and gradients (kv's written whole on FLASH) equal flash_attn_func's on the views."""
    q = randn((2, 17, 4, 32), torch.float16, device, gen).requires_grad_()
    kv = randn((2, 29, 2, 2, 32), torch.float16, device, gen).requires_grad_()
    dout = randn((2, 17, 4, 32), torch.float16, device, gen)
    a = forced(backend, flashsdpa.flash_attn_kvpacked_func, q, kv, causal=True)
    grads_a = torch.autograd.grad(a, (q, kv), dout)
    b = forced(backend, flashsdpa.flash_attn_func, q, kv[:, :, 0], kv[:, :, 1], causal=True)
    grads_b = torch.autograd.grad(b, (q, kv), dout)
    assert torch.equal(a, b) and a.shape == (2, 17, 4, 32)
    for got, want in zip(grads_a, grads_b):
        assert torch.isfinite(got).all() and torch.equal(got, want)


@backends
def test_softmax_scale_and_deterministic(backend, device, gen):
    q, k, v = (randn((1, 19, 2, 16), torch.float32, device, gen) for _ in range(3))
    out = forced(backend, flashsdpa.flash_attn_func, q, k, v, softmax_scale=0.7, deterministic=True)
    ref, _ = reference_attention(*bhsd(q, k, v), scale=0.7)
    torch.testing.assert_close(out.double(), ref.transpose(1, 2), rtol=1e-5, atol=1e-5)
    again = forced(backend, flashsdpa.flash_attn_func, q, k, v, softmax_scale=0.7)
    assert torch.equal(out, again)


def test_backward_is_deterministic(device, gen):
    """FLASH's backward uses no atomics: two runs give bit-identical gradients."""
    q = randn((2, 40, 4, 24), torch.float16, device, gen)
    k = randn((2, 33, 2, 24), torch.float16, device, gen)
    dout = randn((2, 40, 4, 24), torch.float16, device, gen)
    results = []
    for _ in range(2):
        leaves = [t.clone().requires_grad_() for t in (q, k, k)]
        forced(Backend.FLASH, flashsdpa.flash_attn_func, *leaves, causal=True).backward(dout)
        results.append([leaf.grad for leaf in leaves])
    for a, b in zip(*results):
        assert torch.equal(a, b)


@pytest.mark.parametrize("backend", [Backend.FLASH, Backend.MATH], ids=lambda b: b.name)
def test_dropout_is_reproducible_under_manual_seed(backend, device, gen):
    """flash_attn_func with dropout_p > 0 runs on either backend; torch.manual_seed fixes it."""
    q, k, v = (randn((1, 19, 2, 16), torch.float32, device, gen) for _ in range(3))
    with flashsdpa.sdpa_kernel(backend):
        torch.manual_seed(3)
        a = flashsdpa.flash_attn_func(q, k, v, dropout_p=0.5)
        torch.manual_seed(3)
        b = flashsdpa.flash_attn_func(q, k, v, dropout_p=0.5)
        c = flashsdpa.flash_attn_func(q, k, v, dropout_p=0.5)
    assert torch.equal(a, b) and a.shape == q.shape
    assert not torch.equal(a, c)


def _graph_names(tensor):
    names, stack = set(), [tensor.grad_fn]
    while stack:
        node = stack.pop()
        if node is not None:
            names.add(type(node).__name__)
            stack.extend(next_node for next_node, _ in node.next_functions)
    return names


@pytest.mark.parametrize("form", ["qkvpacked", "kvpacked"])
def test_packed_on_flash_is_one_autograd_node_over_the_packed_tensors(form, device, gen):
    """The packed call's gradient comes from one node that takes qkv (or q and kv) whole: no
    select or split nodes (each of which would allocate a zero gradient of all of qkv or kv)."""
    if form == "qkvpacked":
        tensors = [randn((2, 33, 3, 4, 24), torch.float16, device, gen).requires_grad_()]
        fn = flashsdpa.flash_attn_qkvpacked_func
    else:
        tensors = [randn((2, 33, 4, 24), torch.float16, device, gen).requires_grad_(),
                   randn((2, 29, 2, 2, 24), torch.float16, device, gen).requires_grad_()]
        fn = flashsdpa.flash_attn_kvpacked_func
    out = forced(Backend.FLASH, fn, *tensors, causal=True)
    names = _graph_names(out)
    assert any("PackedFlashAttention" in name for name in names), names
    assert not any("Select" in name or "Split" in name for name in names), names
    # the node gives out in flash-attn's (B, S, H, D) order itself: no transpose node after it
    assert "PackedFlashAttention" in type(out.grad_fn).__name__, type(out.grad_fn).__name__


@backends
def test_packed_with_alibi_and_without_grad_equal_unpacked(backend, device, gen):
    """The packed call's other routes (ALiBi slopes: not the packed node; no grad: no node at
    all) return flash-attn's (B, S, H, D) order too, equal to the unpacked call's."""
    qkv = randn((2, 21, 3, 4, 16), torch.float32, device, gen)
    slopes = torch.rand(4, device=device, generator=gen)
    dout = randn((2, 21, 4, 16), torch.float32, device, gen)
    for kwargs in (dict(alibi_slopes=slopes), {}):
        with torch.no_grad():
            a = forced(backend, flashsdpa.flash_attn_qkvpacked_func, qkv, causal=True, **kwargs)
            b = forced(backend, flashsdpa.flash_attn_func, qkv[:, :, 0], qkv[:, :, 1], qkv[:, :, 2], causal=True,
                       **kwargs)
        assert a.shape == (2, 21, 4, 16) and torch.equal(a, b), kwargs
    leaf = qkv.clone().requires_grad_()
    a = forced(backend, flashsdpa.flash_attn_qkvpacked_func, leaf, causal=True, alibi_slopes=slopes)
    a.backward(dout)
    views = [t.clone().requires_grad_() for t in qkv.unbind(2)]
    b = forced(backend, flashsdpa.flash_attn_func, *views, causal=True, alibi_slopes=slopes)
    b.backward(dout)
    assert torch.equal(a, b) and torch.equal(leaf.grad, torch.stack([t.grad for t in views], dim=2))


@pytest.mark.parametrize("form", ["qkvpacked", "kvpacked"])
def test_packed_calls_reuse_their_plans_and_still_match(form, device, gen, monkeypatch):
    """Repeated packed calls of one layout take the plans the first call made without deriving
    their keys again (packed_calls.PACKED_PLANS): the generic forward and backward are not called, and
    output and gradients still equal the unpacked call's; a packed tensor of another layout (a
    slice of a bigger one: other strides) gets plans of its own."""
    from flashsdpa.backends import flash, packed_calls
    monkeypatch.setattr(packed_calls, "PACKED_PLANS", {})   # no plans of an earlier test's calls
    generic = flash._forward, flash.flash_backward
    fn = flashsdpa.flash_attn_qkvpacked_func if form == "qkvpacked" else flashsdpa.flash_attn_kvpacked_func

    def refuse(*args, **kwargs):
        raise AssertionError("a repeated packed call derived its plans again")

    def check(width, reuse):
        """A packed call on slices [..., :16] of width-wide tensors (reuse: with the generic
        forward and backward refused) against the unpacked call on the same views."""
        if form == "qkvpacked":
            tensors = [randn((2, 29, 3, 2, width), torch.float32, device, gen)[..., :16]]
            views = list(tensors[0].unbind(2))
        else:
            tensors = [randn((2, 29, 2, width), torch.float32, device, gen)[..., :16],
                       randn((2, 29, 2, 2, width), torch.float32, device, gen)[..., :16]]
            views = [tensors[0], *tensors[1].unbind(2)]
        views = [t.detach().requires_grad_() for t in views]
        want = forced(Backend.FLASH, flashsdpa.flash_attn_func, *views, causal=True)
        dout = randn(want.shape, torch.float32, device, gen)
        want.backward(dout)
        leaves = [t.detach().requires_grad_() for t in tensors]   # the slices' strides, as given
        if reuse:
            monkeypatch.setattr(flash, "_forward", refuse)
            monkeypatch.setattr(flash, "flash_backward", refuse)
        try:
            out = forced(Backend.FLASH, fn, *leaves, causal=True)
            out.backward(dout)
        finally:
            monkeypatch.setattr(flash, "_forward", generic[0])
            monkeypatch.setattr(flash, "flash_backward", generic[1])
        assert torch.equal(out, want)
        grads = [t.grad for t in views]
        if form == "qkvpacked":
            assert torch.equal(leaves[0].grad, torch.stack(grads, dim=2))
        else:
            assert torch.equal(leaves[0].grad, grads[0]) and torch.equal(leaves[1].grad, torch.stack(grads[1:], dim=2))

    check(16, reuse=False)   # the first call of this layout: plans made, then kept
    check(16, reuse=True)
    with pytest.raises(AssertionError, match="derived its plans again"):
        check(24, reuse=True)   # another layout: no plans of its own yet
    check(24, reuse=False)
    check(24, reuse=True)


def test_packed_call_frees_its_inputs_after_backward(device, gen):
    """A model's output keeps the autograd graph (and so our node) alive until the step ends; the
    packed node must not keep qkv alive past its backward (a model's every layer would then hold
    its qkv through the whole backward). With retain_graph a second backward still works and
    gives the same gradients."""
    leaf = randn((2, 33, 3, 4, 24), torch.float32, device, gen).requires_grad_()
    dout = randn((2, 33, 4, 24), torch.float32, device, gen)
    qkv = leaf * 1.0   # the projection's output: only our node refers to it after this function
    out = forced(Backend.FLASH, flashsdpa.flash_attn_qkvpacked_func, qkv, causal=True)
    alive = weakref.ref(qkv)
    del qkv
    out.backward(dout, retain_graph=True)
    first = leaf.grad.clone()
    leaf.grad = None
    out.backward(dout)
    assert torch.equal(leaf.grad, first)
    gc.collect()
    assert alive() is None, "the packed node still holds qkv after its backward"


def test_packed_inputs_changed_in_place_before_backward_raise(device, gen):
    """The packed call's backward reads q, k and v through views it kept from the forward; an
    in-place change of the packed tensor in between must still be refused (autograd's version
    check on the saved tensors), not give gradients of other values."""
    leaf = randn((2, 33, 3, 4, 24), torch.float32, device, gen).requires_grad_()
    qkv = leaf * 1.0   # not a leaf, so it may be changed in place
    out = forced(Backend.FLASH, flashsdpa.flash_attn_qkvpacked_func, qkv, causal=True)
    with torch.no_grad():
        qkv.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_backward_into_given_gradients_keeps_their_layout_apart(device, gen):
    """flash_backward(grads=...) writes into the caller's tensors; a launch plan bound to their
    strides must not serve a call whose gradients have other strides, nor the reverse."""
    from flashsdpa.backends import flash
    from flashsdpa.inputs import unpack_qkv
    q, k, v = (randn((1, 2, 20, 16), torch.float32, device, gen) for _ in range(3))
    dout = randn((1, 2, 20, 16), torch.float32, device, gen)
    out, lse = flash.flash_forward(q, k, v, 0.25, True, 0)
    expected = flash.flash_backward(dout, q, k, v, out, lse, 0.25, True, 0)[:3]
    packed = torch.full((1, 20, 3, 2, 16), float("nan"), device=device)
    flash.flash_backward(dout, q, k, v, out, lse, 0.25, True, 0, grads=unpack_qkv(packed))
    for got, want in zip(unpack_qkv(packed), expected):
        assert torch.equal(got, want)
    again = flash.flash_backward(dout, q, k, v, out, lse, 0.25, True, 0)[:3]
    for got, want in zip(again, expected):
        assert torch.equal(got, want)


def _recorded_launches(monkeypatch):
    """Every bound launch's per-call values, as the kernels would get them (tensors as addresses),
    with the launches themselves stubbed (addresses are all there is to compare on a CPU)."""
    from flashsdpa.kernels import launch
    calls = []
    monkeypatch.setattr(launch.BoundLaunch, "__call__", lambda self, *values: calls.append(
        [v.data_ptr() if isinstance(v, torch.Tensor) else v for v in values[:len(self.per_call)]]))
    return calls


def _as_roles(calls, known: dict):
    """The launches' values with each address spelled as (tensor, byte offset) for the tensors in
    `known` (name: tensor), and as the order of first appearance for the others (fresh buffers)."""
    fresh, spelled = {}, []
    for values in calls:
        row = []
        for v in values:
            owner = next(((name, v - t.data_ptr()) for name, t in known.items()
                          if isinstance(v, int) and 0 <= v - t.data_ptr() < t.numel() * t.element_size()), None)
            if owner is None and isinstance(v, int) and v > 2**16:   # an address of a buffer made inside the call
                owner = ("fresh", fresh.setdefault(v, len(fresh)))
            row.append(owner if owner is not None else v)
        spelled.append(row)
    return spelled


@pytest.mark.parametrize("dropout_p, dout_layout", [(0.0, "bshd"), (0.1, "bshd"), (0.0, "bhsd")])
def test_lean_packed_calls_pass_the_generic_paths_launch_arguments(monkeypatch, gen, dropout_p, dout_layout):
    """A repeated packed qkv call takes the lean path (packed_calls.LeanPackedAttention: addresses plus
    offsets instead of views, none of the layers between) and hands its kernels exactly the
    arguments the generic path hands them: the same parts of qkv, dout and the gradient at the
    same offsets, the same fresh buffers in the same places, the same plans. A gradient of
    another layout takes the generic backward. On a GPU the launches run (tests/test_gpu.py)."""
    from flashsdpa import functional
    from flashsdpa.backends import flash, packed_calls
    monkeypatch.setattr(packed_calls, "_LEAN_DEVICES", ("cuda", "cpu"))
    # plans of this test's own (it marks their launches compiled: no other test may get them)
    monkeypatch.setattr(flash, "_PLANS", {})
    monkeypatch.setattr(packed_calls, "PACKED_PLANS", {})
    monkeypatch.setattr(functional, "_LEAN", {})
    monkeypatch.setattr(functional, "_PREPARED", {})
    qkv = randn((2, 40, 3, 4, 16), torch.float16, "cpu", gen).requires_grad_()
    dout = randn((2, 40, 4, 16), torch.float16, "cpu", gen)   # (B, S, H, D), as a model's next layer makes it
    other = dout.transpose(1, 2).contiguous().transpose(1, 2)   # the same values in (B, H, S, D) memory
    calls = _recorded_launches(monkeypatch)
    lean_calls = []
    apply = packed_calls.LeanPackedAttention.apply
    monkeypatch.setattr(packed_calls.LeanPackedAttention, "apply", lambda *a: lean_calls.append(1) or apply(*a))

    def call(dout):
        """One forward + backward; its launches' values by role."""
        calls.clear()
        torch.manual_seed(0)
        out = forced(Backend.FLASH, flashsdpa.flash_attn_qkvpacked_func, qkv, dropout_p=dropout_p, causal=True)
        out.backward(dout)
        roles = _as_roles(calls, {"qkv": qkv, "dout": dout, "out": out, "dqkv": qkv.grad})
        qkv.grad = None
        return roles

    want = call(dout if dout_layout == "bshd" else other)   # generic (the first call makes the plans)
    call(dout)   # (plans for the usual gradient layout too: a lean plan needs them)
    for plan in flash._PLANS.values():   # launched before, as on a GPU (a lean plan needs compiled launches)
        for bound in (plan if isinstance(plan, tuple) else (plan,)):
            if hasattr(bound, "compiled"):
                bound.compiled = bound.compiled or object()
    lean_calls.clear()
    got = call(dout if dout_layout == "bshd" else other)   # lean (with the generic backward for `other`)
    assert len(lean_calls) == 1, "the repeated call did not take the lean path"
    assert [len(row) for row in want] == [9, 13, 12]   # forward, dQ, dK/dV
    assert got == want
