"""Repeated plain calls (q, k, v tensors, not the packed forms; no mask or ALiBi) past the
layers between the public function and the kernels: once a call's plans exist, its next calls
find them by the tensors' strides and alignment alone (the call's signature, which fixes the
rest, was matched by functional.py) and launch them from one autograd Function, without building
the plan keys again (nine tensor layouts a forward + backward) or the wrappers around the launches.
The launches and their arguments are backends/flash.py's; the packed qkv calls' lean path
(packed_calls.LeanPackedAttention) goes further, with addresses instead of views.

CPU, launches stubbed, a tiny causal call with dropout on views of one projection: our part of
a forward + backward 37.3 -> 30.1 µs; an inference call 9.9 -> 8.0 µs (not yet measured on a GPU
host). FLASHSDPA_LEAN_CALLS=0 turns it off (LEAN, read at each call).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch

from . import flash, hopper
from .flash import (ScoreOptions, _backward_key, _forward_key, _forward_outputs, _gradient_outputs, _launch_backward,
                    _launch_forward, _on_current_device, _tf32, dropout_seed)


LEAN = os.environ.get("FLASHSDPA_LEAN_CALLS", "1") != "0"


@dataclass(frozen=True)
class _Plans:
    forward: object      # the forward's launch (flash._PLANS[forward_key])
    forward_key: tuple
    backward: dict       # gradient's (strides, aligned) -> (row statistics, dQ launch, dK/dV launch)
    source: dict         # the flash._PLANS they came from: one put in its place (tests that change
                         # what plans depend on, beyond their keys) makes them stale


def lean_runner(opts: ScoreOptions, dropout: bool, differentiable: bool):
    """lean(q, k, v) -> (out, lse) of a plain call with these options through its known plans,
    or None where the generic path must run (a first call, whose launches make the plans; another
    device than the current one; a trace; an empty call). Its plans are kept by what the call's
    signature leaves open: strides, alignment and the switches."""
    plans: dict = {}

    def lean(q, k, v):
        if not LEAN or torch.compiler.is_compiling():
            return None
        key = (q.stride(), k.stride(), v.stride(), q.data_ptr() % 16 == 0, k.data_ptr() % 16 == 0,
               v.data_ptr() % 16 == 0, _tf32(q), hopper.forward_switches(), hopper.backward_switches())
        known = plans.get(key)
        if known is None or known.source is not flash._PLANS:
            known = _known_plans(q, k, v, opts)
            if known is not None:
                plans[key] = known
        if known is None or not _on_current_device(q):
            return None
        seed = dropout_seed(q.device) if dropout else 0
        if not differentiable:   # inference: no autograd node
            out, lse = _forward_outputs(q, v)
            _launch_forward(known.forward, q, k, v, out, lse, None, None, opts, seed)
            return out, lse
        return LeanFlashAttention.apply(q, k, v, known, opts, seed)
    return lean


def _known_plans(q, k, v, opts: ScoreOptions) -> _Plans | None:
    """The plans the generic path made for this call (flash._forward; flash_backward for a
    gradient laid out as out, if it ran), or None while it has not yet made the forward's.
    Backward plans for other gradient layouts are learnt as they come (LeanFlashAttention)."""
    if q.shape[0] * q.shape[1] * q.shape[2] == 0 or k.shape[2] == 0:
        return None   # (flash._forward fills empty calls' outputs without a plan)
    forward_key = _forward_key(q, k, v, None, None, opts, None)
    forward = flash._PLANS.get(forward_key)
    if forward is None:
        return None
    # out's layout, from a stand-in on the meta device (no memory)
    out = flash.empty_like_layout(torch.empty_strided(q.shape, q.stride(), dtype=q.dtype, device="meta"), v.shape[3])
    backward = flash._PLANS.get(_backward_key(out, q, k, v, None, None, None, None, opts, None, False, forward_key,
                                              None))
    return _Plans(forward, forward_key, {} if backward is None else {(out.stride(), True): backward}, flash._PLANS)


class LeanFlashAttention(torch.autograd.Function):
    """flash._EagerFlashAttention for a call without mask or ALiBi whose plans are known."""

    @staticmethod
    def forward(ctx, q, k, v, plans: _Plans, opts: ScoreOptions, seed):
        out, lse = _forward_outputs(q, v)
        _launch_forward(plans.forward, q, k, v, out, lse, None, None, opts, seed)
        ctx.save_for_backward(q, k, v, out, lse)
        ctx.plans, ctx.opts, ctx.seed = plans, opts, seed
        ctx.mark_non_differentiable(lse)
        ctx.set_materialize_grads(False)
        return out, lse

    @staticmethod
    def backward(ctx, dout, _dlse):
        if dout is None:
            return None, None, None, None, None, None
        q, k, v, out, lse = ctx.saved_tensors
        plans, opts = ctx.plans, ctx.opts
        layout = dout.stride(), dout.data_ptr() % 16 == 0
        plan = plans.backward.get(layout)
        if plan is not None and _on_current_device(dout):
            dq, dk, dv = _gradient_outputs(q, k, v)
            _launch_backward(plan, dout, q, k, v, out, lse, None, None, opts, ctx.seed, dq, dk, dv, None)
        else:   # the generic backward (which makes the plan for this gradient's layout)
            dq, dk, dv = flash.flash_backward(dout, q, k, v, out, lse, opts.scale, opts.is_causal, opts.diag_off,
                                              opts=opts, seed=ctx.seed, forward_key=plans.forward_key)[:3]
            plan = flash._PLANS.get(_backward_key(dout, q, k, v, out, lse, None, None, opts, None, False,
                                                  plans.forward_key, None))
            if plan is not None:
                plans.backward[layout] = plan
        return dq, dk, dv, None, None, None
