"""Invalid arguments raise errors that name the argument and show the value given."""
from __future__ import annotations

import re

import pytest
import torch

import flashsdpa
from helpers import randn


@pytest.fixture
def qkv(device, gen):
    return (randn((2, 4, 9, 16), torch.float16, device, gen), randn((2, 4, 11, 16), torch.float16, device, gen),
            randn((2, 4, 11, 8), torch.float16, device, gen))


def sdpa(*args, **kwargs):
    return flashsdpa.scaled_dot_product_attention(*args, **kwargs)


def raises(exc, *fragments):
    """pytest.raises whose message must contain every fragment (literally)."""
    return pytest.raises(exc, match="(?s)" + "".join(f"(?=.*{re.escape(f)})" for f in fragments))


@pytest.mark.parametrize("position,name", [(0, "query"), (1, "key"), (2, "value")])
def test_non_tensor(qkv, position, name):
    args = list(qkv)
    args[position] = [[1.0, 2.0]]
    with raises(TypeError, name, "torch.Tensor", "list"):
        sdpa(*args)


@pytest.mark.parametrize("position,name", [(0, "query"), (1, "key"), (2, "value")])
def test_one_dim_tensor(qkv, position, name, device):
    args = list(qkv)
    args[position] = torch.ones(5, dtype=torch.float16, device=device)
    with raises(ValueError, name, "at least 2 dims", "(5)"):
        sdpa(*args)


@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.bool, torch.complex64])
def test_non_float_dtype(qkv, dtype):
    q, k, v = qkv
    with raises(TypeError, "query", str(dtype)):
        sdpa(q.to(dtype), k, v)


def test_mixed_dtypes(qkv):
    q, k, v = qkv
    with raises(TypeError, "same dtype", "query torch.float16", "key torch.float32", "value torch.float16"):
        sdpa(q, k.float(), v)


def test_mixed_devices_meta(qkv):
    """Devices are compared without CUDA too: a meta tensor is on another device."""
    q, k, v = qkv
    with raises(ValueError, "same device", "key meta"):
        sdpa(q, k.to("meta"), v)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA for a second device")
def test_mixed_devices_cuda(qkv):
    q, k, v = qkv
    with raises(ValueError, "same device", "value cpu", "query cuda"):
        sdpa(q.cuda(), k.cuda(), v.cpu())


def test_head_dim_mismatch(device, gen):
    q = randn((2, 4, 9, 16), torch.float16, device, gen)
    k = randn((2, 4, 11, 24), torch.float16, device, gen)
    with raises(ValueError, "query and key", "head dim", "(2, 4, 9, 16)", "(2, 4, 11, 24)"):
        sdpa(q, k, k)


def test_key_value_length_mismatch(qkv, device, gen):
    q, k, _ = qkv
    v = randn((2, 4, 12, 8), torch.float16, device, gen)
    with raises(ValueError, "key and value", "sequence length", "(2, 4, 11, 16)", "(2, 4, 12, 8)"):
        sdpa(q, k, v)


def test_batch_dims_do_not_broadcast(device, gen):
    q = randn((2, 4, 9, 16), torch.float16, device, gen)
    k = randn((3, 4, 11, 16), torch.float16, device, gen)
    with raises(ValueError, "broadcast", "query (2, 4)", "key (3, 4)", "enable_gqa"):
        sdpa(q, k, k)


def test_heads_differ_without_gqa(device, gen):
    q = randn((2, 4, 9, 16), torch.float16, device, gen)
    k = randn((2, 2, 11, 16), torch.float16, device, gen)
    with raises(ValueError, "query (2, 4)", "key (2, 2)", "enable_gqa=True"):
        sdpa(q, k, k)


def test_gqa_batch_dims_do_not_broadcast(device, gen):
    q = randn((2, 4, 9, 16), torch.float16, device, gen)
    k = randn((3, 2, 11, 16), torch.float16, device, gen)
    with raises(ValueError, "batch dims", "query (2,)", "key (3,)"):
        sdpa(q, k, k, enable_gqa=True)


def test_gqa_heads_do_not_divide(device, gen):
    q = randn((2, 6, 9, 16), torch.float16, device, gen)
    k = randn((2, 4, 11, 16), torch.float16, device, gen)
    with raises(ValueError, "enable_gqa=True", "multiple", "6 query heads", "4 key/value heads"):
        sdpa(q, k, k, enable_gqa=True)


def test_gqa_key_value_heads_differ(device, gen):
    q = randn((2, 4, 9, 16), torch.float16, device, gen)
    k = randn((2, 2, 11, 16), torch.float16, device, gen)
    v = randn((2, 1, 11, 16), torch.float16, device, gen)
    with raises(ValueError, "key and value", "heads", "(2, 2, 11, 16)", "(2, 1, 11, 16)"):
        sdpa(q, k, v, enable_gqa=True)


def test_gqa_needs_heads_dim(device, gen):
    q = randn((9, 16), torch.float16, device, gen)
    with raises(ValueError, "enable_gqa=True", "query", "(9, 16)"):
        sdpa(q, q, q, enable_gqa=True)


@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.uint8, torch.complex64])
def test_mask_of_wrong_dtype(qkv, dtype, device):
    mask = torch.ones(9, 11, dtype=dtype, device=device)
    with raises(TypeError, "attn_mask", str(dtype)):
        sdpa(*qkv, attn_mask=mask)


@pytest.mark.parametrize("shape", [(9, 12), (3, 1, 9, 11), (2, 4, 10, 11), (1, 2, 4, 9, 11)])
def test_mask_does_not_broadcast(qkv, shape, device):
    mask = torch.ones(shape, dtype=torch.bool, device=device)
    shown = "(" + ", ".join(map(str, shape)) + ")"
    with raises(ValueError, "attn_mask", "broadcast", "(2, 4, 9, 11)", shown):
        sdpa(*qkv, attn_mask=mask)


def test_mask_not_a_tensor(qkv):
    with raises(TypeError, "attn_mask", "list"):
        sdpa(*qkv, attn_mask=[[True]])


def test_mask_on_another_device(qkv):
    mask = torch.ones(9, 11, dtype=torch.bool, device="meta")
    with raises(ValueError, "attn_mask", "meta"):
        sdpa(*qkv, attn_mask=mask)


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5, float("nan"), float("inf")])
def test_dropout_out_of_range(qkv, p):
    with raises(ValueError, "dropout_p", "[0, 1)", str(p)):
        sdpa(*qkv, dropout_p=p)


@pytest.mark.parametrize("p", ["0.1", None, torch.tensor(0.1)])
def test_dropout_wrong_type(qkv, p):
    with raises(TypeError, "dropout_p", type(p).__name__):
        sdpa(*qkv, dropout_p=p)


@pytest.mark.parametrize("scale", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_scale(qkv, scale):
    with raises(ValueError, "scale", "finite", repr(scale)):
        sdpa(*qkv, scale=scale)


@pytest.mark.parametrize("scale", ["0.5", torch.tensor(0.5)])
def test_scale_wrong_type(qkv, scale):
    with raises(ValueError, "scale", repr(scale)):
        sdpa(*qkv, scale=scale)


@pytest.mark.parametrize("flag", [1, None, "yes"])
def test_is_causal_not_bool(qkv, flag):
    with raises(TypeError, "is_causal", type(flag).__name__):
        sdpa(*qkv, is_causal=flag)


def test_why_not_flash_validates_like_sdpa(qkv):
    with raises(ValueError, "scale", "nan"):
        flashsdpa.why_not_flash(*qkv, scale=float("nan"))


# ----------------------------------------------------------------------------- flash_attn_func


@pytest.mark.parametrize("position,name", [(0, "q"), (1, "k"), (2, "v")])
@pytest.mark.parametrize("shape", [(2, 9, 16), (1, 2, 9, 4, 16)])
def test_flash_attn_func_needs_4d(position, name, shape, device, gen):
    args = [randn((2, 9, 4, 16), torch.float16, device, gen) for _ in range(3)]
    args[position] = randn(shape, torch.float16, device, gen)
    with raises(ValueError, f"{name} must be a 4D tensor", "(B, S, H, D)", str(shape)):
        flashsdpa.flash_attn_func(*args)


def test_flash_attn_func_non_tensor(device, gen):
    q = randn((2, 9, 4, 16), torch.float16, device, gen)
    with raises(ValueError, "k must be a 4D tensor", "list"):
        flashsdpa.flash_attn_func(q, [1.0], q)


@pytest.mark.parametrize("window", [(0, 0), (4, -1), (-1, 0), [128, 128], [-1, -1]])
def test_flash_attn_func_window_size_is_accepted(window, device, gen):
    q = randn((2, 9, 4, 16), torch.float16, device, gen)
    assert flashsdpa.flash_attn_func(q, q, q, window_size=window).shape == q.shape


@pytest.mark.parametrize("window", [(-2, 0), (0, -5), (1,), (1, 2, 3), (1.5, 0), ("a", 0), (True, 0), 7, None])
def test_window_size_must_be_a_pair_of_ints_from_minus_one(window, qkv, device, gen):
    q = randn((2, 9, 4, 16), torch.float16, device, gen)
    with raises(ValueError, "window_size", "(left, right)", repr(window)):
        flashsdpa.flash_attn_func(q, q, q, window_size=window)
    with raises(ValueError, "window_size", repr(window)):
        sdpa(*qkv, window_size=window)


@pytest.mark.parametrize("softcap", [-1.0, -1e-30, float("nan"), float("inf"), -float("inf"), "3", True, None,
                                     torch.tensor(3.0)])
def test_softcap_must_be_finite_and_non_negative(softcap, qkv, device, gen):
    with raises(ValueError, "softcap", ">= 0", repr(softcap)):
        sdpa(*qkv, softcap=softcap)
    q = randn((2, 9, 4, 16), torch.float16, device, gen)
    with raises(ValueError, "softcap", ">= 0", repr(softcap)):
        flashsdpa.flash_attn_func(q, q, q, softcap=softcap)


def test_softcap_and_alibi_are_accepted(device, gen):
    q = randn((2, 9, 4, 16), torch.float16, device, gen)
    assert flashsdpa.flash_attn_func(q, q, q, softcap=30.0).shape == q.shape
    assert flashsdpa.flash_attn_func(q, q, q, alibi_slopes=torch.ones(4, device=device)).shape == q.shape
    assert flashsdpa.flash_attn_func(q, q, q, alibi_slopes=torch.ones(2, 4, device=device)).shape == q.shape


@pytest.mark.parametrize("shape", [(3,), (4, 1), (3, 4), (2, 4, 1)])
def test_alibi_slopes_shape(shape, qkv, device):
    with raises(ValueError, "alibi_slopes", "(4,)", "(2, 4)", str(shape).replace(",)", ")")):
        sdpa(*qkv, alibi_slopes=torch.ones(shape, device=device))


@pytest.mark.parametrize("shape", [(), (2,), (4, 2), (1, 4), (2, 4, 1)])
def test_flash_attn_func_alibi_slopes_shape(shape, device, gen):
    """flash_attn_func's slopes are (H_q,) or (B, H_q) of q (B, S, H_q, D); H_kv does not count."""
    q = randn((2, 9, 4, 16), torch.float16, device, gen)
    k = randn((2, 11, 2, 16), torch.float16, device, gen)
    shown = "(" + ", ".join(map(str, shape)) + ")"
    with raises(ValueError, "alibi_slopes", "(4,)", "(2, 4)", shown):
        flashsdpa.flash_attn_func(q, k, k, alibi_slopes=torch.ones(shape, device=device))


def test_alibi_slopes_shape_with_more_batch_dims(device, gen):
    """(..., H, S, D) inputs: per-batch slopes have all the leading dims, (B1, B2, H)."""
    q = randn((2, 3, 4, 9, 16), torch.float16, device, gen)
    with raises(ValueError, "alibi_slopes", "(4,)", "(2, 3, 4)", "(2, 4)"):
        sdpa(q, q, q, alibi_slopes=torch.ones(2, 4, device=device))
    assert sdpa(q, q, q, alibi_slopes=torch.ones(2, 3, 4, device=device)).shape == q.shape


@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.bool, torch.complex64])
def test_alibi_slopes_non_float_dtype(dtype, qkv, device, gen):
    with raises(TypeError, "alibi_slopes", "floating point", str(dtype)):
        sdpa(*qkv, alibi_slopes=torch.ones(4, dtype=dtype, device=device))
    q = randn((2, 9, 4, 16), torch.float16, device, gen)
    with raises(TypeError, "alibi_slopes", "floating point", str(dtype)):
        flashsdpa.flash_attn_func(q, q, q, alibi_slopes=torch.ones(4, dtype=dtype, device=device))


def test_alibi_slopes_dtype_and_type(qkv, device):
    with raises(TypeError, "alibi_slopes", "floating point", "torch.int64"):
        sdpa(*qkv, alibi_slopes=torch.ones(4, dtype=torch.int64, device=device))
    with raises(TypeError, "alibi_slopes", "list"):
        sdpa(*qkv, alibi_slopes=[1.0, 1.0, 1.0, 1.0])


def test_alibi_slopes_device(qkv):
    q, k, v = (t.to("meta") for t in qkv)
    with raises(ValueError, "alibi_slopes", "device", "meta", "cpu"):
        flashsdpa.why_not_flash(q, k, v, alibi_slopes=torch.ones(4))


def test_alibi_slopes_on_another_device(qkv):
    """The slopes on the meta device, the inputs on this one: the message names both."""
    with raises(ValueError, "alibi_slopes", "device", "meta", str(qkv[0].device)):
        sdpa(*qkv, alibi_slopes=torch.ones(4, device="meta"))
    q = qkv[0].transpose(1, 2)
    with raises(ValueError, "alibi_slopes", "device", "meta"):
        flashsdpa.flash_attn_func(q, q, q, alibi_slopes=torch.ones(4, device="meta"))


@pytest.mark.parametrize("backend", [flashsdpa.Backend.FLASH, flashsdpa.Backend.MATH], ids=lambda b: b.name)
def test_feature_arguments_accepted_in_every_valid_form(backend, qkv, device, gen):
    """Valid edge values run on both backends and give the output shape: windows as tuples or
    lists with 0 and -1 sides, larger than the sequence; softcap 0 (off), an int, a large
    float; slopes (H,) and (B, H) in float16, float32 and float64."""
    q = randn((2, 9, 4, 16), torch.float16, device, gen)
    k = randn((2, 11, 2, 16), torch.float16, device, gen)
    calls = [dict(window_size=(0, 0)), dict(window_size=[3, -1]), dict(window_size=(-1, 0)),
             dict(window_size=(100, 100)), dict(softcap=0.0), dict(softcap=30), dict(softcap=1e6),
             dict(alibi_slopes=torch.ones(4, dtype=torch.float16, device=device)),
             dict(alibi_slopes=torch.rand(2, 4, dtype=torch.float64, device=device)),
             dict(window_size=(2, 1), softcap=5.0, alibi_slopes=torch.rand(4, device=device))]
    with flashsdpa.sdpa_kernel(backend):
        for kwargs in calls:
            assert flashsdpa.flash_attn_func(q, k, k, causal=True, **kwargs).shape == q.shape, kwargs
            assert sdpa(*qkv, is_causal=True, **kwargs).shape == (2, 4, 9, 8), kwargs


def test_flash_attn_func_gqa_heads_do_not_divide(device, gen):
    q = randn((2, 9, 6, 16), torch.float16, device, gen)
    k = randn((2, 9, 4, 16), torch.float16, device, gen)
    with raises(ValueError, "6 query heads", "4 key/value heads"):
        flashsdpa.flash_attn_func(q, k, k)


def test_packed_forms_check_their_shape(device, gen):
    with raises(ValueError, "qkv must be a 5D tensor", "(2, 9, 2, 4, 16)"):
        flashsdpa.flash_attn_qkvpacked_func(randn((2, 9, 2, 4, 16), torch.float16, device, gen))
    q = randn((2, 9, 4, 16), torch.float16, device, gen)
    with raises(ValueError, "kv must be a 5D tensor", "(2, 9, 3, 4, 16)"):
        flashsdpa.flash_attn_kvpacked_func(q, randn((2, 9, 3, 4, 16), torch.float16, device, gen))
    with raises(ValueError, "kv must be a 5D tensor", "(2, 9, 4, 16)"):
        flashsdpa.flash_attn_kvpacked_func(q, q)


def test_bools_are_not_numbers_here(qkv):
    with raises(TypeError, "dropout_p", "bool"):
        sdpa(*qkv, dropout_p=True)
    with raises(ValueError, "scale", "True"):
        sdpa(*qkv, scale=True)


def test_alibi_slopes_that_require_grad_are_refused(qkv, device):
    slopes = torch.ones(4, device=device, requires_grad=True)
    with raises(NotImplementedError, "alibi_slopes", "no gradient", "detach"):
        sdpa(*qkv, alibi_slopes=slopes)
    assert sdpa(*qkv, alibi_slopes=slopes.detach()).shape == (2, 4, 9, 8)
    with torch.no_grad():
        assert sdpa(*qkv, alibi_slopes=slopes).shape == (2, 4, 9, 8)


def test_alibi_with_a_two_dim_query(device, gen):
    q = randn((9, 16), torch.float32, device, gen)
    out = flashsdpa.scaled_dot_product_attention(q, q, q, alibi_slopes=torch.ones(1, device=device))
    assert out.shape == (9, 16) and torch.isfinite(out).all()


def test_second_derivative_through_flash_raises(device, gen):
    """The flash backward is not itself differentiable: asking for a second derivative must
    raise, not return a silently wrong (zero) one. MATH, plain PyTorch, gives it."""
    q = randn((1, 2, 16, 16), torch.float32, device, gen).requires_grad_()
    with flashsdpa.sdpa_kernel(flashsdpa.Backend.FLASH):
        out = flashsdpa.scaled_dot_product_attention(q, q, q)
    (grad,) = torch.autograd.grad(out.sum(), q, create_graph=True)
    with pytest.raises(RuntimeError):
        grad.sum().backward()
    with flashsdpa.sdpa_kernel(flashsdpa.Backend.MATH):
        out = flashsdpa.scaled_dot_product_attention(q, q, q)
    (grad,) = torch.autograd.grad(out.sum(), q, create_graph=True)
    grad.sum().backward()
    assert torch.isfinite(q.grad).all()
