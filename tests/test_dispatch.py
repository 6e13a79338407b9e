"""The dispatcher: why_not_flash, sdpa_kernel / sdp_kernel, forced-backend errors, the
fallback warning."""
from __future__ import annotations

import dataclasses
import threading
import warnings

import pytest
import torch
from torch.nn.attention import SDPBackend

import flashsdpa
from flashsdpa import Backend, NoBackendAvailableError, dispatch, functional
from flashsdpa.backends import support as support_module
from flashsdpa.backends.flash import ScoreOptions
from flashsdpa.inputs import describe_call
from helpers import randn

ALL = frozenset(Backend)


def qkv(gen, device, dtype=torch.float16, d=16, d_v=None):
    return (randn((1, 2, 9, d), dtype, device, gen), randn((1, 2, 11, d), dtype, device, gen),
            randn((1, 2, 11, d_v or d), dtype, device, gen))


# ----------------------------------------------------------------------------- why_not_flash


@pytest.mark.parametrize("dtype", [torch.float16, torch.float32])
def test_why_not_flash_empty_for_supported_call(dtype, device, gen):
    q, k, v = qkv(gen, device, dtype)
    assert flashsdpa.why_not_flash(q, k, v) == []
    assert flashsdpa.why_not_flash(q, k, v, is_causal=True, scale=0.3) == []
    q4 = randn((1, 4, 9, 16), dtype, device, gen)
    assert flashsdpa.why_not_flash(q4, k, v, enable_gqa=True) == []


def _reasons(gen, device, **overrides):
    q, k, v = qkv(gen, device, overrides.pop("dtype", torch.float16), overrides.pop("d", 16))
    return flashsdpa.why_not_flash(q, k, v, **overrides)


@pytest.mark.parametrize("feature", ["dropout", "bool mask", "float mask", "float mask with grad", "window",
                                     "alibi", "softcap", "all"])
def test_why_not_flash_has_nothing_to_say_about_features(feature, device, gen):
    """Masks (with gradient), dropout, windows, ALiBi and softcap all run in the flash kernel."""
    bool_mask = torch.rand(1, 1, 1, 11, device=device) > 0.5
    float_mask = torch.randn(9, 11, dtype=torch.float16, device=device)
    options = {"dropout": dict(dropout_p=0.1), "bool mask": dict(attn_mask=bool_mask),
               "float mask": dict(attn_mask=float_mask),
               "float mask with grad": dict(attn_mask=float_mask.requires_grad_()),
               "window": dict(window_size=(3, 0)), "alibi": dict(alibi_slopes=torch.rand(2, device=device)),
               "softcap": dict(softcap=20.0)}
    if feature == "all":
        kwargs = {**options["dropout"], **options["float mask with grad"], **options["window"],
                  **options["alibi"], **options["softcap"], "is_causal": True}
    else:
        kwargs = options[feature]
    assert _reasons(gen, device, **kwargs) == []


def test_why_not_flash_float64(device, gen):
    reasons = _reasons(gen, device, dtype=torch.float64)
    assert len(reasons) == 1 and "float64" in reasons[0] and "dtype" in reasons[0]


def test_why_not_flash_head_dim(device, gen):
    reasons = _reasons(gen, device, d=600)
    assert len(reasons) == 1 and "head dim" in reasons[0] and "600" in reasons[0] and "512" in reasons[0]
    assert _reasons(gen, device, d=512) == []


def test_why_not_flash_value_head_dim(device, gen):
    q, k, v = qkv(gen, device, torch.float16, 16, d_v=520)
    reasons = flashsdpa.why_not_flash(q, k, v)
    assert len(reasons) == 1 and "520" in reasons[0]


def test_why_not_flash_disabled(device, gen):
    with flashsdpa.sdpa_kernel(Backend.MATH):
        reasons = _reasons(gen, device)
    assert len(reasons) == 1 and "disabled" in reasons[0]


def test_why_not_flash_lists_every_reason(device, gen):
    q, k, v = qkv(gen, device, torch.float64, 600)
    with flashsdpa.sdpa_kernel(Backend.MATH):
        reasons = flashsdpa.why_not_flash(q, k, v, attn_mask=torch.ones(9, 11, dtype=torch.bool, device=device),
                                          dropout_p=0.5)
    text = " | ".join(reasons)
    assert len(reasons) == 3
    for word in ("disabled", "float64", "600"):
        assert word in text


def test_why_not_flash_validates_arguments(device, gen):
    q, k, v = qkv(gen, device)
    with pytest.raises(ValueError, match="dropout_p"):
        flashsdpa.why_not_flash(q, k, v, dropout_p=2.0)


def test_automatic_choice_runs_flash_when_it_can(monkeypatch, device, gen):
    """No context: FLASH runs the supported calls (with a mask too), MATH the float64 one."""
    ran = []

    def recording(backend, original):
        def prepare(call):
            run = original(call)

            def recorded(*args):
                ran.append(backend)
                return run(*args)
            return recorded
        return prepare

    monkeypatch.setattr(functional, "_PREPARED", {})  # runners prepared by earlier tests are not recorded
    for backend, impl in dispatch.IMPLEMENTATIONS.items():
        monkeypatch.setattr(impl, "prepare", recording(backend, impl.prepare))
    q, k, v = qkv(gen, device)
    flashsdpa.scaled_dot_product_attention(q, k, v)
    flashsdpa.scaled_dot_product_attention(q, k, v, attn_mask=torch.ones(9, 11, dtype=torch.bool, device=device))
    flashsdpa.scaled_dot_product_attention(q.double(), k.double(), v.double())
    assert ran == [Backend.FLASH, Backend.FLASH, Backend.MATH]


# ----------------------------------------------------------------------------- forcing


def test_forcing_flash_for_unsupported_call_lists_both_backends(device, gen):
    q, k, v = qkv(gen, device)
    with flashsdpa.sdpa_kernel(Backend.FLASH):
        with pytest.raises(NoBackendAvailableError) as info:
            flashsdpa.scaled_dot_product_attention(q.double(), k.double(), v.double(), dropout_p=0.2)
    message = str(info.value)
    assert "FLASH:" in message and "MATH:" in message
    flash_line = next(line for line in message.splitlines() if "FLASH:" in line)
    math_line = next(line for line in message.splitlines() if "MATH:" in line)
    assert "float64" in flash_line and "dropout" not in flash_line
    assert "disabled" in math_line
    assert isinstance(info.value, RuntimeError)


def test_forcing_flash_with_several_reasons(device, gen):
    q, k, v = qkv(gen, device, torch.float64, 600)
    mask = torch.zeros(9, 11, dtype=torch.float64, device=device)
    with flashsdpa.sdpa_kernel([Backend.FLASH]), pytest.raises(NoBackendAvailableError) as info:
        flashsdpa.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    flash_line = next(line for line in str(info.value).splitlines() if "FLASH:" in line)
    assert "float64" in flash_line and "600" in flash_line


def test_forcing_math_runs_math(device, gen):
    q, k, v = qkv(gen, device, torch.float64)
    with flashsdpa.sdpa_kernel(Backend.MATH):
        out = flashsdpa.scaled_dot_product_attention(q, k, v)
    assert out.dtype == torch.float64


# ----------------------------------------------------------------------------- sdpa_kernel


def test_sdpa_kernel_restores_state():
    assert dispatch.enabled_backends() == ALL
    with flashsdpa.sdpa_kernel(Backend.MATH):
        assert dispatch.enabled_backends() == {Backend.MATH}
    assert dispatch.enabled_backends() == ALL


def test_sdpa_kernel_restores_state_after_exception():
    with pytest.raises(KeyError):
        with flashsdpa.sdpa_kernel([Backend.FLASH]):
            raise KeyError("boom")
    assert dispatch.enabled_backends() == ALL


def test_sdpa_kernel_nests():
    with flashsdpa.sdpa_kernel([Backend.FLASH, Backend.MATH]):
        with flashsdpa.sdpa_kernel(Backend.MATH):
            assert dispatch.enabled_backends() == {Backend.MATH}
            with flashsdpa.sdpa_kernel((Backend.FLASH,)):
                assert dispatch.enabled_backends() == {Backend.FLASH}
            assert dispatch.enabled_backends() == {Backend.MATH}
        assert dispatch.enabled_backends() == ALL
    assert dispatch.enabled_backends() == ALL


def test_sdpa_kernel_is_thread_local(device, gen):
    q, k, v = qkv(gen, device)
    inside, outside_done = threading.Event(), threading.Event()
    seen = {}

    def other_thread():
        inside.wait(10)
        seen["enabled"] = dispatch.enabled_backends()
        seen["why"] = flashsdpa.why_not_flash(q, k, v)
        with flashsdpa.sdpa_kernel(Backend.FLASH):
            seen["own"] = dispatch.enabled_backends()
        outside_done.set()

    thread = threading.Thread(target=other_thread)
    thread.start()
    with flashsdpa.sdpa_kernel(Backend.MATH):
        inside.set()
        assert outside_done.wait(10)
        assert dispatch.enabled_backends() == {Backend.MATH}  # the other thread's context did not leak in
    thread.join()
    assert seen["enabled"] == ALL
    assert seen["why"] == []
    assert seen["own"] == {Backend.FLASH}


def test_sdp_kernel_boolean_form(device, gen):
    q, k, v = qkv(gen, device)
    with flashsdpa.sdp_kernel(enable_flash=False, enable_math=True):
        assert dispatch.enabled_backends() == {Backend.MATH}
        assert any("disabled" in r for r in flashsdpa.why_not_flash(q, k, v))
    with flashsdpa.sdp_kernel(enable_flash=True, enable_math=False, enable_mem_efficient=False, enable_cudnn=False):
        assert dispatch.enabled_backends() == {Backend.FLASH}
    assert dispatch.enabled_backends() == ALL
    with pytest.raises(ValueError, match="enable_flash"):
        flashsdpa.sdp_kernel(enable_flash=False, enable_math=False)


def test_sdpa_kernel_accepts_torch_backends():
    with flashsdpa.sdpa_kernel(SDPBackend.MATH):
        assert dispatch.enabled_backends() == {Backend.MATH}
    with flashsdpa.sdpa_kernel([SDPBackend.FLASH_ATTENTION]):
        assert dispatch.enabled_backends() == {Backend.FLASH}
    with flashsdpa.sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.MATH]):
        assert dispatch.enabled_backends() == ALL


@pytest.mark.parametrize("bad", [SDPBackend.EFFICIENT_ATTENTION, SDPBackend.CUDNN_ATTENTION, "flash", 0])
def test_sdpa_kernel_rejects_other_backends(bad):
    with pytest.raises(ValueError, match="backends must be") as info:
        with flashsdpa.sdpa_kernel([Backend.MATH, bad]):
            pass
    assert repr(bad) in str(info.value)
    assert dispatch.enabled_backends() == ALL


def test_sdpa_kernel_rejects_empty_list():
    with pytest.raises(ValueError, match="at least one"):
        with flashsdpa.sdpa_kernel([]):
            pass


# ----------------------------------------------------------------------------- fallback warning


def test_no_fallback_warning_off_cuda(device, gen):
    """MATH chosen implicitly (float64, head dim 600) warns only on CUDA devices."""
    if device == "cuda":
        pytest.skip("on CUDA the fallback warns; see test_fallback_warning_once_per_reason")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        flashsdpa.scaled_dot_product_attention(*qkv(gen, device, torch.float64))
        flashsdpa.scaled_dot_product_attention(*qkv(gen, device, torch.float32, 600))


def test_no_warning_when_math_is_forced(monkeypatch, cpu_gen):
    """Inside sdpa_kernel(MATH) nothing falls back, so nothing warns, even on CUDA."""
    monkeypatch.setattr(dispatch, "_warned", set())
    monkeypatch.setattr(support_module, "cuda_capability", lambda index=None: (9, 0))
    q, k, v = qkv(cpu_gen, "cpu")
    call = dataclasses.replace(describe_call(q, k, v), device=torch.device("cuda"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with flashsdpa.sdpa_kernel(Backend.MATH):
            assert dispatch.select(call) is dispatch.IMPLEMENTATIONS[Backend.MATH]


def test_fallback_warning_once_per_reason(monkeypatch, cpu_gen):
    """A call described as on a CUDA device (of capability 9.0) falls back to MATH because of
    its head dim: it warns once per distinct reason string."""
    monkeypatch.setattr(dispatch, "_warned", set())
    monkeypatch.setattr(support_module, "cuda_capability", lambda index=None: (9, 0))

    def cuda_call(d=16):
        return dataclasses.replace(describe_call(*qkv(cpu_gen, "cpu", d=d)), device=torch.device("cuda"))

    with pytest.warns(UserWarning, match="head dim 600") as record:
        assert dispatch.select(cuda_call(600)) is dispatch.IMPLEMENTATIONS[Backend.MATH]
    assert len(record) == 1 and "MATH" in str(record[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dispatch.select(cuda_call(600))  # same reason: silent
        assert dispatch.select(cuda_call()) is dispatch.IMPLEMENTATIONS[Backend.FLASH]  # no fallback: silent
    with pytest.warns(UserWarning, match="700"):
        dispatch.select(cuda_call(700))  # another reason string


def test_fallback_warning_below_capability(monkeypatch, cpu_gen):
    monkeypatch.setattr(dispatch, "_warned", set())
    monkeypatch.setattr(support_module, "cuda_capability", lambda index=None: (7, 5))
    q, k, v = qkv(cpu_gen, "cpu")
    call = dataclasses.replace(describe_call(q, k, v), device=torch.device("cuda"))
    with pytest.warns(UserWarning, match="capability 7.5"):
        assert dispatch.select(call) is dispatch.IMPLEMENTATIONS[Backend.MATH]


def test_warn_fallback_directly(monkeypatch):
    monkeypatch.setattr(dispatch, "_warned", set())
    with pytest.warns(UserWarning, match="reason a"):
        dispatch._warn_fallback(["reason a"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dispatch._warn_fallback(["reason a"])
    with pytest.warns(UserWarning, match="reason a; reason b"):
        dispatch._warn_fallback(["reason a", "reason b"])


def test_hopper_forward_rules_on_any_machine():
    """Which forward calls the Gluon Hopper kernel takes (the rules alone, with the GPU
    generation passed in: the kernel itself runs in the GPU suite, tests/test_gpu.py)."""
    from flashsdpa.kernels import hopper_forward as hopper

    def reason(q, k=None, v=None, capability=(9, 0), features=False, causal=False):
        return hopper.unsupported_reason(q, q if k is None else k, q if v is None else v, capability, features,
                                         causal)
    q = torch.empty(2, 4, 2048, 128, dtype=torch.bfloat16)
    assert reason(q) is None and reason(q, causal=True) is None
    assert reason(q.transpose(1, 2).contiguous().transpose(1, 2)) is None        # (B, S, H, D) memory
    assert reason(q[:, :, :1100]) is None                                        # ragged length
    assert reason(q[:, :2], q[:, :1], q[:, :1]) is None                          # GQA
    assert "sm_90" in reason(q, capability=(8, 0)) and "sm_90" in reason(q, capability=(10, 0))
    assert "float16" in reason(q.float())
    assert "head dim of 64..256 in steps of 8" in reason(q[..., :48])
    assert reason(q[..., :96]) is None and reason(q[..., :64]) is None           # on D = 128 / 64 tiles
    d256 = torch.empty(2, 4, 2048, 256, dtype=torch.bfloat16)
    assert reason(d256) is None and reason(d256[..., :200]) is None              # on D = 256 tiles
    assert "S >= 512 full at head dim 256" in reason(d256[:, :, :500])
    assert "head dim" in reason(torch.empty(2, 4, 2048, 264, dtype=torch.bfloat16))
    assert "S_q = S_k" in reason(q, q[:, :, :1024], q[:, :, :1024])
    assert "S >= 512 full" in reason(q[:, :, :500]) and "S >= 512 causal" in reason(q[:, :, :500], causal=True)
    assert "S >= 4096 causal at head dim 64" in reason(q[..., :64], causal=True)   # MIN_SEQ by head dim
    assert "mask" in reason(q, features=True)
    assert "TMA" in reason(torch.empty(2, 4, 2048, 132, dtype=torch.bfloat16)[..., :128])   # rows of 264 bytes
    broadcast = torch.empty(1, 1, 2048, 128, dtype=torch.bfloat16).expand(2, 4, 2048, 128)   # stride 0
    assert "TMA" in reason(q, broadcast, broadcast)
    assert not hopper.tma_compatible(torch.empty(4, 4, 4, 129, dtype=torch.float16)[..., 1:])   # start off by 2 bytes


def test_hopper_bias_rules_on_any_machine():
    """Which float masks the Gluon forward's bias path takes."""
    from flashsdpa.kernels import hopper_forward as hopper
    q = torch.empty(2, 4, 1024, 128, dtype=torch.bfloat16)
    full = torch.empty(2, 4, 1024, 1024, dtype=torch.bfloat16)
    assert hopper.bias_reason(full, q) is None
    assert hopper.bias_reason(torch.empty(1024, 1024, dtype=torch.bfloat16).expand(2, 4, 1024, 1024), q) is None
    assert hopper.bias_reason(torch.empty(1, 4, 1024, 1024, dtype=torch.bfloat16).expand(2, 4, 1024, 1024), q) is None
    assert "q's dtype" in hopper.bias_reason(full.float(), q)
    key_padding = torch.empty(2, 1, 1, 1024, dtype=torch.bfloat16).expand(2, 4, 1024, 1024)
    assert "key padding" in hopper.bias_reason(key_padding, q)
    assert "16-byte" in hopper.bias_reason(torch.empty(2, 4, 1024, 1027, dtype=torch.bfloat16)[..., :1024], q)
    assert "unit stride" in hopper.bias_reason(full.transpose(2, 3), q)
    assert "head dims up to 128" in hopper.bias_reason(full, torch.empty(2, 4, 1024, 256, dtype=torch.bfloat16))
    descriptor, along_batch, along_heads = hopper.bias_descriptor(
        torch.empty(1024, 1024, dtype=torch.bfloat16).expand(2, 4, 1024, 1024), 64, 128)
    assert (along_batch, along_heads) == (0, 0) and list(descriptor.shape) == [1, 1, 1024, 1024]
    assert descriptor.block_shape == [1, 1, 64, 128] and descriptor.strides == [1024 * 1024, 1024 * 1024, 1024, 1]
    assert hopper.bias_descriptor(full, 64, 64)[1:] == (1, 1)


def test_hopper_backward_rules_on_any_machine():
    """Which backward calls the Gluon backward takes: the rules alone."""
    from flashsdpa.kernels import hopper_backward as hopper

    def reason(q, k=None, v=None, dout=None, capability=(9, 0), features=False):
        k, v, dout = (q if t is None else t for t in (k, v, dout))
        return hopper.unsupported_reason(q, k, v, dout, capability, features)
    q = torch.empty(2, 4, 1000, 128, dtype=torch.bfloat16)
    assert "B * H * S^2 >= 2^26" in reason(q)                                   # small: Triton is faster
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hopper, "MIN_SCORES", 0)
        assert reason(q) is None                                                    # ragged length
        assert reason(q.transpose(1, 2).contiguous().transpose(1, 2)) is None        # (B, S, H, D) memory
        assert reason(q[:, :2], q[:, :1], q[:, :1]) is None                          # GQA
        assert "sm_90" in reason(q, capability=(8, 0))
        assert "float16" in reason(q.float(), q.float(), q.float(), q.float())
        assert "head dim of 72..128 in steps of 8" in reason(q[..., :64])
        assert "S_q = S_k" in reason(q, q[:, :, :999], q[:, :, :999])
        assert "mask" in reason(q, features=True)
        assert "TMA" in reason(q, dout=torch.empty(2, 4, 1000, 132, dtype=torch.bfloat16)[..., :128])
        assert "TMA" in reason(q, dout=torch.empty((), dtype=torch.bfloat16).expand(2, 4, 1000, 128))  # out.sum()'s dout


def test_skip_empty_rule(monkeypatch):
    """skip_empty's default takes narrow bands only (where it measured faster), the flag all or none."""
    from flashsdpa.backends import hopper
    monkeypatch.setattr(hopper, "SKIP_EMPTY", "auto")   # the default, whatever the environment says
    assert [hopper.skip_empty(band) for band in (None, (128, 0), (512, 0), (300, 212), (1024, 0), (8192, 0))] == \
        [False, True, True, True, False, False]
    monkeypatch.setattr(hopper, "SKIP_EMPTY", True)
    assert hopper.skip_empty((4096, 0)) and hopper.skip_empty(None)
    monkeypatch.setattr(hopper, "SKIP_EMPTY", False)
    assert not hopper.skip_empty((128, 0))


def test_hopper_backward_reason():
    from flashsdpa.backends import flash, hopper
    q = torch.empty(1, 2, 2048, 128, dtype=torch.bfloat16)
    opts = flash.ScoreOptions(1.0)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hopper, "BACKWARD", False)
        assert "FLASHSDPA_HOPPER_BACKWARD=0" in hopper.backward_reason(q, q, q, q, q, (q, q, q), opts)
        patch.setattr(hopper, "BACKWARD", True)
        assert "CUDA" in hopper.backward_reason(q, q, q, q, q, (q, q, q), opts)


def test_hopper_backward_takes_head_dim_64_only_with_the_fused_dq(monkeypatch):
    """At D = 64 the Gluon backward's two launches lose to the Triton kernels; the fused dQ wins
    from FUSED_DQ_MIN_SEQ_64 keys (no window, no GQA): only those calls go to it."""
    from flashsdpa.backends import flash, hopper
    from flashsdpa.kernels import hopper_backward, hopper_forward
    monkeypatch.setattr(hopper, "gluon_kernels", lambda device: ((9, 0), hopper_forward, hopper_backward))
    monkeypatch.setattr(hopper, "FUSED_DQ", "auto")
    monkeypatch.setattr(hopper_backward, "MIN_SCORES", 0)   # the rule alone, at any size

    def reason(seq, causal=False, heads_kv=8, d=64):   # 8 heads: enough work for the Gluon kernels
        q = torch.empty(1, 8, seq, d, dtype=torch.bfloat16)
        k = torch.empty(1, heads_kv, seq, d, dtype=torch.bfloat16)
        return hopper.backward_reason(q, k, k, q, q, (q, k, k), flash.ScoreOptions(d ** -0.5, causal))
    long = hopper.FUSED_DQ_MIN_SEQ_64
    assert reason(long) is None and reason(long, causal=True) is None
    assert "head dim" in reason(long - 8) and "head dim" in reason(long, heads_kv=4)
    assert reason(long - 8, d=128) is None
    monkeypatch.setattr(hopper, "FUSED_DQ", True)    # fused everywhere: D = 64 still only where it wins
    assert reason(long) is None and "head dim" in reason(long - 8)
    monkeypatch.setattr(hopper, "FUSED_DQ", False)
    assert "head dim" in reason(long)


def test_hopper_backward_takes_dropout_where_measured_faster(monkeypatch):
    """Dropout reaches the Gluon backward by default (hopper.DROPOUT "auto") for causal calls at
    D = 128, where it measured faster than the Triton kernels; with FLASHSDPA_HOPPER_DROPOUT=1 at
    D = 128, and D = 64 (at any length) through the fused dQ, which deterministic algorithms rule
    out (it adds with atomics); never with a mask or window."""
    from flashsdpa.backends import flash, hopper
    from flashsdpa.kernels import hopper_backward, hopper_forward
    monkeypatch.setattr(hopper, "gluon_kernels", lambda device: ((9, 0), hopper_forward, hopper_backward))
    monkeypatch.setattr(hopper, "FUSED_DQ", "auto")
    monkeypatch.setattr(hopper_backward, "MIN_SCORES", 0)   # the rule alone, at any size

    def reason(d=128, window=(-1, -1), dropout_p=0.1, seq=2048, mask=None, causal=True):
        q = torch.empty(1, 8, seq, d, dtype=torch.bfloat16)
        opts = flash.ScoreOptions(d ** -0.5, causal, window=window, dropout_p=dropout_p)
        return hopper.backward_reason(q, q, q, q, q, (q, q, q), opts, mask)
    assert hopper.DROPOUT == "auto"   # the shipped default
    assert reason() is None and "dropout" in reason(causal=False) and reason(d=64) is not None
    assert "dropout" in reason(window=(256, 0))
    monkeypatch.setattr(hopper, "DROPOUT", False)
    assert "dropout" in reason() and reason(dropout_p=0.0) is None
    monkeypatch.setattr(hopper, "DROPOUT", True)
    assert reason() is None and reason(d=64) is None and reason(d=64, seq=1024) is None
    assert "dropout" in reason(d=96) and "dropout" in reason(window=(256, 0))
    assert "dropout" in reason(mask=torch.empty(1, 8, 2048, 2048, dtype=torch.bfloat16))
    assert hopper.dropout_taken(flash.ScoreOptions(1.0, dropout_p=0.1), None, 128)
    torch.use_deterministic_algorithms(True)
    try:
        assert reason() is None and reason(d=64) is not None   # D = 64 runs only with the fused dQ
    finally:
        torch.use_deterministic_algorithms(False)


def test_hopper_forward_reason_off_gpu():
    from flashsdpa.backends import flash, hopper
    q = torch.empty(1, 2, 2048, 128, dtype=torch.bfloat16)
    assert "CUDA" in hopper.forward_reason(q, q, q, q, flash.ScoreOptions(1.0))


def test_feature_tiles_keep_head_dim_256_spill_free():
    """A mask or dropout shrinks the forward's tiles; above head dim 128 to 64x32 with 4 warps
    (64x64 spills at D = 256), whatever the unmasked table entry is."""
    from flashsdpa.kernels import configs
    wide = configs.forward_config((9, 0), 2, 256, 256)
    assert (wide.block_m, wide.block_n, wide.num_warps) == (128, 64, 8)
    for mask_2d, dropout in ((True, False), (False, True), (True, True)):
        cfg = configs.for_mask_tiles(wide, mask_2d, dropout, head_dim=256)
        assert (cfg.block_m, cfg.block_n, cfg.num_warps, cfg.num_stages) == (64, 32, 4, 2)
    narrow = configs.for_mask_tiles(configs.forward_config((9, 0), 2, 128, 128, seq_k=8192), True, False)
    assert (narrow.block_m, narrow.block_n) == (64, 64) and narrow.num_stages <= 2


def test_fused_dq_rule():
    """By default the fused dQ runs where it measured faster: head dim 128 without a window or
    dropout over at least FUSED_DQ_MIN_SEQ keys (full attention) or FUSED_DQ_MIN_SEQ_CAUSAL
    (causal, no GQA), and head dim 64 without a window or GQA over at least FUSED_DQ_MIN_SEQ_64
    keys (causal too)."""
    from flashsdpa.backends import hopper
    full, causal = ScoreOptions(0.1, False, 0), ScoreOptions(0.1, True, 0)
    long = hopper.FUSED_DQ_MIN_SEQ
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hopper, "FUSED_DQ", "auto")
        assert hopper.fused_dq(full, None, long, 128)
        assert not hopper.fused_dq(full, None, long - 1, 128)
        assert not hopper.fused_dq(full, (long, 0), long, 128)    # a window
        long_causal = hopper.FUSED_DQ_MIN_SEQ_CAUSAL
        assert hopper.fused_dq(causal, None, long_causal, 128)
        assert not hopper.fused_dq(causal, None, long_causal - 1, 128)
        assert not hopper.fused_dq(causal, None, long_causal, 128, same_heads=False)   # GQA
        dropout = ScoreOptions(0.1, True, 0, dropout_p=0.1)       # two launches measured faster
        assert not hopper.fused_dq(dropout, None, long_causal, 128)
        long_64 = hopper.FUSED_DQ_MIN_SEQ_64
        assert not hopper.fused_dq(full, None, long_64 - 1, 64)
        assert hopper.fused_dq(full, None, long_64, 64) and hopper.fused_dq(causal, None, long_64, 64)
        assert not hopper.fused_dq(causal, None, long_64, 64, same_heads=False)
        assert not hopper.fused_dq(causal, (long_64, 0), long_64, 64)
        patch.setattr(hopper, "FUSED_DQ", True)
        assert hopper.fused_dq(causal, None, 1024, 128) and hopper.fused_dq(causal, None, 1024, 64)
        assert not hopper.fused_dq_wins(causal, None, long_64 - 8, 64)   # what routes D = 64 to the Gluon backward
        patch.setattr(hopper, "FUSED_DQ", False)
        assert not hopper.fused_dq(full, None, long, 128) and not hopper.fused_dq(full, None, long_64, 64)


def test_fused_dq_and_dq_from_ds_yield_to_deterministic_mode_in_the_plan():
    """Under torch.use_deterministic_algorithms(True) the Gluon backward runs its two launches:
    no fp32 adds in a varying order (fused dQ), no cuBLAS GEMM that torch would refuse without
    CUBLAS_WORKSPACE_CONFIG (dQ from the stored dS); the plans are keyed by the mode."""
    from flashsdpa.backends import hopper
    bias = torch.empty(2, 4, 1024, 1024, dtype=torch.bfloat16)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hopper, "FUSED_DQ", True)
        patch.setattr(hopper, "DQ_FROM_DS", True)
        full = ScoreOptions(0.1, False, 0)
        assert hopper.fused_dq(full, None, 1024, 128) and hopper.dq_from_ds(True, True, 1024, bias)
        assert not hopper.dq_from_ds(True, True, 1021, bias)   # dS rows TMA can store: 16-byte aligned
        free = hopper.backward_switches()
        torch.use_deterministic_algorithms(True)
        try:
            assert not hopper.fused_dq(full, None, 1024, 128) and not hopper.dq_from_ds(True, True, 1024, bias)
            assert hopper.backward_switches() != free
        finally:
            torch.use_deterministic_algorithms(False)


@pytest.mark.parametrize("window, causal, diag_off, band", [
    ((256, -1), True, 0, (256, 0)),        # causal folds into the right edge
    ((100, 20), False, 0, (100, 20)),
    ((100, 20), True, 0, (100, 0)),
    ((-1, 300), False, 0, (5000, 300)),    # S = 5000 stands for unbounded
    ((1024, -1), False, 0, (1024, 5000)),
    ((9000, 9000), False, 0, (5000, 5000)),
    ((-1, -1), True, 0, None),             # no window: the plain causal kernel
    ((100, 0), False, 3, None),            # a diagonal offset: the Gluon kernels take none
])
def test_gluon_window_band(window, causal, diag_off, band):
    """The (left, right) band a windowed call hands the Gluon kernels, and that the window then
    no longer counts as a feature they refuse."""
    from flashsdpa.backends import flash, hopper
    q = torch.empty(1, 1, 5000, 8)
    opts = flash.ScoreOptions(1.0, causal, diag_off, window)
    assert hopper.band(opts, q) == band
    taken = band is not None
    assert hopper.has_score_features(None, None, opts, taken) == (window != (-1, -1) and not taken)


def test_gluon_forward_persistent_rule():
    """The persistent grid runs every Gluon forward; its flags turn it off for all calls, or for
    the plain causal ones only."""
    from flashsdpa.backends import flash, hopper
    q = torch.empty(1, 1, 4096, 8)
    cases = ((False, (-1, -1)), (True, (-1, -1)), (True, (1024, -1)), (False, (100, 20)))
    with pytest.MonkeyPatch.context() as patch:
        for everything, causal_too in ((True, True), (True, False), (False, True)):
            patch.setattr(hopper, "PERSISTENT", everything)
            patch.setattr(hopper, "PERSISTENT_CAUSAL", causal_too)
            for causal, window in cases:
                opts = flash.ScoreOptions(1.0, causal, 0, window)
                plain_causal = causal and window == (-1, -1)
                expected = everything and (causal_too or not plain_causal)
                assert hopper.persistent(opts, hopper.band(opts, q)) == expected


def test_gluon_forward_consumer_count_rule():
    """Three consumer warpgroups only where the kernel takes them (head dim 64 tiles, no float
    mask) and only when asked (off by default: measured slower); the count keys the plans."""
    from flashsdpa.backends import hopper
    from flashsdpa.kernels import hopper_forward
    q64, q128 = torch.empty(1, 1, 4096, 64), torch.empty(1, 1, 4096, 128)
    bias = torch.empty(1, 1, 4096, 4096)
    assert hopper_forward.consumers_reason(64) is None
    assert "head dim 64" in hopper_forward.consumers_reason(128)
    assert "float mask" in hopper_forward.consumers_reason(64, bias)
    assert hopper.consumers(q64, None, hopper_forward) == 2   # the default
    with pytest.MonkeyPatch.context() as patch:
        before = hopper.forward_switches()
        patch.setattr(hopper, "CONSUMERS", 3)
        assert hopper.forward_switches() != before
        assert hopper.consumers(q64, None, hopper_forward) == 3
        assert hopper.consumers(q128, None, hopper_forward) == 2
        assert hopper.consumers(q64, bias, hopper_forward) == 2
        patch.setattr(hopper, "CONSUMERS", "auto")
        patch.setattr(hopper, "THREE_CONSUMERS", True)
        assert hopper.consumers(q64, None, hopper_forward) == 3


def test_gluon_forward_half_tiles_rule():
    """Edge tiles on half their keys only where a block has edges (causal or a window), on D = 128
    tiles (D = 64 measured slower; D = 256 stages hold 64 keys) and without a float mask; the
    switch keys the plans."""
    from flashsdpa.backends import hopper
    from flashsdpa.kernels import hopper_forward
    bias = torch.empty(1, 1, 4096, 4096)
    assert hopper_forward.half_tiles_reason(128, True) is None
    assert hopper_forward.half_tiles_reason(96, False, (1024, 0)) is None
    assert "no causal mask or window" in hopper_forward.half_tiles_reason(128, False)
    for d in (64, 40, 200, 256):
        assert "D = 128 tiles only" in hopper_forward.half_tiles_reason(d, True)
    assert "float mask" in hopper_forward.half_tiles_reason(128, True, None, bias)
    assert hopper.HALF_TILES   # on by default
    with pytest.MonkeyPatch.context() as patch:
        before = hopper.forward_switches()
        patch.setattr(hopper, "HALF_TILES", False)
        assert hopper.forward_switches() != before


def test_gluon_head_dims_between_64_and_128_pad_the_box_not_the_tensor():
    """Head dims the Gluon kernels may take by reading zero columns: the TMA box is 128 wide over
    the tensor's own D (its descriptor shape), the rules accept them only where HEAD_DIMS lists
    them, and a D whose rows are not 16-byte aligned is refused as TMA cannot address it."""
    from flashsdpa.kernels import hopper_common, hopper_forward
    assert [hopper_common.padded_head_dim(d) for d in (8, 64, 72, 96, 128)] == [64, 64, 128, 128, 128]
    q = torch.empty(2, 4, 2048, 96, dtype=torch.bfloat16)
    desc = hopper_common.descriptor(q, 64)
    assert desc.shape == [2, 4, 2048, 96] and desc.block_shape == [1, 1, 64, 128]
    assert hopper_forward.unsupported_reason(q, q, q, (9, 0), False) is None
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hopper_forward, "HEAD_DIMS", (100, 128))
        assert "head dim of 100 or 128" in hopper_forward.unsupported_reason(q, q, q, (9, 0), False)
        patch.setattr(hopper_forward, "HEAD_DIMS", (96, 100, 128))
        assert hopper_forward.unsupported_reason(q, q, q, (9, 0), False) is None
        odd = torch.empty(2, 4, 2048, 100, dtype=torch.bfloat16)   # rows of 200 bytes
        assert "TMA" in hopper_forward.unsupported_reason(odd, odd, odd, (9, 0), False)


@pytest.mark.parametrize("h_q, h_kv", [(4, 4), (8, 2), (6, 1)])
def test_dq_from_the_stored_scores_gradient_is_ds_times_k(h_q, h_kv):
    """The Gluon backward's dq_from_ds path finishes with dQ = dS K * scale over the dense dS it
    stored (hopper_backward.dq_from_scores_gradient, one batched GEMM): each query head against its
    own key-value head under GQA, a non-contiguous K (B, S, H, D memory), against float64."""
    from flashsdpa.kernels import hopper_backward
    gen = torch.Generator().manual_seed(7)
    b, s_q, s_k, d, scale = 2, 24, 40, 16, 0.37
    ds = torch.randn(b, h_q, s_q, s_k, generator=gen)
    k = torch.randn(b, s_k, h_kv, d, generator=gen).transpose(1, 2)
    dq = hopper_backward.dq_from_scores_gradient(ds, k, scale)
    expected = torch.einsum("bhqk,bhkd->bhqd", ds.double(), k.double().repeat_interleave(h_q // h_kv, dim=1)) * scale
    assert dq.shape == (b, h_q, s_q, d)
    assert torch.allclose(dq.double(), expected, rtol=1e-5, atol=1e-5)


def test_gluon_backward_options_reach_their_kernel_parameters(monkeypatch):
    """backward_launches binds its kernels' arguments by position: each option lands on the
    parameter of its name (checked on the bound arguments, no GPU needed)."""
    from flashsdpa.kernels import hopper_backward
    bound = {}

    def capture(name, launcher):
        def bind(grid, per_call, *args, **kwargs):
            bound[name] = dict(zip(launcher.names, args), **kwargs, per_call=per_call)
            # a bound launch takes every kernel argument at bind time, per-call ones too (as placeholders)
            unbound = set(launcher.names) - set(bound[name])
            assert not unbound, f"{name}: kernel arguments not bound: {sorted(unbound)}"
        return bind
    monkeypatch.setattr(hopper_backward._DQ, "bind", capture("dq", hopper_backward._DQ))
    monkeypatch.setattr(hopper_backward._DKDV, "bind", capture("dkdv", hopper_backward._DKDV))
    q = torch.empty(2, 8, 1024, 128, dtype=torch.bfloat16)
    k = torch.empty(2, 2, 1024, 128, dtype=torch.bfloat16)
    bias = torch.empty(2, 8, 1024, 1024, dtype=torch.bfloat16)

    def options(k=k, **kwargs):
        hopper_backward.backward_launches(q, k, 0.1, **kwargs)
        return ({n: bound["dq"][n] for n in ("CAUSAL", "HAS_BIAS", "MASK_GRAD", "STATS_ONLY", "WINDOW", "SKIP_EMPTY",
                                             "HAS_DROPOUT", "dropout_p", "per_call", "PEEL_EDGE", "HEADS_PER_GROUP")},
                {n: bound["dkdv"][n] for n in ("CAUSAL", "HAS_BIAS", "FUSED_DQ", "WINDOW", "MASK_GRAD", "SKIP_EMPTY",
                                               "LEFT", "RIGHT", "GROUP", "HAS_DROPOUT", "dropout_p", "per_call",
                                               "PEEL_DIAGONAL", "HEADS_PER_GROUP", "FLAT_HEADS")})
    dq, dkdv = options(causal=True)
    assert not any(dq[n] for n in ("HAS_BIAS", "MASK_GRAD", "STATS_ONLY", "WINDOW", "SKIP_EMPTY")) and dq["CAUSAL"]
    assert dkdv["GROUP"] == 4 and not dkdv["SKIP_EMPTY"] and not dkdv["MASK_GRAD"]
    dq, dkdv = options(causal=False, window=(300, 7), skip_empty=True)
    assert dq["WINDOW"] and dq["SKIP_EMPTY"] and dkdv["SKIP_EMPTY"] and (dkdv["LEFT"], dkdv["RIGHT"]) == (300, 7)
    assert not options(causal=False, skip_empty=True)[0]["SKIP_EMPTY"]     # a full call has nothing to skip
    dq, dkdv = options(causal=True, bias=bias, mask_grad=True)
    assert dq["HAS_BIAS"] and dq["MASK_GRAD"] and not dq["STATS_ONLY"] and dkdv["HAS_BIAS"] and not dkdv["MASK_GRAD"]
    dq, dkdv = options(causal=True, bias=bias, mask_grad=True, dq_from_ds=True, skip_empty=True)
    assert dq["STATS_ONLY"] and not dq["HAS_BIAS"] and not dq["MASK_GRAD"] and dq["SKIP_EMPTY"]
    assert dkdv["HAS_BIAS"] and dkdv["MASK_GRAD"] and not dkdv["SKIP_EMPTY"]   # the dS stores run every tile
    dq, dkdv = options(causal=False, fused_dq=True)
    assert dq["STATS_ONLY"] and dkdv["FUSED_DQ"] and not dkdv["HAS_DROPOUT"] and dkdv["dropout_p"] == 0
    dq, dkdv = options(causal=True, fused_dq=True, dropout_p=0.1)   # the bits drawn once, in dK/dV
    assert dq["STATS_ONLY"] and not dq["HAS_DROPOUT"] and dkdv["FUSED_DQ"] and dkdv["HAS_DROPOUT"]
    assert dkdv["dropout_p"] == 0.1
    dq, dkdv = options(causal=True, dropout_p=0.1)                   # the two launches each draw them
    assert not dq["STATS_ONLY"] and dq["HAS_DROPOUT"] and dkdv["HAS_DROPOUT"] and dq["dropout_p"] == 0.1
    # the seed (a pointer and a host int) changes every call, the launch does not
    assert dq["per_call"][-2:] == dkdv["per_call"][-2:] == ("Seed", "seed_host")
    with pytest.raises(AssertionError, match="without a bias"):
        options(causal=True, bias=bias, dropout_p=0.1)
    for fused in (False, True):   # the peel: dK/dV's diagonal tiles of a plain causal call, fused dQ or not
        assert options(causal=True, fused_dq=fused, peel_diagonal=True)[1]["PEEL_DIAGONAL"]
        assert not options(causal=True, fused_dq=fused)[1]["PEEL_DIAGONAL"]
    for other in (dict(causal=False, fused_dq=True), dict(causal=True, fused_dq=True, window=(300, 0)),
                  dict(causal=True, window=(300, 0), skip_empty=True)):
        assert not options(**other, peel_diagonal=True)[1]["PEEL_DIAGONAL"]
    # dQ's edge tiles (the diagonal's, or a ragged end's) apart: causal or full, not a window or skipped tiles
    assert options(causal=True, peel_diagonal=True)[0]["PEEL_EDGE"]
    assert options(causal=False, peel_diagonal=True)[0]["PEEL_EDGE"]
    assert not options(causal=True)[0]["PEEL_EDGE"]
    assert not options(causal=False, window=(300, 0), peel_diagonal=True)[0]["PEEL_EDGE"]
    assert options(causal=True)[1]["HEADS_PER_GROUP"] == hopper_backward.CAUSAL_HEAD_GROUP
    assert options(causal=True, heads_per_group=1)[0]["HEADS_PER_GROUP"] == 1
    # the fused dQ's flat causal loops: only with one query head a key head (no GQA), when asked
    same_heads = torch.empty(2, 8, 1024, 128, dtype=torch.bfloat16)
    flat = dict(causal=True, fused_dq=True, peel_diagonal=True, flat_heads=True)
    assert options(k=same_heads, **flat)[1]["FLAT_HEADS"]
    assert not options(**flat)[1]["FLAT_HEADS"]   # GQA: the loop over a key head's query heads stays
    assert not options(k=same_heads, **dict(flat, flat_heads=False))[1]["FLAT_HEADS"]
    assert not options(k=same_heads, **dict(flat, fused_dq=False))[1]["FLAT_HEADS"]
    assert not options(k=same_heads, **dict(flat, peel_diagonal=False))[1]["FLAT_HEADS"]


def test_import_leaves_triton_to_the_first_kernel_call():
    """`import flashsdpa` imports neither Triton nor torch._dynamo (which imports Triton):
    Triton reads TRITON_INTERPRET at its import, and the main job on a machine without a GPU
    sets it after importing flashsdpa. Imported early, Triton's own helpers (tl.cdiv) stay
    compiled-mode functions that the interpreted kernels cannot call."""
    import subprocess
    import sys
    code = ("import sys, flashsdpa; import flashsdpa.nn, flashsdpa.functional; "
            "print(sorted(m for m in ('triton', 'torch._dynamo') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout
