"""The cached launcher (kernels/launch.py) against Triton's plain launch, on a CUDA GPU: the
same binary for every argument signature, so results equal bit for bit, including pointers
that are not 16-byte aligned (the JIT compiles a separate binary for those) and head dims
and strides that change the specialization."""
from __future__ import annotations

import pytest
import torch

from flashsdpa.backends import flash, hopper
from flashsdpa.kernels import launch

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


def _tensors(gen, shape, dtype, offset):
    """(B, H, S, D) views starting `offset` elements into their storage (offset 1: misaligned)."""
    size = shape[0] * shape[1] * shape[2] * shape[3]
    return [torch.randn(size + offset, device="cuda", generator=gen).to(dtype)[offset:].view(shape)
            for _ in range(4)]


def _run(q, k, v, dout, causal, dropout_p):
    opts = flash.ScoreOptions(q.shape[-1] ** -0.5, causal, dropout_p=dropout_p, seed=1234)
    out, lse = flash.flash_forward(q, k, v, opts.scale, causal, 0, opts=opts)
    return (out, lse, *flash.flash_backward(dout, q, k, v, out, lse, opts.scale, causal, 0, opts=opts)[:3])


@pytest.mark.parametrize("dtype,d,offset,causal,dropout_p", [
    (torch.bfloat16, 64, 0, True, 0.0), (torch.bfloat16, 64, 1, True, 0.0), (torch.float16, 40, 0, False, 0.1),
    (torch.float16, 40, 3, False, 0.0), (torch.float32, 80, 1, True, 0.0), (torch.bfloat16, 128, 8, False, 0.2),
])
def test_cached_launch_equals_plain_launch(gen, dtype, d, offset, causal, dropout_p):
    q, k, v, dout = _tensors(gen, (2, 3, 133, d), dtype, offset)
    first = _run(q, k, v, dout, causal, dropout_p)       # plans, compiles or finds the binary
    plans = len(flash._PLANS)
    cached = _run(q, k, v, dout, causal, dropout_p)      # the bound launches
    assert len(flash._PLANS) == plans, "a repeated signature made a new plan"
    launch.FAST = False
    try:
        plain = _run(q, k, v, dout, causal, dropout_p)
    finally:
        launch.FAST = True
    for name, a, b, c in zip(("out", "lse", "dq", "dk", "dv"), first, cached, plain):
        assert torch.isfinite(c).all(), name
        assert torch.equal(a, c) and torch.equal(b, c), f"{name}: the cached launch differs from the plain one"


@pytest.mark.parametrize("causal,with_bias", [(False, False), (True, False), (False, True)])
def test_gluon_cached_launch_equals_plain_launch(gen, causal, with_bias, monkeypatch):
    """The Gluon kernels' bound launches (a descriptor per tensor and call) against their
    plain launch, on a second set of tensors after the first compiled and planned: a launch
    that kept the first call's descriptors would read and write the wrong tensors."""
    if torch.cuda.get_device_capability()[0] != 9:
        pytest.skip("the Gluon kernels run on sm_90 only")
    from flashsdpa.kernels import hopper_backward
    monkeypatch.setattr(hopper_backward, "MIN_SCORES", 0)
    for flag in ("FORWARD", "BACKWARD", "BIAS"):
        monkeypatch.setattr(hopper, flag, True)
    # the two launches: the fused dQ's fp32 adds land in a varying order (not bit-reproducible)
    monkeypatch.setattr(hopper, "FUSED_DQ", False)
    shape = (2, 4, 2048 + (64 if with_bias else 37), 128)   # a bias's rows must be 16-byte aligned (TMA)
    bias = torch.randn(shape[2], shape[2], device="cuda", generator=gen).to(torch.bfloat16) if with_bias else None

    def run(q, k, v, dout):
        opts = flash.ScoreOptions(128 ** -0.5, causal)
        mask = None if bias is None else bias.expand(shape[0], shape[1], shape[2], shape[2])
        assert hopper.forward_reason(q, k, v, q, mask=mask, opts=opts) is None
        out, lse = flash.flash_forward(q, k, v, opts.scale, causal, 0, mask=mask, opts=opts)
        grads = flash.flash_backward(dout, q, k, v, out, lse, opts.scale, causal, 0, mask=mask, opts=opts)[:3]
        return out, lse, *grads
    run(*_tensors(gen, shape, torch.bfloat16, 0))
    second = _tensors(gen, shape, torch.bfloat16, 0)
    assert bias is not None or hopper.backward_reason(*second[:3], second[0], second[3], second[:3],
                                                           flash.ScoreOptions(128 ** -0.5, causal)) is None
    cached = run(*second)
    launch.FAST = False
    try:
        plain = run(*second)
    finally:
        launch.FAST = True
    for name, a, b in zip(("out", "lse", "dq", "dk", "dv"), cached, plain):
        assert torch.isfinite(b).all(), name
        assert torch.equal(a, b), f"{name}: the cached Gluon launch differs from the plain one"
