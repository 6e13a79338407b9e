"""Large shapes on a CUDA GPU (run with `pytest -m gpu`; skipped without CUDA).

The accuracy rule of helpers.py, now against torch's own SDPA in the same dtype on the GPU
(its flash / efficient / cuDNN kernels, or its math path where those do not apply).
"""
from __future__ import annotations

import math

import pytest
import torch
import torch.utils.checkpoint
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flashsdpa
from flashsdpa import Backend
from flashsdpa.backends import flash, hopper, lean_calls, packed_calls
from flashsdpa.functional import _attention
from helpers import (
    accuracy_failure,
    check_accuracy,
    delta_rounding_shift,
    generator_from_seed,
    make_leaves,
    max_abs_score,
    ours_sdpa,
    randn,
    recompute_tiny,
    ref_sdpa,
    reference_attention,
    torch_sdpa,
    with_views,
)

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]

DEVICE = "cuda"
LOWP = [torch.bfloat16, torch.float16]
lowp = pytest.mark.parametrize("dtype", LOWP, ids=lambda d: str(d).replace("torch.", ""))


def _tensors(gen, dtype, b, h_q, h_kv, s_q, s_k, d, d_v, layout="bhsd"):
    shapes = [(b, h_q, s_q, d), (b, h_kv, s_k, d), (b, h_kv, s_k, d_v)]
    if layout == "bshd":  # projections (B, S, H, D) viewed as (B, H, S, D)
        tensors = [randn((s[0], s[2], s[1], s[3]), dtype, DEVICE, gen) for s in shapes]
        return tensors, (lambda *ts: tuple(t.transpose(1, 2) for t in ts))
    return [randn(s, dtype, DEVICE, gen) for s in shapes], (lambda *ts: ts)


def _check(gen, dtype, b, h_q, h_kv, s_q, s_k, d, d_v, causal, layout="bhsd", scale=None):
    tensors, view = _tensors(gen, dtype, b, h_q, h_kv, s_q, s_k, d, d_v, layout)
    fns = [with_views(f, view) for f in (ours_sdpa(Backend.FLASH, causal, scale, True),
                                         torch_sdpa(causal, scale, True), ref_sdpa(causal, scale, True))]
    q, k, _ = view(*tensors)
    tiny = recompute_tiny(dtype, max_abs_score(q, k, scale, True))
    check_accuracy(*fns, tensors, dtype, gen, tiny=tiny,
                   context=f"b{b} h{h_q}/{h_kv} s{s_q}x{s_k} d{d}/{d_v} causal={causal} {layout}")


CONFIGS = [  # (B, H_q, H_kv, S_q, S_k, D, D_v, causal)
    (2, 8, 8, 1000, 1000, 64, 64, "top_left"),
    (1, 8, 8, 4096, 4096, 128, 128, "top_left"),
    (1, 4, 4, 4096, 4096, 64, 64, None),
    (2, 4, 4, 257, 257, 96, 96, None),
    (1, 4, 4, 1000, 1000, 256, 256, "bottom_right"),
    (2, 4, 2, 257, 1000, 40, 40, "bottom_right"),
    (2, 4, 4, 1000, 257, 200, 200, "top_left"),
    (1, 2, 2, 257, 257, 512, 512, None),
    (1, 2, 2, 1, 257, 512, 512, "bottom_right"),
    (1, 32, 8, 1000, 1000, 128, 128, "top_left"),
    (1, 32, 8, 257, 4096, 128, 128, "bottom_right"),
    (4, 8, 8, 1, 4096, 128, 128, None),
    (4, 8, 2, 1, 1000, 64, 64, "bottom_right"),
    (2, 8, 8, 4096, 1, 64, 64, None),
    (1, 4, 4, 1000, 4096, 64, 32, "bottom_right"),
    (1, 4, 4, 4096, 1000, 128, 64, "bottom_right"),   # S_q > S_k: first rows see nothing
    (2, 4, 4, 1, 1, 128, 128, "top_left"),
]


@lowp
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "b{}h{}-{}s{}x{}d{}-{}c{}".format(*c))
def test_accuracy_large(dtype, config, gen):
    _check(gen, dtype, *config)


HOPPER_SHAPES = [  # (B, H_q, H_kv, S, causal, layout): calls the Gluon forward takes on sm_90
    (2, 16, 16, 2048, "top_left", "bhsd"), (1, 8, 2, 1024, None, "bhsd"), (2, 4, 4, 2048, "bottom_right", "bshd"),
    (1, 4, 4, 8192, "top_left", "bhsd"), (2, 8, 2, 1000 + 1037, None, "bshd"), (1, 4, 4, 2049, "top_left", "bhsd"),
    (3, 2, 1, 4095, "bottom_right", "bshd"), (4, 8, 8, 512, "top_left", "bhsd"), (2, 4, 2, 777, None, "bshd"),
]


@lowp
@pytest.mark.parametrize("config", HOPPER_SHAPES, ids=lambda c: "b{}h{}-{}s{}-c{}-{}".format(*c))
def test_hopper_forward(dtype, config, gen, monkeypatch):
    """The Hopper kernel runs these calls (checked), within the accuracy rule, forward and
    backward (the backward reads its log-sum-exp), including (B, S, H, D) projections and
    lengths that are not a multiple of its tiles; its output and log-sum-exp agree with the
    portable Triton kernel's on the same inputs."""
    if torch.cuda.get_device_capability()[0] != 9:
        pytest.skip("the Gluon forward runs on sm_90 only")
    b, h_q, h_kv, s, causal, layout = config
    tensors, view = _tensors(gen, dtype, b, h_q, h_kv, s, s, 128, 128, layout)
    q, k, v = view(*tensors)
    opts = flash.ScoreOptions(128 ** -0.5, causal is not None)
    assert hopper.forward_reason(q, k, v, flash.empty_like_layout(q, 128), opts=opts) is None
    _check(gen, dtype, b, h_q, h_kv, s, s, 128, 128, causal, layout=layout)
    out, lse = flash.flash_forward(q, k, v, 0.0, False, 0, opts=opts)
    monkeypatch.setattr(hopper, "FORWARD", False)
    out_triton, lse_triton = flash.flash_forward(q, k, v, 0.0, False, 0, opts=opts)
    assert torch.isfinite(out).all() and torch.isfinite(lse).all()
    assert ((lse - lse_triton).abs() / lse_triton.abs().clamp_min(1)).max().item() < 1e-5
    assert ((out.float() - out_triton.float()).norm() / out_triton.float().norm()).item() < 1e-2


@pytest.mark.parametrize("causal, window, bias", [(False, None, False), (True, None, False), (True, (300, 0), False),
                                                  (False, None, True), (False, (100, 20), True)])
def test_hopper_forward_persistent_grid_changes_no_bit(causal, window, bias, gen):
    """The persistent grid computes each query block with the same code as one program a block:
    equal outputs and log-sum-exps, bit for bit, on a ragged length, GQA and more blocks than SMs."""
    if torch.cuda.get_device_capability()[0] != 9:
        pytest.skip("the Gluon forward runs on sm_90 only")
    from flashsdpa.kernels import hopper_forward
    b, h_q, h_kv, s = 3, 8, 2, 2048 + 72
    q = randn((b, h_q, s, 128), torch.bfloat16, DEVICE, gen)
    k, v = (randn((b, h_kv, s, 128), torch.bfloat16, DEVICE, gen) for _ in range(2))
    mask = randn((b, h_q, s, s), torch.bfloat16, DEVICE, gen) if bias else None
    results = []
    for persistent in (True, False):
        out, lse = torch.full_like(q, float("nan")), torch.full((b, h_q, s), float("nan"), device=DEVICE)
        hopper_forward.forward_launch(q, k, 128 ** -0.5, causal, mask, window, persistent)(q, k, v, out, lse, mask)
        results.append((out, lse))
    assert torch.isfinite(results[0][0]).all() and torch.isfinite(results[0][1]).all()
    assert torch.equal(results[0][0], results[1][0]) and torch.equal(results[0][1], results[1][1])


HALF_TILE_CASES = [  # (B, H_q, H_kv, S, D, causal, window, persistent): edge tiles on half their keys
    (2, 4, 4, 2048, 128, True, None, True), (1, 8, 2, 4095, 128, True, None, False),
    (2, 4, 4, 512, 128, True, None, True),
    (1, 4, 4, 4096, 128, False, (1024, 0), True), (1, 4, 2, 2048 + 72, 128, False, (1000, 0), False),
    (1, 4, 4, 2048, 128, False, (64, 0), True), (1, 4, 4, 2048, 128, False, (30, 10), True),
    (1, 4, 4, 2000, 128, False, (500, 300), True), (1, 4, 4, 2048, 128, False, (0, 0), True),
    (2, 4, 4, 4096, 96, True, None, True), (1, 4, 4, 4096 + 40, 80, False, (700, 0), True),
]


@pytest.mark.parametrize("config", HALF_TILE_CASES, ids=lambda c: "b{}h{}-{}s{}d{}-c{}-w{}-p{}".format(*c))
def test_hopper_forward_half_tiles(config, gen):
    """A warpgroup's edge tiles on the half of their keys its rows see ([Note: half tiles]): the
    same output and log-sum-exp as whole tiles, up to the order of the row sums (windows of
    every alignment, two-sided, narrower than a half tile, ragged lengths, GQA, head dims padded
    to 128), and every element written."""
    if torch.cuda.get_device_capability()[0] != 9:
        pytest.skip("the Gluon forward runs on sm_90 only")
    from flashsdpa.kernels import hopper_forward
    b, h_q, h_kv, s, d, causal, window, persistent = config
    q = randn((b, h_q, s, d), torch.bfloat16, DEVICE, gen)
    k, v = (randn((b, h_kv, s, d), torch.bfloat16, DEVICE, gen) for _ in range(2))
    results = []
    for halves in (True, False):
        out, lse = torch.full_like(q, float("nan")), torch.full((b, h_q, s), float("nan"), device=DEVICE)
        hopper_forward.forward_launch(q, k, d ** -0.5, causal, None, window, persistent,
                                      half_tiles=halves)(q, k, v, out, lse)
        results.append((out, lse))
    (out, lse), (out_whole, lse_whole) = results
    assert torch.isfinite(out).all() and torch.isfinite(lse).all()
    assert (lse - lse_whole).abs().max().item() < 1e-5
    assert ((out.float() - out_whole.float()).norm() / out_whole.float().norm()).item() < 4e-3


THREE_CONSUMER_SHAPES = [  # (B, H_q, H_kv, S, causal, window, layout): head dim 64, 192-row blocks
    (2, 8, 8, 2048, True, None, "bhsd"), (2, 8, 2, 1000 + 37, False, None, "bshd"), (4, 8, 8, 512, True, None, "bhsd"),
    (1, 4, 4, 4095, True, None, "bshd"), (3, 2, 1, 777, False, None, "bhsd"), (2, 4, 2, 2048 + 72, True, (300, 0), "bhsd"),
    (1, 4, 4, 1500, False, (100, 20), "bshd"),
]


@lowp
@pytest.mark.parametrize("config", THREE_CONSUMER_SHAPES, ids=lambda c: "b{}h{}-{}s{}-c{}-w{}-{}".format(*c))
def test_hopper_forward_three_consumers(dtype, config, gen, monkeypatch):
    """Head dim 64 on three consumer warpgroups a program (hopper.CONSUMERS): the same output and
    log-sum-exp as two, bit for bit (each row sees the same key tiles in the same order; a 192-row
    block's extra tiles past a row's diagonal or window add exact zeros), on the persistent grid
    and on one program a block; without a window, within the accuracy rule through the public call."""
    if torch.cuda.get_device_capability()[0] != 9:
        pytest.skip("the Gluon forward runs on sm_90 only")
    from flashsdpa.kernels import hopper_forward
    b, h_q, h_kv, s, causal, window, layout = config
    tensors, view = _tensors(gen, dtype, b, h_q, h_kv, s, s, 64, 64, layout)
    q, k, v = view(*tensors)
    results = {}
    for consumers, persistent in ((2, True), (3, True), (3, False)):
        out, lse = torch.full_like(q, float("nan")), torch.full((b, h_q, s), float("nan"), device=DEVICE)
        hopper_forward.forward_launch(q, k, 64 ** -0.5, causal, None, window, persistent, consumers)(q, k, v, out, lse)
        results[consumers, persistent] = out, lse
    out, lse = results[2, True]
    assert torch.isfinite(out).all() and torch.isfinite(lse).all()
    for other in ((3, True), (3, False)):
        assert torch.equal(results[other][0], out) and torch.equal(results[other][1], lse), other
    if window is None:
        monkeypatch.setattr(hopper_forward, "MIN_SEQ", dict.fromkeys(hopper_forward.MIN_SEQ, 256))
        monkeypatch.setattr(hopper, "CONSUMERS", 3)
        assert hopper.forward_reason(q, k, v, flash.empty_like_layout(q, 64), flash.ScoreOptions(0.125, causal)) is None
        assert hopper.consumers(q, None, hopper_forward) == 3
        _check(gen, dtype, b, h_q, h_kv, s, s, 64, 64, "top_left" if causal else None, layout=layout)


@lowp
@pytest.mark.parametrize("d", [96, 80, 72, 64])
@pytest.mark.parametrize("config", [(2, 8, 2, 2048 + 40, "top_left", "bshd"), (1, 4, 4, 1024 + 8, None, "bhsd")],
                         ids=lambda c: "b{}h{}-{}s{}-c{}-{}".format(*c))
def test_hopper_padded_head_dims(dtype, d, config, gen, monkeypatch):
    """Head dims between 64 and 128 through the D = 128 Gluon kernels, TMA reading the columns
    past D as zeros and storing none (hopper_common.padded_head_dim), and 64 through the D = 64
    ones: forward and backward within the accuracy rule. The test sets HEAD_DIMS and MIN_SEQ
    itself so that it keeps testing these dims whatever the defaults say."""
    _gluon_path("BACKWARD", monkeypatch)
    from flashsdpa.kernels import hopper_backward, hopper_forward
    monkeypatch.setattr(hopper_forward, "MIN_SEQ", dict.fromkeys(hopper_forward.MIN_SEQ, 512))
    monkeypatch.setattr(hopper_forward, "HEAD_DIMS", (d, 128))
    monkeypatch.setattr(hopper_backward, "HEAD_DIMS", (d, 128))
    monkeypatch.setattr(flash, "_PLANS", {})   # plans are not keyed by HEAD_DIMS
    b, h_q, h_kv, s, causal, layout = config
    tensors, view = _tensors(gen, dtype, b, h_q, h_kv, s, s, d, d, layout)
    q, k, v = view(*tensors)
    opts = flash.ScoreOptions(d ** -0.5, causal is not None)
    grads = [flash.empty_like_layout(t, d) for t in (q, k, v)]
    assert hopper.forward_reason(q, k, v, grads[0], opts=opts) is None
    assert hopper.backward_reason(q, k, v, grads[0], grads[0], grads, opts=opts) is None
    _check(gen, dtype, b, h_q, h_kv, s, s, d, d, causal, layout=layout)


@lowp
@pytest.mark.parametrize("d", [256, 200])
@pytest.mark.parametrize("config", [(2, 8, 2, 2048 + 40, "top_left", "bshd"), (1, 4, 4, 1024 + 8, None, "bhsd"),
                                    (2, 4, 4, 1024, "bottom_right", "bhsd")],
                         ids=lambda c: "b{}h{}-{}s{}-c{}-{}".format(*c))
def test_hopper_forward_head_dim_256(dtype, d, config, gen, monkeypatch):
    """Head dims 136..256 through the D = 256 Gluon forward (64 keys a stage, O out through Q's
    buffers), ragged lengths, GQA and (B, S, H, D) memory: forward and backward (the Triton
    backward reads its log-sum-exp) within the accuracy rule, output and log-sum-exp close to
    the Triton forward's, and the persistent grid equal bit for bit to one program a block."""
    if torch.cuda.get_device_capability()[0] != 9:
        pytest.skip("the Gluon forward runs on sm_90 only")
    from flashsdpa.kernels import hopper_forward
    monkeypatch.setattr(hopper, "FORWARD", True)
    monkeypatch.setattr(hopper_forward, "MIN_SEQ", dict.fromkeys(hopper_forward.MIN_SEQ, 512))
    monkeypatch.setattr(flash, "_PLANS", {})
    b, h_q, h_kv, s, causal, layout = config
    tensors, view = _tensors(gen, dtype, b, h_q, h_kv, s, s, d, d, layout)
    q, k, v = view(*tensors)
    opts = flash.ScoreOptions(d ** -0.5, causal is not None)
    assert hopper.forward_reason(q, k, v, flash.empty_like_layout(q, d), opts=opts) is None
    _check(gen, dtype, b, h_q, h_kv, s, s, d, d, causal, layout=layout)
    out, lse = flash.flash_forward(q, k, v, 0.0, False, 0, opts=opts)
    results = []
    for persistent in (True, False):
        o, m = torch.full_like(out, float("nan")), torch.full_like(lse, float("nan"))
        hopper_forward.forward_launch(q, k, opts.scale, opts.is_causal, None, None, persistent)(q, k, v, o, m)
        results.append((o, m))
    assert torch.equal(results[0][0], results[1][0]) and torch.equal(results[0][1], results[1][1])
    monkeypatch.setattr(hopper, "FORWARD", False)
    out_triton, lse_triton = flash.flash_forward(q, k, v, 0.0, False, 0, opts=opts)
    assert torch.isfinite(out).all() and torch.isfinite(lse).all()
    assert ((lse - lse_triton).abs() / lse_triton.abs().clamp_min(1)).max().item() < 1e-5
    assert ((out.float() - out_triton.float()).norm() / out_triton.float().norm()).item() < 1e-2


def _gluon_path(flag: str, monkeypatch):
    """Skip unless sm_90; turn the Gluon path FLASHSDPA_HOPPER_<flag> on even where the environment
    turned it off (the test compares it with the Triton kernels itself)."""
    if torch.cuda.get_device_capability()[0] != 9:
        pytest.skip("the Gluon kernels run on sm_90 only")
    from flashsdpa.kernels import hopper_backward
    monkeypatch.setattr(hopper, flag, True)
    monkeypatch.setattr(hopper_backward, "MIN_SCORES", 0)   # these shapes are small on purpose


def _close_to_triton_backward(dout, q, k, v, out, lse, opts, monkeypatch):
    """The Gluon backward's gradients finite and within 1% (relative norm) of the Triton
    kernels' on the same inputs."""
    grads = flash.flash_backward(dout, q, k, v, out, lse, 0.0, False, 0, opts=opts)
    monkeypatch.setattr(hopper, "BACKWARD", False)
    triton_grads = flash.flash_backward(dout, q, k, v, out, lse, 0.0, False, 0, opts=opts)
    for ours, theirs in zip(grads[:3], triton_grads[:3]):
        assert torch.isfinite(ours).all()
        assert ((ours.float() - theirs.float()).norm() / theirs.float().norm()).item() < 1e-2


@lowp
@pytest.mark.parametrize("variant", ["d128", "d64", "fused_dq", "fused_dq_peeled", "fused_dq_peeled_flat"])
@pytest.mark.parametrize("config", HOPPER_SHAPES, ids=lambda c: "b{}h{}-{}s{}-c{}-{}".format(*c))
def test_hopper_backward(dtype, config, variant, gen, monkeypatch):
    """The Gluon backward runs these calls' backward (checked) within the accuracy rule, and its
    gradients agree with the Triton kernels' on the same inputs: the two launches, D = 64 (not
    shipped yet: hopper_backward.HEAD_DIMS) and the fused dQ on every call (dQ inside the dK/dV
    launch, fp32 adds by TMA reduce-add; by default only for long full attention), also with
    causal calls' diagonal tiles run apart (hopper.PEEL_DIAGONAL), and those loops flat where a
    key head has one query head (hopper.FLAT_HEADS, experimental)."""
    _gluon_path("BACKWARD", monkeypatch)
    from flashsdpa.kernels import hopper_backward
    monkeypatch.setattr(hopper_backward, "HEAD_DIMS", (64, 128))
    monkeypatch.setattr(hopper, "FUSED_DQ", variant.startswith("fused_dq"))
    monkeypatch.setattr(hopper, "PEEL_DIAGONAL", variant.startswith("fused_dq_peeled"))
    monkeypatch.setattr(hopper, "FLAT_HEADS", variant == "fused_dq_peeled_flat")
    d = 64 if variant == "d64" else 128
    b, h_q, h_kv, s, causal, layout = config
    tensors, view = _tensors(gen, dtype, b, h_q, h_kv, s, s, d, d, layout)
    q, k, v = view(*tensors)
    opts = flash.ScoreOptions(d ** -0.5, causal is not None)
    out, lse = flash.flash_forward(q, k, v, 0.0, False, 0, opts=opts)
    dout = randn(out.shape, dtype, DEVICE, gen)
    grads = [flash.empty_like_layout(t, d) for t in (q, k, v)]
    assert hopper.backward_reason(q, k, v, out, dout, grads, opts=opts) is None
    _check(gen, dtype, b, h_q, h_kv, s, s, d, d, causal, layout=layout)
    _close_to_triton_backward(dout, q, k, v, out, lse, opts, monkeypatch)


@lowp
@pytest.mark.parametrize("causal", [None, "top_left"])
def test_hopper_fused_dq_head_dim_64_by_default(dtype, causal, gen, monkeypatch):
    """Long D = 64 calls take the Gluon backward with the fused dQ by default (hopper.FUSED_DQ's
    "auto"): within the accuracy rule, and close to the Triton kernels on the same inputs."""
    _gluon_path("BACKWARD", monkeypatch)
    monkeypatch.setattr(hopper, "FUSED_DQ", "auto")
    b, h, s, d = 1, 4, hopper.FUSED_DQ_MIN_SEQ_64 + 40, 64
    q, k, v = (randn((b, h, s, d), dtype, DEVICE, gen) for _ in range(3))
    opts = flash.ScoreOptions(d ** -0.5, causal is not None)
    out, lse = flash.flash_forward(q, k, v, 0.0, False, 0, opts=opts)
    dout = randn(out.shape, dtype, DEVICE, gen)
    assert hopper.backward_reason(q, k, v, out, dout, (q, k, v), opts=opts) is None
    assert hopper.fused_dq(opts, None, s, d)
    _check(gen, dtype, b, h, h, s, s, d, d, causal)
    _close_to_triton_backward(dout, q, k, v, out, lse, opts, monkeypatch)


def _seed(gen) -> int:
    """A dropout seed from the test's generator (below 2^31, as draw_dropout_seed's)."""
    return int(torch.randint(1, 2**31 - 1, (1,), generator=gen, device=gen.device).item())


@lowp
@pytest.mark.parametrize("variant", ["d128 fused", "d128 two launches", "d128 two launches ahead", "d64 fused",
                                     "d128 two launches drawer", "d128 fused drawer", "d64 fused drawer",
                                     "d128 fused drawer4"])
@pytest.mark.parametrize("config", [(2, 4, 4, 1000, "top_left"), (1, 8, 2, 2049, None), (2, 4, 4, 777, None)],
                         ids=lambda c: "b{}h{}-{}s{}-c{}".format(*c))
def test_hopper_dropout_backward(dtype, variant, config, gen, monkeypatch):
    """With hopper.DROPOUT (FLASHSDPA_HOPPER_DROPOUT=1) the Gluon backward takes dropout, its
    keep bits drawn in the dK/dV launch (dQ fused) or in both launches (the dQ launch's drawn a
    key tile ahead with DROPOUT_DRAW_AHEAD, the default, or not; the dK/dV launch's by a warpgroup
    of their own with DROPOUT_DRAWER, 2 warps or 4, experimental): the call's output and gradients meet
    the accuracy rule against the float64 reference with the call's own keep-mask, and agree
    with the Triton kernels' backward on the same seed (the same mask)."""
    _gluon_path("BACKWARD", monkeypatch)
    monkeypatch.setattr(hopper, "DROPOUT", True)
    monkeypatch.setattr(hopper, "FUSED_DQ", "fused" in variant)
    monkeypatch.setattr(hopper, "DROPOUT_DRAW_AHEAD", variant.endswith("ahead"))
    monkeypatch.setattr(hopper, "DROPOUT_DRAWER", {"drawer": 2, "drawer4": 4}.get(variant.split()[-1], 0))
    d = int(variant.split()[0][1:])
    b, h_q, h_kv, s, causal = config
    p = 0.2
    q, k, v = (randn(shape, dtype, DEVICE, gen) for shape in ((b, h_q, s, d), (b, h_kv, s, d), (b, h_kv, s, d)))
    opts = flash.ScoreOptions(d ** -0.5, causal is not None, dropout_p=p, seed=_seed(gen))
    out, lse = flash.flash_forward(q, k, v, 0.0, False, 0, opts=opts)
    dout = randn(out.shape, dtype, DEVICE, gen)
    assert hopper.backward_reason(q, k, v, out, dout, (q, k, v), opts=opts) is None
    _close_to_triton_backward(dout, q, k, v, out, lse, opts, monkeypatch)
    monkeypatch.setattr(hopper, "BACKWARD", True)
    seed = _seed(gen)
    torch.manual_seed(seed)
    keep = flash.dropout_keep_mask(flash.draw_dropout_seed(DEVICE), b, h_q, s, s, p, DEVICE)
    flash_call = ours_sdpa(Backend.FLASH, causal, None, True, dropout_p=p)

    def ours(*args):
        torch.manual_seed(seed)   # the call draws the seed of `keep`
        return flash_call(*args)
    check_accuracy(ours, torch_sdpa(causal, None, True, keep=keep, dropout_p=p),
                   ref_sdpa(causal, None, True, keep=keep, dropout_p=p), [q, k, v], dtype, gen,
                   context=f"Gluon dropout backward b{b} h{h_q}/{h_kv} s{s} d{d} causal={causal}")


def _dropout_call(q, k, v, p=0.3):
    with flashsdpa.sdpa_kernel(Backend.FLASH):
        return flashsdpa.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)


def test_eager_dropout_seeds_come_from_the_cuda_generator(gen):
    """An eager call takes its seed on the host from the CUDA generator's state (no seed
    kernel; on the GPU under inductor's fallback_random, as a compiled graph draws it): the
    generator's offset advances by 4 a call (the backward draws nothing), the call
    replays bit for bit after torch.cuda.manual_seed or after restoring get_rng_state, and the
    next call drops other entries."""
    q, k, v, dout = (randn((2, 4, 300, 64), torch.bfloat16, DEVICE, gen) for _ in range(4))
    generator = torch.cuda.default_generators[torch.cuda.current_device()]
    assert isinstance(flash.dropout_seed(q.device), int)
    from torch._inductor import config as inductor_config
    with inductor_config.patch(fallback_random=True):   # compiled code draws on the GPU: eager calls then too
        assert isinstance(flash.dropout_seed(q.device), torch.Tensor)
    seed = int(torch.randint(1, 2**40, (1,), generator=gen, device=DEVICE).item())
    torch.cuda.manual_seed(seed)
    state = torch.cuda.get_rng_state()
    results = []
    for restore in (None, state, None):
        if restore is not None:
            torch.cuda.set_rng_state(restore)
        offset = generator.get_offset()
        leaves = [t.clone().requires_grad_() for t in (q, k, v)]
        out = _dropout_call(*leaves)
        out.backward(dout)
        assert generator.get_offset() == offset + 4
        results.append([out.detach(), *(leaf.grad for leaf in leaves)])
    for name, first, replayed, next_call in zip(["out", "dq", "dk", "dv"], *results):
        assert torch.isfinite(first).all(), name
        assert torch.equal(first, replayed), f"{name}: a restored RNG state did not replay the call"
        assert not torch.equal(first, next_call), f"{name}: the next call dropped the same entries"
    torch.cuda.manual_seed(seed)
    assert torch.equal(_dropout_call(q, k, v), results[0][0])


def test_dropout_under_activation_checkpointing(gen):
    """torch.utils.checkpoint reruns the forward in the backward after restoring the RNG state:
    the rerun must drop the entries the first forward dropped, so the gradients equal those of
    the same step without checkpointing (the host-drawn seed follows the restored state)."""
    q, k, v, dout = (randn((2, 4, 257, 64), torch.bfloat16, DEVICE, gen) for _ in range(4))
    seed = int(torch.randint(1, 2**40, (1,), generator=gen, device=DEVICE).item())
    results = []
    for checkpointed in (False, True):
        leaves = [t.clone().requires_grad_() for t in (q, k, v)]
        torch.cuda.manual_seed(seed)

        def layer(q, k, v):
            return _dropout_call(q, k, v) * 2.0
        out = (torch.utils.checkpoint.checkpoint(layer, *leaves, use_reentrant=False) if checkpointed
               else layer(*leaves))
        out.backward(dout)
        results.append([out.detach(), *(leaf.grad for leaf in leaves)])
    for name, plain, checkpointed in zip(["out", "dq", "dk", "dv"], *results):
        assert torch.isfinite(plain).all() and torch.equal(plain, checkpointed), name


def test_dropout_in_a_captured_cuda_graph_draws_anew(gen):
    """An eager call that torch.cuda.graph captures draws its seed on the GPU inside the graph:
    each replay drops other entries (a host-drawn int would be frozen into the graph), and about
    1 - p of the causal scores are kept (V = I: the output is the dropped probability matrix,
    nonzero where a score is kept)."""
    s, p = 64, 0.5
    q, k = (randn((2, 3, s, 32), torch.float16, DEVICE, gen) for _ in range(2))
    v = torch.eye(s, device=DEVICE, dtype=torch.float16).expand(2, 3, s, s).contiguous()
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        _dropout_call(q, k, v, p)   # warm-up: compiles and binds outside the capture
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        out = _dropout_call(q, k, v, p)
    kept = []
    for _ in range(3):
        graph.replay()
        torch.cuda.synchronize()
        assert torch.isfinite(out).all()
        kept.append(out != 0)
    assert not torch.equal(kept[0], kept[1]) and not torch.equal(kept[1], kept[2])
    rate = kept[0].float().mean().item()
    assert abs(rate - (1 - p) / 2) < 0.05, rate   # causal: about half the scores exist


def test_hopper_fused_dq_yields_to_deterministic_mode(gen, monkeypatch):
    """Under torch.use_deterministic_algorithms(True) the backward does not add with atomics:
    two runs are equal bit for bit, and equal to the two-launch Gluon backward's."""
    _gluon_path("BACKWARD", monkeypatch)
    monkeypatch.setattr(hopper, "FUSED_DQ", True)
    q, k, v, dout = (randn((1, 8, 2048, 128), torch.bfloat16, DEVICE, gen) for _ in range(4))
    opts = flash.ScoreOptions(128 ** -0.5, True)
    out, lse = flash.flash_forward(q, k, v, 0.0, False, 0, opts=opts)

    def backward():
        return flash.flash_backward(dout, q, k, v, out, lse, 0.0, False, 0, opts=opts)[:3]
    torch.use_deterministic_algorithms(True)
    try:
        first, second = backward(), backward()
    finally:
        torch.use_deterministic_algorithms(False)
    monkeypatch.setattr(hopper, "FUSED_DQ", False)
    two_launch = backward()
    for a, b, c in zip(first, second, two_launch):
        assert torch.equal(a, b) and torch.equal(a, c)


def test_hopper_dq_from_ds_yields_to_deterministic_mode(gen, monkeypatch):
    """Under torch.use_deterministic_algorithms(True) a bias with gradient runs the two launches
    (torch refuses dQ-from-dS's cuBLAS GEMM there without CUBLAS_WORKSPACE_CONFIG): no error,
    and the same bits as the two launches outside that mode."""
    _gluon_path("BACKWARD", monkeypatch)
    monkeypatch.setattr(hopper, "BIAS_BACKWARD", True)
    monkeypatch.setattr(hopper, "DQ_FROM_DS", True)
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    q, k, v, dout = (randn((1, 8, 2048, 128), torch.bfloat16, DEVICE, gen) for _ in range(4))
    bias = randn((1, 8, 2048, 2048), torch.bfloat16, DEVICE, gen)
    opts = flash.ScoreOptions(128 ** -0.5, True)
    out, lse = flash.flash_forward(q, k, v, 0.0, False, 0, mask=bias, opts=opts)

    def backward():
        return flash.flash_backward(dout, q, k, v, out, lse, 0.0, False, 0, mask=bias, opts=opts, mask_grad=True)
    torch.use_deterministic_algorithms(True)
    try:
        deterministic = backward()
    finally:
        torch.use_deterministic_algorithms(False)
    monkeypatch.setattr(hopper, "DQ_FROM_DS", False)
    for name, a, b in zip(("dq", "dk", "dv", "dbias"), deterministic, backward()):
        assert torch.isfinite(a).all() and torch.equal(a, b), name


@lowp
@pytest.mark.parametrize("bias_shape", ["full", "heads", "2d"])
@pytest.mark.parametrize("causal", [None, "top_left"])
def test_hopper_forward_bias(dtype, bias_shape, causal, gen, monkeypatch):
    """The bias path of the Gluon forward runs a float
    attn_mask (checked), within the accuracy rule forward and backward (the backward is the
    Triton kernels', reading this forward's log-sum-exp), with rows the bias removes entirely."""
    _gluon_path("BIAS", monkeypatch)
    b, h, s = 2, 4, 2048 + 64
    q, k, v = (randn((b, h, s, 128), dtype, DEVICE, gen) for _ in range(3))
    shape = {"full": (b, h, s, s), "heads": (1, h, s, s), "2d": (s, s)}[bias_shape]
    bias = randn(shape, dtype, DEVICE, gen)
    opts = flash.ScoreOptions(128 ** -0.5, causal is not None)
    assert hopper.forward_reason(q, k, v, flash.empty_like_layout(q, 128), mask=bias.expand(b, h, s, s),
                                       opts=opts) is None
    fns = [ours_sdpa(Backend.FLASH, causal, None, True), torch_sdpa(causal, None, True), ref_sdpa(causal, None, True)]
    check_accuracy(*fns, [q, k, v, bias], dtype, gen, grad_mask=[True, True, True, False],
                   context=f"gluon bias {bias_shape} causal={causal}")
    bias[..., 5, :] = float("-inf")   # a row with no key left: output 0 and lse -inf, not NaN
    with flashsdpa.sdpa_kernel(Backend.FLASH):
        out, lse = _attention(q, k, v, bias, 0.0, causal is not None, None, False, "top_left")
    assert torch.equal(out[:, :, 5], torch.zeros_like(out[:, :, 5])) and (lse[:, :, 5] == float("-inf")).all()
    assert torch.isfinite(out).all() and torch.isfinite(lse[:, :, 6:]).all()


@lowp
@pytest.mark.parametrize("bias_shape", ["full", "heads", "2d"])
@pytest.mark.parametrize("causal", [None, "top_left"])
@pytest.mark.parametrize("dq_from_ds", [False, True], ids=["two_launches", "dq_from_ds"])
def test_hopper_backward_bias(dtype, bias_shape, causal, dq_from_ds, gen, monkeypatch):
    """The bias path of the Gluon backward (FLASHSDPA_HOPPER_BIAS_BACKWARD): a float attn_mask
    that needs a gradient, within the accuracy rule for q, k, v and the bias (its gradient summed
    over the broadcast dims), on a ragged length (rows and keys past S); with dQ from the stored
    dS (FLASHSDPA_HOPPER_DQ_FROM_DS, the default) and with the dQ launch storing it."""
    _gluon_path("BACKWARD", monkeypatch)
    monkeypatch.setattr(hopper, "BIAS_BACKWARD", True)
    monkeypatch.setattr(hopper, "DQ_FROM_DS", dq_from_ds)
    b, h, s = 2, 4, 1024 + 72
    q, k, v = (randn((b, h, s, 128), dtype, DEVICE, gen) for _ in range(3))
    shape = {"full": (b, h, s, s), "heads": (1, h, s, s), "2d": (s, s)}[bias_shape]
    bias = randn(shape, dtype, DEVICE, gen)
    opts = flash.ScoreOptions(128 ** -0.5, causal is not None)
    grads = [flash.empty_like_layout(t, 128) for t in (q, k, v)]
    assert hopper.backward_reason(q, k, v, q, q, grads, mask=bias.expand(b, h, s, s), opts=opts) is None
    fns = [ours_sdpa(Backend.FLASH, causal, None, True), torch_sdpa(causal, None, True), ref_sdpa(causal, None, True)]
    check_accuracy(*fns, [q, k, v, bias], dtype, gen, grad_mask=[True, True, True, True],
                   context=f"gluon backward bias {bias_shape} causal={causal}")


@pytest.mark.parametrize("causal, seq", [(False, 1096), (True, 2048 + 8)])
def test_hopper_dq_from_ds_matches_the_triton_kernels(causal, seq, gen, monkeypatch):
    """dQ from the stored dS (FLASHSDPA_HOPPER_DQ_FROM_DS), with GQA (each
    key-value head's group of query heads one GEMM) and poisoned gradients: dq, dk, dv and the
    dense dS agree with the Triton kernels' on the same inputs, every element written."""
    _gluon_path("BACKWARD", monkeypatch)
    from flashsdpa.kernels import hopper_backward
    monkeypatch.setattr(hopper, "BIAS_BACKWARD", True)
    gemms = []   # the path taken: its final GEMM runs once
    gemm = hopper_backward.dq_from_scores_gradient
    monkeypatch.setattr(hopper_backward, "dq_from_scores_gradient", lambda *args: gemms.append(1) or gemm(*args))
    b, h_q, h_kv = 2, 8, 2
    q = randn((b, h_q, seq, 128), torch.bfloat16, DEVICE, gen)
    k, v = (randn((b, h_kv, seq, 128), torch.bfloat16, DEVICE, gen) for _ in range(2))
    bias = randn((b, h_q, seq, seq), torch.bfloat16, DEVICE, gen)
    opts = flash.ScoreOptions(128 ** -0.5, causal)
    out, lse = flash.flash_forward(q, k, v, 0.0, False, 0, mask=bias, opts=opts)
    dout = randn(out.shape, torch.bfloat16, DEVICE, gen)
    results = []
    for gluon, from_ds in ((True, True), (False, False)):
        monkeypatch.setattr(hopper, "BACKWARD", gluon)
        monkeypatch.setattr(hopper, "DQ_FROM_DS", from_ds)
        grads = [torch.full_like(t, float("nan")) for t in (q, k, v)]
        results.append(flash.flash_backward(dout, q, k, v, out, lse, 0.0, False, 0, mask=bias, opts=opts,
                                            mask_grad=True, grads=grads))
    assert gemms == [1]
    for name, ours, theirs in zip(("dq", "dk", "dv", "dbias"), *results):
        assert torch.isfinite(ours).all(), name
        assert ((ours.float() - theirs.float()).norm() / theirs.float().norm()).item() < 1e-2, name


@pytest.mark.parametrize("causal, window, bias", [(True, None, False), (False, (300, 0), False),
                                                  (False, (100, 37), True), (True, None, True)])
def test_hopper_backward_skip_empty_changes_no_bit(causal, window, bias, gen, monkeypatch):
    """skip_empty (FLASHSDPA_HOPPER_SKIP_EMPTY) only passes over tiles whose every
    score is masked, whose products add exact zeros: dq, dk, dv and the bias's gradient equal bit
    for bit to computing them, on a ragged length with GQA."""
    _gluon_path("BACKWARD", monkeypatch)
    from flashsdpa.kernels import hopper_backward, hopper_forward
    b, h_q, h_kv, s, scale = 2, 8, 2, 2048 + 72, 128 ** -0.5
    q, dout = (randn((b, h_q, s, 128), torch.bfloat16, DEVICE, gen) for _ in range(2))
    k, v = (randn((b, h_kv, s, 128), torch.bfloat16, DEVICE, gen) for _ in range(2))
    mask = randn((b, h_q, s, s), torch.bfloat16, DEVICE, gen) if bias else None
    out, lse = torch.empty_like(q), torch.empty((b, h_q, s), device=DEVICE)
    hopper_forward.forward_launch(q, k, scale, causal, mask, window)(q, k, v, out, lse, mask)
    results = []
    for skip in (True, False):
        dq_launch, dkdv_launch = hopper_backward.backward_launches(q, k, scale, causal, mask, mask_grad=bias,
                                                                   window=window, skip_empty=skip)
        grads = [torch.full_like(t, float("nan")) for t in (q, k, v)]
        dbias = torch.zeros_like(mask) if bias else None   # tiles outside the band are not written
        stats = hopper_backward.row_stats(lse)
        dq_launch(q, k, v, out, dout, lse, stats, grads[0], mask, dbias)
        dkdv_launch(q, k, v, dout, stats, grads[1], grads[2], mask)
        results.append(grads + ([dbias] if bias else []))
    for ours, theirs in zip(*results):
        assert torch.isfinite(ours).all() and torch.equal(ours, theirs)


def test_hopper_forward_reasons():
    q = torch.empty(1, 2, 2048, 128, device=DEVICE, dtype=torch.bfloat16)

    def reason(q, k, v, out, opts=flash.ScoreOptions(1.0), **kwargs):
        return hopper.forward_reason(q, k, v, out, opts, **kwargs)
    if torch.cuda.get_device_capability()[0] != 9:
        assert "sm_90" in reason(q, q, q, q)
        return
    assert reason(q, q, q, q) is None
    assert "head dim of 64..256 in steps of 8" in reason(q[..., :48], q[..., :48], q[..., :48], q)
    assert reason(q[..., :96], q[..., :96], q[..., :96], q) is None   # through the D = 128 kernel
    assert reason(q[:, :, :1100], q[:, :, :1100], q[:, :, :1100], q) is None   # ragged: fine
    assert reason(q.transpose(1, 2).contiguous().transpose(1, 2), q, q, q) is None   # (B, S, H, D) memory
    assert "S_q = S_k" in reason(q, q[:, :, :1024], q[:, :, :1024], q)
    assert "S >= 512 causal" in reason(q[:, :, :500], q[:, :, :500], q[:, :, :500], q,
                                       opts=flash.ScoreOptions(1.0, is_causal=True))
    unaligned = torch.empty(1, 2, 2048, 132, device=DEVICE, dtype=torch.bfloat16)[..., :128]   # rows of 264 bytes
    assert "TMA" in reason(unaligned, q, q, q)
    assert "mask" in reason(q, q, q, q, mask=torch.ones(2048, 2048, device=DEVICE, dtype=torch.bool))
    assert "float16" in reason(q.float(), q.float(), q.float(), q)


@lowp
@pytest.mark.parametrize("causal", [None, "top_left", "bottom_right"])
def test_strided_bshd_inputs(dtype, causal, gen):
    _check(gen, dtype, 2, 16, 4, 1000, 1537, 128, 128, causal, layout="bshd")


@lowp
def test_slices_of_bigger_tensors(dtype, gen):
    tensors = [randn(s, dtype, DEVICE, gen) for s in ((3, 1100, 10, 160), (2, 1300, 4, 136), (2, 1300, 4, 136))]

    def view(q, k, v):
        return (q[1:3, 50:1050, 1:9, 10:138].transpose(1, 2), k[:, 7:1207, :2, :128].transpose(1, 2),
                v[:, 7:1207, 2:, 8:72].transpose(1, 2))
    fns = [with_views(f, view) for f in (ours_sdpa(Backend.FLASH, "top_left", None, True),
                                         torch_sdpa("top_left", None, True), ref_sdpa("top_left", None, True))]
    check_accuracy(*fns, tensors, dtype, gen, context="slices")


def test_fp32_ieee_is_near_fp32_precision(monkeypatch, gen):
    monkeypatch.setattr(torch.backends.cuda.matmul, "allow_tf32", False)
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)
    _check(gen, torch.float32, 2, 8, 4, 1000, 777, 64, 64, "top_left")
    _check(gen, torch.float32, 1, 4, 4, 513, 513, 128, 96, None)
    # and in absolute terms: fp32 level, far below tf32's ~1e-3
    q, k, v = (randn(s, torch.float32, DEVICE, gen) for s in ((1, 4, 1000, 128), (1, 4, 1000, 128), (1, 4, 1000, 128)))
    with flashsdpa.sdpa_kernel(Backend.FLASH):
        out = flashsdpa.scaled_dot_product_attention(q, k, v, is_causal=True)
    ref, _ = reference_attention(q, k, v, causal="top_left")
    assert ((out.double() - ref).norm() / ref.norm()).item() < 1e-5


def test_forward_memory_is_output_plus_lse(gen):
    b, h, s, d = 1, 16, 8192, 128
    q, k, v = (randn((b, h, s, d), torch.bfloat16, DEVICE, gen) for _ in range(3))
    with torch.no_grad(), flashsdpa.sdpa_kernel(Backend.FLASH):
        flashsdpa.scaled_dot_product_attention(q, k, v, is_causal=True)  # compile, warm caches
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        out = flashsdpa.scaled_dot_product_attention(q, k, v, is_causal=True)
        torch.cuda.synchronize()
        extra = torch.cuda.max_memory_allocated() - before
    out_bytes = out.numel() * out.element_size()
    lse_bytes = b * h * s * 4
    assert extra <= out_bytes + lse_bytes + (1 << 20), (extra, out_bytes, lse_bytes)


def test_64_bit_offsets(gen):
    """B*H*S*D > 2**31 elements per tensor (4.3 GB each in bf16): the last rows of the last
    head sit past element 2**31 of q, k, v, out, dq, dk, dv. Causal top-left, so the last 16
    keys are seen only by the last 16 queries: their output, dq, dk and dv equal those of the
    small sub-problem (last 16 queries of the last head, all its keys, bottom-right), which
    the float64 reference and torch can run."""
    b, h, s, d, last = 1, 128, 2**17 + 1, 128, 16
    assert b * h * s * d > 2**31
    free, _ = torch.cuda.mem_get_info()
    need = 8 * b * h * s * d * 2 + (4 << 30)
    if free < need:
        pytest.skip(f"needs {need / 2**30:.0f} GiB of free GPU memory, {free / 2**30:.0f} GiB free")
    dtype = torch.bfloat16
    q, k, v, dout = (torch.randn((b, h, s, d), generator=gen, device=DEVICE, dtype=dtype) for _ in range(4))
    leaves = [t.requires_grad_() for t in (q, k, v)]
    with flashsdpa.sdpa_kernel(Backend.FLASH):
        out = flashsdpa.scaled_dot_product_attention(*leaves, is_causal=True)
    out.backward(dout)
    got = [out[:, -1:, -last:], q.grad[:, -1:, -last:], k.grad[:, -1:, -last:], v.grad[:, -1:, -last:]]
    del out
    q_s, k_s, v_s = q[:, -1:, -last:].detach(), k[:, -1:].detach(), v[:, -1:].detach()
    d_s = dout[:, -1:, -last:]
    ref_leaves = make_leaves([q_s.double(), k_s.double(), v_s.double()])
    ref_out, ref_lse = reference_attention(*ref_leaves, causal="bottom_right")
    ref_grads = torch.autograd.grad(ref_out, ref_leaves, d_s.double(), retain_graph=True)
    shift = delta_rounding_shift(ref_lse, ref_leaves, d_s, got[0], ref_out)
    th_leaves = make_leaves([q_s, k_s, v_s])
    th_out = torch_sdpa("bottom_right")(*th_leaves)
    th_out.backward(d_s)
    ref = [ref_out, ref_grads[0], ref_grads[1][:, :, -last:], ref_grads[2][:, :, -last:]]
    theirs = [th_out, th_leaves[0].grad, th_leaves[1].grad[:, :, -last:], th_leaves[2].grad[:, :, -last:]]
    shift = [shift[0], shift[1][:, :, -last:], shift[2][:, :, -last:]]
    allow = [0.0] + [(sh.norm() / r.norm()).item() for sh, r in zip(shift, ref[1:])]
    problems = [accuracy_failure(name, o, r, t, dtype, allowance=a)
                for name, o, r, t, a in zip(("out", "dq", "dk", "dv"), got, ref, theirs, allow)]
    assert not any(problems), problems


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.integers(1, 3), heads_kv=st.integers(1, 4), group=st.sampled_from([1, 2, 4]),
       s_q=st.integers(1, 2100), s_k=st.integers(1, 2100),
       d_qk=st.sampled_from([16, 32, 40, 64, 72, 96, 128, 160, 200, 256]),
       d_v=st.sampled_from([16, 32, 40, 64, 72, 96, 128, 160, 200, 256]),
       causal=st.sampled_from([None, "top_left", "bottom_right"]), dtype=st.sampled_from(LOWP),
       layout=st.sampled_from(["bhsd", "bshd"]), seed=st.integers(0, 2**63 - 1))
def test_accuracy_property(batch, heads_kv, group, s_q, s_k, d_qk, d_v, causal, dtype, layout, seed):
    gen = generator_from_seed(DEVICE, seed)
    _check(gen, dtype, batch, heads_kv * group, heads_kv, s_q, s_k, d_qk, d_v, causal, layout)


@lowp
def test_flash_writes_every_output_element_gpu(dtype, gen):
    from helpers import nan_filled_allocations

    q, k, v = (randn(s, dtype, DEVICE, gen) for s in ((2, 8, 1001, 96), (2, 4, 777, 96), (2, 4, 777, 72)))
    with nan_filled_allocations():
        out, lse = flash.flash_forward(q, k, v, 1 / math.sqrt(96), True, 777 - 1001)
        dq, dk, dv, _ = flash.flash_backward(torch.randn_like(out), q, k, v, out, lse, 1 / math.sqrt(96), True, 777 - 1001)
    for name, t in (("out", out), ("dq", dq), ("dk", dk), ("dv", dv)):
        assert torch.isfinite(t).all(), name
    assert (lse[:, :, :224] == float("-inf")).all() and torch.isfinite(lse[:, :, 224:]).all()


@lowp
@pytest.mark.parametrize("dropout_p", [0.0, 0.1])
@pytest.mark.parametrize("head_dim", [64, 128])
def test_packed_qkv_gradient_equals_unpacked(dtype, dropout_p, head_dim, gen):
    """flash_attn_qkvpacked_func and flash_attn_kvpacked_func write their gradients whole
    (packed_calls.PackedFlashAttention): the same kernels on the same values as flash_attn_func on
    the views, so bit for bit the same output and gradients, dropout included (same seed)."""
    qkv = randn((2, 1000, 3, 4, head_dim), dtype, DEVICE, gen)
    dout = randn((2, 1000, 4, head_dim), dtype, DEVICE, gen)

    def run(fn, *tensors):
        leaves = [t.detach().clone().requires_grad_() for t in tensors]
        torch.manual_seed(7)
        with flashsdpa.sdpa_kernel([Backend.FLASH]):
            out = fn(*leaves, dropout_p=dropout_p, causal=True)
        out.backward(dout)
        return out, [leaf.grad for leaf in leaves]

    out_packed, (dqkv,) = run(flashsdpa.flash_attn_qkvpacked_func, qkv)
    out, grads = run(flashsdpa.flash_attn_func, qkv[:, :, 0], qkv[:, :, 1], qkv[:, :, 2])
    assert torch.equal(out_packed, out)
    assert torch.equal(dqkv, torch.stack(grads, dim=2))
    assert torch.isfinite(dqkv).all() and dqkv.abs().sum() > 0
    out_kvpacked, (dq, dkv) = run(flashsdpa.flash_attn_kvpacked_func, qkv[:, :, 0], qkv[:, :, 1:])
    assert torch.equal(out_kvpacked, out)
    assert torch.equal(dq, grads[0]) and torch.equal(dkv, torch.stack(grads[1:], dim=2))


@pytest.mark.gpu
@pytest.mark.parametrize("dropout_p", [0.0, 0.1])
@pytest.mark.parametrize("shape", [(8, 256, 6, 64), (2, 2048, 16, 128)], ids=["example", "gluon"])
def test_lean_plain_calls_equal_the_generic_path(gen, monkeypatch, dropout_p, shape):
    """A repeated public call on nanoGPT's q, k, v (views of one projection, (B, S, H, D) memory)
    takes backends/lean_calls.py's path, on the Triton kernels (the example's shape) and on the
    Gluon ones (D = 128, S = 2048), and computes what the first, generic call computed, bit for
    bit, with the same dropout seed."""
    batch, seq, heads, dim = shape
    lean_made = []
    apply = lean_calls.LeanFlashAttention.apply
    monkeypatch.setattr(lean_calls.LeanFlashAttention, "apply", lambda *a: lean_made.append(1) or apply(*a))
    x = torch.randn(batch, seq, 3 * heads * dim, device="cuda", dtype=torch.bfloat16, generator=gen)
    dout = torch.randn(batch, seq, heads, dim, device="cuda", dtype=torch.bfloat16, generator=gen).transpose(1, 2)

    def run():
        leaf = x.clone().requires_grad_()
        q, k, v = (t.view(batch, seq, heads, dim).transpose(1, 2) for t in leaf.split(heads * dim, dim=2))
        torch.cuda.manual_seed(1)
        out = flashsdpa.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p, is_causal=True)
        out.backward(dout)
        return out, leaf.grad
    assert_repeats_equal_the_first(run, lean_made)


def assert_repeats_equal_the_first(run, lean_made):
    """run() -> (out, grad): two more runs give the first's bits, and a lean path was taken."""
    want = run()
    for _ in range(2):
        got = run()
        assert torch.equal(got[0], want[0]) and torch.equal(got[1], want[1])
    assert lean_made, "no repeated call took the lean path"


@pytest.mark.gpu
@pytest.mark.parametrize("dropout_p", [0.0, 0.1])
def test_lean_packed_calls_equal_the_generic_path(gen, monkeypatch, dropout_p):
    """A repeated packed qkv call of the nanoGPT example's shape takes packed_calls.LeanPackedAttention
    (its kernels get addresses and offsets instead of views) and computes what the first, generic
    call computed, bit for bit, with the same dropout seed."""
    lean_made = []
    apply = packed_calls.LeanPackedAttention.apply
    monkeypatch.setattr(packed_calls.LeanPackedAttention, "apply", lambda *a: lean_made.append(1) or apply(*a))
    qkv = torch.randn(8, 256, 3, 6, 64, device="cuda", dtype=torch.bfloat16, generator=gen)
    dout = torch.randn(8, 256, 6, 64, device="cuda", dtype=torch.bfloat16, generator=gen)

    def run():
        leaf = qkv.clone().requires_grad_()
        torch.cuda.manual_seed(1)
        out = flashsdpa.flash_attn_qkvpacked_func(leaf, dropout_p=dropout_p, causal=True)
        out.backward(dout)
        return out, leaf.grad
    assert_repeats_equal_the_first(run, lean_made)
