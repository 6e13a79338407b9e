"""The flash kernels as torch.compile sees them: torch.library ops and the autograd Function
that dynamo traces (backends/flash.py runs the same kernels eagerly).

Two kinds of ops. `flashsdpa::flash_forward` / `flash_backward` are opaque custom ops with fake
implementations: a compiled graph calls them, and they run flash_forward / flash_backward in
Python. `flashsdpa::triton_forward` / `triton_backward` are torch.library.triton_op: inductor
traces their bodies into launches of the portable Triton kernels from its own generated code,
so a compiled step runs none of our Python a call; their bodies hand a call to the opaque ops
where inductor should not choose (see _portable_launches).
"""
from __future__ import annotations

import os

import torch

from . import hopper
from .flash import (ScoreOptions, _backward_arguments, _forward_arguments, _forward_outputs, _gradient_outputs,
                    _launchers, _seed_arg, flash_backward, flash_forward)


# torch.library ops around the launches: torch.compile sees two opaque ops with fake (meta)
# implementations instead of tracing Triton launches, so models compile with fullgraph=True.
# The seed travels as a tensor on the call's device, which the kernels read: no .item() in a
# traced graph, and a new draw at every replay of a CUDA graph.
# The ops carry no autograd formula of their own: a traced graph gets its backward from
# _CompiledFlashAttention, which calls the backward op. An autograd kernel registered on the op
# (torch.library.register_autograd) runs in Python on every call of the compiled graph, grad
# mode or not: ~40 µs a call on an H200 host with torch 2.11, 12 calls a step of the example's
# GPT (benchmarks/op_overhead.py, v0.13 in benchmarks/NOTES.md).
_LIBRARY = torch.library.Library("flashsdpa", "DEF")


def _define_op(kernel):
    """flashsdpa::<name> with kernel's annotated signature as its schema and kernel as its
    implementation on every device. Dynamo stays out of the kernel (an eager call of the op
    from a compiled frame would otherwise trace our launch code), as custom_op's wrapper does;
    torch._dynamo is imported at the first call, not here: it imports Triton, whose interpreter
    switch (TRITON_INTERPRET) is read at that import and may still be set after ours."""
    name = kernel.__name__.strip("_")
    guarded = None

    def run(*args, **kwargs):
        nonlocal guarded
        if guarded is None:
            guarded = torch._dynamo.disable(kernel)
        return guarded(*args, **kwargs)
    _LIBRARY.define(name + torch.library.infer_schema(kernel, mutates_args=()))
    _LIBRARY.impl(name, run, "CompositeExplicitAutograd")
    return getattr(torch.ops.flashsdpa, name).default


def _opts(scale, is_causal, diag_off, window_left, window_right, softcap, dropout_p) -> ScoreOptions:
    return ScoreOptions(scale, is_causal, diag_off, (window_left, window_right), softcap, dropout_p)


def _flash_forward(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None,
                   slopes: torch.Tensor | None, scale: float, is_causal: bool, diag_off: int, window_left: int,
                   window_right: int, softcap: float, dropout_p: float,
                   seed: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    opts = _opts(scale, is_causal, diag_off, window_left, window_right, softcap, dropout_p)
    return flash_forward(q, k, v, scale, is_causal, diag_off, mask=mask, slopes=slopes, opts=opts, seed=seed)


_forward_op = _define_op(_flash_forward)


@torch.library.register_fake("flashsdpa::flash_forward")
def _(q, k, v, mask, slopes, scale, is_causal, diag_off, window_left, window_right, softcap, dropout_p, seed):
    return _forward_outputs(q, v)


def _flash_backward(dout: torch.Tensor, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, out: torch.Tensor,
                    lse: torch.Tensor, mask: torch.Tensor | None, slopes: torch.Tensor | None, scale: float,
                    is_causal: bool, diag_off: int, window_left: int, window_right: int, softcap: float,
                    dropout_p: float, seed: torch.Tensor, mask_grad: bool) -> list[torch.Tensor]:
    """[dq, dk, dv] and, when mask_grad, d mask (B, H, S_q, S_k)."""
    opts = _opts(scale, is_causal, diag_off, window_left, window_right, softcap, dropout_p)
    grads = flash_backward(dout, q, k, v, out, lse, scale, is_causal, diag_off, mask=mask, slopes=slopes,
                           opts=opts, mask_grad=mask_grad, seed=seed)
    return list(grads[:3]) + ([grads[3]] if mask_grad else [])


_backward_op = _define_op(_flash_backward)


@torch.library.register_fake("flashsdpa::flash_backward")
def _(dout, q, k, v, out, lse, mask, slopes, scale, is_causal, diag_off, window_left, window_right, softcap,
      dropout_p, seed, mask_grad):
    grads = list(_gradient_outputs(q, k, v))
    if mask_grad:
        grads.append(q.new_empty((q.shape[0], q.shape[1], q.shape[2], k.shape[2]), dtype=mask.dtype))
    return grads


# Where it can, a compiled graph launches the portable Triton kernels itself: the ops below are
# torch.library.triton_op, whose bodies inductor traces (the launch arguments of the bound launches,
# made from the traced tensors' shapes and strides) into kernel calls in its own generated code, so
# a compiled step runs none of our Python a call. Their bodies call the opaque ops above instead
# for what inductor cannot launch or what would cost recompiles: the Gluon kernels (taken by
# where the tensors lie, unknown in a trace), and symbolic sizes (every tile choice would guard
# on the length, e.g. its parity). Masks and ALiBi (their layouts and gradients) keep the opaque
# ops. FLASHSDPA_COMPILE_INLINE=0 keeps every compiled call on them.
INLINE = os.environ.get("FLASHSDPA_COMPILE_INLINE", "1") != "0"
_INLINE_DEVICES = ("cuda",)   # inductor launches Triton kernels on CUDA tensors only


def _inlinable(q, mask, slopes) -> bool:
    """Whether a traced call goes through the triton ops (which then choose, _portable_launches).
    Traced by dynamo: reads no sizes (which would guard on them)."""
    return (INLINE and q.device.type in _INLINE_DEVICES and mask is None and slopes is None
            and _triton_ops_defined())


def _portable_launches(q, k, v, opts: ScoreOptions, backward: bool) -> bool:
    """Whether a traced call's forward (or backward) without mask or ALiBi runs the portable
    Triton kernels whatever its tensors' addresses: static nonzero sizes, and the Gluon kernels
    would not take it (by their rules that do not read addresses). The two directions decide
    apart, as eager calls do (dropout's causal backward on the Gluon kernels after a Triton
    forward, say): both draw on the same seed tensor, and the kernels keep the same entries."""
    sizes = (*q.shape, *q.stride(), *k.shape, *k.stride(), *v.shape, *v.stride())
    if any(isinstance(n, torch.SymInt) for n in sizes) or 0 in (*q.shape[:3], k.shape[2]):
        return False
    if backward:
        return hopper.backward_reason(q, k, v, q, q, (q, k, v), opts, addresses=False) is not None
    return hopper.forward_reason(q, k, v, q, opts, addresses=False) is not None


def _launch_traceable(kernel_index: int, launch: tuple, opts: ScoreOptions, seed, q):
    """Launch (grid, args, kwargs) of the kernel _launchers()[kernel_index] so that a trace
    records it (torch.library.wrap_triton), with the call's seed arguments."""
    grid, args, kwargs = launch
    kwargs["Seed"], kwargs["seed_host"] = _seed_arg(q, opts, seed)
    torch.library.wrap_triton(_launchers()[kernel_index].kernel)[grid](*args, **kwargs)


def _triton_forward(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float, is_causal: bool,
                    diag_off: int, window_left: int, window_right: int, softcap: float, dropout_p: float,
                    seed: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """flash_forward without mask or ALiBi, on the portable Triton kernel where it runs."""
    opts = _opts(scale, is_causal, diag_off, window_left, window_right, softcap, dropout_p)
    if not _portable_launches(q, k, v, opts, backward=False):
        return _forward_op(q, k, v, None, None, scale, is_causal, diag_off, window_left, window_right, softcap,
                           dropout_p, seed)
    out, lse = _forward_outputs(q, v, traced=True)
    _launch_traceable(0, _forward_arguments(q, k, v, out, lse, None, None, opts, None), opts, seed, q)
    return out, lse


def _triton_backward(dout: torch.Tensor, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, out: torch.Tensor,
                     lse: torch.Tensor, scale: float, is_causal: bool, diag_off: int, window_left: int,
                     window_right: int, softcap: float, dropout_p: float,
                     seed: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(dq, dk, dv) of _triton_forward: the dQ launch (which stores delta), then dK/dV."""
    opts = _opts(scale, is_causal, diag_off, window_left, window_right, softcap, dropout_p)
    if not _portable_launches(q, k, v, opts, backward=True):
        dq, dk, dv = _backward_op(dout, q, k, v, out, lse, None, None, scale, is_causal, diag_off, window_left,
                                  window_right, softcap, dropout_p, seed, False)
        return dq, dk, dv
    dq, dk, dv = _gradient_outputs(q, k, v, traced=True)
    delta = torch.empty_like(lse)
    dq_launch, dkdv = _backward_arguments(dout, q, k, v, out, lse, delta, dq, dk, dv, None, None, None, opts, None,
                                          False)
    _launch_traceable(2, dq_launch, opts, seed, q)
    _launch_traceable(1, dkdv, opts, seed, q)
    return dq, dk, dv


def _triton_ops_defined() -> bool:
    """Defines flashsdpa::triton_forward and ::triton_backward at the first trace that needs them
    (not at import: torch.library.triton_op imports Triton, whose TRITON_INTERPRET a program may
    still set after importing us). Dynamo calls it as it is, not traced, and keeps its result."""
    if not hasattr(torch.ops.flashsdpa, "triton_forward"):
        torch.library.triton_op("flashsdpa::triton_forward", _triton_forward, mutates_args=())
        torch.library.triton_op("flashsdpa::triton_backward", _triton_backward, mutates_args=())
    return True


# torch.compiler.assume_constant_result's mark, set without it: it imports torch._dynamo, which
# imports Triton (tests/test_compile.py checks that the decorator sets this same mark)
_triton_ops_defined._dynamo_marked_constant = True


class _CompiledFlashAttention(torch.autograd.Function):
    """The ops' forward and backward as torch.compile traces them (into one graph each).
    options: (scale, is_causal, diag_off, window_left, window_right, softcap, dropout_p)."""

    @staticmethod
    def forward(ctx, q, k, v, mask, slopes, seed, options: tuple, inline: bool):
        if inline:   # (_inlinable: no mask or slopes)
            out, lse = torch.ops.flashsdpa.triton_forward.default(q, k, v, *options, seed)
        else:
            out, lse = _forward_op(q, k, v, mask, slopes, *options, seed)
        ctx.save_for_backward(q, k, v, out, lse, mask, slopes, seed)
        ctx.options, ctx.inline = options, inline
        ctx.mark_non_differentiable(lse)
        return out, lse

    @staticmethod
    def backward(ctx, dout, _dlse):
        q, k, v, out, lse, mask, slopes, seed = ctx.saved_tensors
        if ctx.inline:
            dq, dk, dv = torch.ops.flashsdpa.triton_backward.default(dout, q, k, v, out, lse, *ctx.options, seed)
            return dq, dk, dv, None, None, None, None, None
        mask_grad = mask is not None and ctx.needs_input_grad[3]
        grads = _backward_op(dout, q, k, v, out, lse, mask, slopes, *ctx.options, seed, mask_grad)
        return grads[0], grads[1], grads[2], grads[3] if mask_grad else None, None, None, None, None


def traced_attention(q, k, v, mask, slopes, opts: ScoreOptions, seed):
    """flash.flash_attention while torch.compile traces: (out, lse) through _CompiledFlashAttention."""
    if seed is None:
        seed = torch.full((), opts.seed, dtype=torch.int64, device=q.device)
    options = (opts.scale, opts.is_causal, opts.diag_off, *opts.window, opts.softcap, opts.dropout_p)
    # dynamo traces an autograd.Function only with distinct tensor inputs (self-attention may
    # pass one tensor as q, k and v): a view each
    k = k.view_as(k) if k is q else k
    v = v.view_as(v) if v is q or v is k else v
    return _CompiledFlashAttention.apply(q, k, v, mask, slopes, seed, options, _inlinable(q, mask, slopes))
