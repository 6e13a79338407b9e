"""Autograd Functions for q, k, v that are views of packed tensors, as fused projections make
them: (qkv,) (B, S, 3, H, D) or (q, kv) (see inputs.unpack). Their gradients come out whole,
written by the kernels straight into tensors shaped like the packed ones; a repeated contiguous
qkv call takes a lean path that hands the kernels addresses instead of views. The launches and
their plans are backends/flash.py's.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch

from ..inputs import unpack
from ..kernels import launch
from . import flash, hopper
from .flash import (ScoreOptions, _backward_key, _forward_outputs, _launch_backward, _launch_forward, _layout,
                    _on_current_device, _seed_arg, _tf32, dropout_seed)


class PackedFlashAttention(torch.autograd.Function):
    """flash._EagerFlashAttention for q, k, v that are views of packed tensors. The backward
    writes the gradients straight into tensors shaped like the packed ones. Autograd through the
    views instead would run more nodes and a full-size zero fill and copy for each view
    (select's backward), or a cat after a split: host time and memory traffic that a small
    model's step pays on every layer."""

    @staticmethod
    def forward(ctx, opts: ScoreOptions, seed, views, *packed):
        """views: (q, k, v), the caller's unpack(packed), in a tuple so that autograd does not
        track them: made once a call, not again here and in the backward (view ops cost host time).
        Returns out as (B, S_q, H, D), the packed tensors' order, and lse."""
        q, k, v = views
        fast_key = (_packed_layout(packed), opts.plan_key, _tf32(q), *hopper.forward_switches())
        known = PACKED_PLANS.get(fast_key)
        if known is not None and _on_current_device(q):
            key, bound = known
            out, lse = _forward_outputs(q, v)
            _launch_forward(bound, q, k, v, out, lse, None, None, opts, seed)
        else:
            out, lse, key = flash._forward(q, k, v, None, None, opts, seed)
            if key is not None:
                PACKED_PLANS[fast_key] = key, flash._PLANS[key]
        ctx.save_for_backward(*packed, out, lse)
        ctx.opts, ctx.seed, ctx.forward_key, ctx.views, ctx.fast_key = opts, seed, key, views, fast_key
        ctx.mark_non_differentiable(lse)
        ctx.set_materialize_grads(False)
        return out.transpose(1, 2), lse

    @staticmethod
    def backward(ctx, dout, _dlse):
        *packed, out, lse = ctx.saved_tensors   # (autograd's check that nobody changed them in place)
        if dout is None:
            return None, None, None, *([None] * len(packed))
        # the views hold the packed tensors' memory: dropped here, as autograd drops saved tensors
        # after a backward (kept, a model's every layer would hold its qkv until the whole
        # backward ends: +13% peak memory in the example); a retained graph's next backward
        # makes them anew from the saved tensors
        views = ctx.views if ctx.views is not None else unpack(packed)
        ctx.views = None
        grads = [torch.empty_like(t) for t in packed]
        grad_views = unpack(grads)
        opts, dout = ctx.opts, dout.transpose(1, 2)
        fast_key = (ctx.fast_key, _layout(dout), *hopper.backward_switches())
        plan = PACKED_PLANS.get(fast_key)
        if plan is not None and _on_current_device(dout):
            _launch_backward(plan, dout, *views, out, lse, None, None, opts, ctx.seed, *grad_views, None)
        else:
            flash.flash_backward(dout, *views, out, lse, opts.scale, opts.is_causal, opts.diag_off, opts=opts,
                                 seed=ctx.seed, forward_key=ctx.forward_key, grads=grad_views)
            if ctx.forward_key is not None:
                key = _backward_key(dout, *views, out, lse, None, None, opts, None, False, ctx.forward_key, grad_views)
                PACKED_PLANS[fast_key] = flash._PLANS[key]
        return None, None, None, *grads


# Packed calls' plans by what fixes them (_packed_layout and the switches): a model calls its
# packed projections with the same layouts every step, and deriving the full plan keys from the
# views again (nine tensor layouts a forward + backward) cost ~10% of a packed call's host time
# (CPU, launches stubbed: 51 -> 46 µs a forward + backward).
PACKED_PLANS: dict = {}


def _packed_layout(packed) -> tuple:
    """What fixes the layouts of unpack(packed)'s views and of gradients made by empty_like of
    the packed tensors (fresh, so aligned): each packed tensor's device, shape, strides, dtype
    and address mod 16 (a view's alignment is its base's address plus its offset)."""
    first = packed[0]   # (one or two tensors: spelled out, no generator, on every call)
    key = first.device, first.shape, first.stride(), first.dtype, first.data_ptr() % 16
    if len(packed) == 1:
        return key
    second = packed[1]
    return key + (second.device, second.shape, second.stride(), second.dtype, second.data_ptr() % 16)


# Lean packed calls (FLASHSDPA_LEAN_PACKED=0 turns them off). Once a contiguous
# qkv's plans exist (a call ran forward and backward) and are all bound Triton launches, a
# repeated call skips the views, the plan keys and the layers between the public function and
# the kernels: they get q, k, v (and dq, dk, dv) as the packed tensors' addresses plus the byte
# offsets the views would have, the same arguments the generic path passes. CPU, launches
# stubbed: a forward + backward 47.6 -> 29.2 µs; an H200 host, the eager example's call: 311-351
# -> 215-243 µs, the example 0.973x -> 1.014-1.099x torch's tokens/s (results v0.20).
LEAN = os.environ.get("FLASHSDPA_LEAN_PACKED", "1") != "0"
_LEAN_DEVICES = ("cuda",)   # bound launches take addresses only there (the interpreter wants tensors)


@dataclass(frozen=True)
class _LeanPlan:
    forward: object      # the forward's BoundLaunch
    backward: tuple      # (row statistics, dQ launch, dK/dV launch), bound Triton launches
    offsets: tuple       # bytes from a packed tensor's start to its q, k, v parts
    lse_shape: tuple     # (B, H, S)


def lean_packed_plan(qkv, opts: ScoreOptions) -> tuple[_LeanPlan | None, bool]:
    """(the lean plan of this packed qkv call or None, whether that answer is final): not final
    while the generic path has not yet made both plans."""
    if not qkv.is_contiguous() or qkv.device.type not in _LEAN_DEVICES or not launch.FAST:
        return None, True
    forward_key = (_packed_layout((qkv,)), opts.plan_key, _tf32(qkv), *hopper.forward_switches())
    batch, seq, _, heads, dim = qkv.shape
    # the backward plan for a gradient laid out as out, (B, S, H, D) contiguous and aligned,
    # keyed by the _layout of its (B, H, S, D) view, as PackedFlashAttention.backward keys it
    dout = (torch.Size((batch, heads, seq, dim)), (seq * heads * dim, dim, heads * dim, 1), qkv.dtype, True)
    known = PACKED_PLANS.get(forward_key)
    backward = PACKED_PLANS.get((forward_key, dout, *hopper.backward_switches()))
    if known is None or backward is None:
        return None, False
    launches = (known[1], backward[1], backward[2])
    if backward[0] is not torch.empty_like or not all(type(bound) is launch.BoundLaunch for bound in launches):
        return None, True   # Gluon launches take tensors (their TMA descriptors need shapes)
    if any(bound.compiled is None for bound in launches):
        return None, False   # (a first launch compiles, through the JIT with tensors)
    step = qkv.stride(2) * qkv.element_size()
    return _LeanPlan(known[1], backward, (0, step, 2 * step), (batch, heads, seq)), True


class LeanPackedAttention(torch.autograd.Function):
    """PackedFlashAttention for a contiguous qkv (B, S, 3, H, D) with a lean plan: the same
    launches with the same arguments, addresses in place of views."""

    @staticmethod
    def forward(ctx, qkv, plan: _LeanPlan, opts: ScoreOptions, seed):
        base = qkv.data_ptr()
        out = qkv.new_empty(qkv.shape[:2] + qkv.shape[3:])   # (B, S, H, D)
        lse = qkv.new_empty(plan.lse_shape, dtype=torch.float32)
        # q stands in for the pointers a call without mask, ALiBi or dropout never reads: qkv's start
        plan.forward(base, base + plan.offsets[1], base + plan.offsets[2], out, lse, qkv, qkv,
                     *_seed_arg(qkv, opts, seed))
        ctx.save_for_backward(qkv, out, lse)
        ctx.plan, ctx.opts, ctx.seed = plan, opts, seed
        ctx.mark_non_differentiable(lse)
        ctx.set_materialize_grads(False)
        return out, lse

    @staticmethod
    def backward(ctx, dout, _dlse):
        if dout is None:
            return None, None, None, None
        qkv, out, lse = ctx.saved_tensors
        plan, opts = ctx.plan, ctx.opts
        dqkv = torch.empty_like(qkv)
        if (dout.stride() == out.stride() and dout.data_ptr() % 16 == 0 and _on_current_device(dout)
                and not launch.hooks_installed()):
            base, grad = qkv.data_ptr(), dqkv.data_ptr()
            q, k, v = (base + offset for offset in plan.offsets)
            dq, dk, dv = (grad + offset for offset in plan.offsets)
            delta = torch.empty_like(lse)
            seed = _seed_arg(qkv, opts, ctx.seed)
            _, dq_launch, dkdv = plan.backward
            dq_launch(q, k, v, out, dout, lse, delta, dq, qkv, qkv, qkv, *seed)
            dkdv(q, k, v, dout, lse, delta, dk, dv, qkv, qkv, *seed)
        else:   # a gradient of another layout (or a profiler's launch hooks): the generic backward
            flash.flash_backward(dout.transpose(1, 2), *unpack((qkv,)), out.transpose(1, 2), lse, opts.scale,
                                 opts.is_causal, opts.diag_off, opts=opts, seed=ctx.seed, grads=unpack((dqkv,)))
        return dqkv, None, None, None


def lean_runner(opts: ScoreOptions, dropout: bool):
    """lean(qkv) -> out (B, S, H, D) of a packed qkv call with these options through its lean
    plan, or None where the generic path must run (functional.flash_attn_qkvpacked_func calls it
    first). Its plans are kept by what the call's signature leaves open: strides, alignment and
    the switches."""
    plans: dict = {}

    def lean(qkv):
        if torch.compiler.is_compiling() or launch.hooks_installed():
            return None
        key = (qkv.stride(), qkv.data_ptr() % 16, _tf32(qkv), hopper.forward_switches(), hopper.backward_switches())
        plan = plans.get(key)
        if plan is None:
            plan, final = lean_packed_plan(qkv, opts)
            if final:
                plans[key] = plan or False
        if not plan or not _on_current_device(qkv):
            return None
        return LeanPackedAttention.apply(qkv, plan, opts, dropout_seed(qkv.device) if dropout else 0)[0]
    return lean
