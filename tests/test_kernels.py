"""Output and gradients of both backends against the float64 reference (the accuracy rule in
helpers.py), over the shapes, layouts and flags that exercise the kernels' edge handling.

FLASH is forced with sdpa_kernel(Backend.FLASH), so a silent fallback is an error; on a
machine without CUDA it runs the real Triton kernels under the interpreter with 16x16
tiles, so every size below crosses several tile edges.
"""
from __future__ import annotations

import pytest
import torch

import flashsdpa
from flashsdpa import Backend
from helpers import (
    BOTH_BACKENDS,
    FACTOR,
    FACTOR_BROADCAST,
    LOW_DTYPES,
    causal_visible,
    check_accuracy,
    max_abs_score,
    ours_sdpa,
    randn,
    recompute_tiny,
    ref_sdpa,
    torch_sdpa,
    with_views,
)

backends = pytest.mark.parametrize("backend", BOTH_BACKENDS, ids=lambda b: b.name)
dtypes = pytest.mark.parametrize("dtype", LOW_DTYPES, ids=lambda d: str(d).replace("torch.", ""))
CAUSAL = (None, "top_left", "bottom_right")


def qkv(gen, device, dtype, q_shape, k_shape, v_shape):
    return [randn(s, dtype, device, gen) for s in (q_shape, k_shape, v_shape)]


def check(backend, tensors, dtype, gen, causal=None, scale=None, enable_gqa=False, view=None, context="",
          factor=FACTOR, tiny=None):
    ours = ours_sdpa(backend, causal, scale, enable_gqa)
    theirs = torch_sdpa(causal, scale, enable_gqa)
    ref = ref_sdpa(causal, scale, enable_gqa)
    if view is not None:
        ours, theirs, ref = (with_views(f, view) for f in (ours, theirs, ref))
    return check_accuracy(ours, theirs, ref, tensors, dtype, gen, factor=factor, tiny=tiny,
                          context=f"{backend.name} causal={causal} scale={scale} gqa={enable_gqa} {context}")


@backends
@dtypes
@pytest.mark.parametrize("causal", CAUSAL)
@pytest.mark.parametrize("seq", [1, 17, 33, 47])
def test_odd_sequence_lengths(backend, dtype, causal, seq, device, gen):
    tensors = qkv(gen, device, dtype, (1, 2, seq, 24), (1, 2, seq, 24), (1, 2, seq, 24))
    check(backend, tensors, dtype, gen, causal)


@backends
@dtypes
@pytest.mark.parametrize("d_qk,d_v", [(8, 8), (24, 24), (40, 40), (80, 80), (8, 40), (80, 24), (64, 16), (17, 33)])
def test_head_dims(backend, dtype, d_qk, d_v, device, gen):
    tensors = qkv(gen, device, dtype, (1, 2, 33, d_qk), (1, 2, 35, d_qk), (1, 2, 35, d_v))
    check(backend, tensors, dtype, gen, "top_left")


@backends
@dtypes
@pytest.mark.parametrize("causal", CAUSAL)
@pytest.mark.parametrize("s_q,s_k", [(17, 47), (47, 17), (1, 33), (33, 1), (16, 64), (64, 16), (5, 70)])
def test_unequal_lengths(backend, dtype, causal, s_q, s_k, device, gen):
    tensors = qkv(gen, device, dtype, (1, 2, s_q, 32), (1, 2, s_k, 32), (1, 2, s_k, 24))
    check(backend, tensors, dtype, gen, causal)


@backends
@dtypes
@pytest.mark.parametrize("causal", CAUSAL)
@pytest.mark.parametrize("h_q,h_kv", [(4, 2), (3, 1), (6, 3), (4, 4)])
def test_gqa_and_mqa(backend, dtype, causal, h_q, h_kv, device, gen):
    tensors = qkv(gen, device, dtype, (2, h_q, 19, 16), (2, h_kv, 37, 16), (2, h_kv, 37, 24))
    check(backend, tensors, dtype, gen, causal, enable_gqa=True)


@dtypes
@pytest.mark.parametrize("causal", CAUSAL)
def test_many_heads_in_longest_first_order(dtype, causal, device, gen):
    """Causal launches hand out their blocks longest first in groups of 16 heads (common.
    row_block_and_head): 19 heads make a full group and a short one, every block once."""
    tensors = qkv(gen, device, dtype, (1, 19, 40, 16), (1, 19, 40, 16), (1, 19, 40, 16))
    check(Backend.FLASH, tensors, dtype, gen, causal)


@backends
@dtypes
@pytest.mark.parametrize("causal", CAUSAL)
def test_transposed_bshd_inputs(backend, dtype, causal, device, gen):
    """q, k, v made as (B, S, H, D) projections and viewed as (B, H, S, D)."""
    tensors = qkv(gen, device, dtype, (2, 33, 3, 40), (2, 21, 3, 40), (2, 21, 3, 24))
    check(backend, tensors, dtype, gen, causal, view=lambda q, k, v: (q.transpose(1, 2), k.transpose(1, 2),
                                                                      v.transpose(1, 2)))


@backends
@dtypes
def test_slices_of_bigger_tensors(backend, dtype, device, gen):
    """Views with offsets and padded strides in every dim; each input laid out differently."""
    tensors = qkv(gen, device, dtype, (3, 4, 50, 48), (2, 40, 5, 56), (64, 2, 3, 30))

    def view(q, k, v):
        return (q[1:3, 1:3, 7:40, 5:45],                         # (2, 2, 33, 40), every stride padded
                k[:, 3:24, 1:3, 8:48].transpose(1, 2),             # (2, 2, 21, 40), heads inner
                v[10:31].permute(1, 2, 0, 3)[:, 1:3, :, 2:26])     # (2, 2, 21, 24), seq outermost
    check(backend, tensors, dtype, gen, "top_left", view=view)


@backends
@dtypes
def test_sum_loss_zero_stride_grad(backend, dtype, device, gen):
    """out.sum().backward() hands the backward a dout whose strides are all 0."""
    tensors = qkv(gen, device, dtype, (1, 2, 33, 24), (1, 2, 40, 24), (1, 2, 40, 24))
    ones = torch.ones((), dtype=dtype, device=device).expand(1, 2, 33, 24)
    assert ones.stride() == (0, 0, 0, 0)
    check_accuracy(ours_sdpa(backend, "top_left"), torch_sdpa("top_left"), ref_sdpa("top_left"), tensors, dtype,
                   gen, dout=ones, context=backend.name)


@backends
@dtypes
def test_bottom_right_rows_without_keys_give_zero(backend, dtype, device, gen):
    """flash_attn_func's causal with S_q > S_k: the first S_q - S_k rows see no key; their
    output is 0 and their dq is 0 (not NaN)."""
    s_q, s_k = 40, 13
    q, k, v = qkv(gen, device, dtype, (2, s_q, 2, 24), (2, s_k, 2, 24), (2, s_k, 2, 24))
    leaves = [t.clone().requires_grad_() for t in (q, k, v)]
    with flashsdpa.sdpa_kernel(backend):
        out = flashsdpa.flash_attn_func(*leaves, causal=True)
    out.backward(randn(out.shape, dtype, device, gen))
    blind = s_q - s_k
    assert torch.equal(out[:, :blind], torch.zeros_like(out[:, :blind]))
    assert torch.equal(leaves[0].grad[:, :blind], torch.zeros_like(leaves[0].grad[:, :blind]))
    for t in [out, *(leaf.grad for leaf in leaves)]:
        assert torch.isfinite(t).all()
    # and the whole call meets the accuracy rule against an explicit bottom-right mask
    view = (lambda q, k, v: (q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)))
    check(backend, [q, k, v], dtype, gen, "bottom_right", view=view)


def test_bottom_right_mask_helper_matches_docstring():
    """The reference's mask is the one drawn in functional.py's docstring (3 x 5)."""
    expected = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 0], [1, 1, 1, 1, 1]], dtype=torch.bool)
    assert torch.equal(causal_visible(3, 5, "bottom_right", "cpu"), expected)
    assert torch.equal(causal_visible(3, 5, "top_left", "cpu"), torch.ones(3, 5, dtype=torch.bool).tril())


@backends
@dtypes
@pytest.mark.parametrize("shapes,gqa", [
    (((2, 3, 2, 19, 16), (2, 3, 2, 27, 16), (2, 3, 2, 27, 8)), False),    # 5D
    (((2, 1, 4, 19, 16), (1, 3, 2, 27, 16), (1, 3, 2, 27, 8)), True),     # 5D, broadcast batch, GQA
    (((3, 19, 16), (3, 27, 16), (3, 27, 24)), False),                     # 3D (H, S, D)
    (((4, 19, 16), (2, 27, 16), (2, 27, 24)), True),                      # 3D with GQA
    (((19, 16), (27, 16), (27, 24)), False),                              # 2D (S, D)
    (((2, 3, 19, 16), (1, 3, 27, 16), (1, 3, 27, 24)), False),            # key/value batch 1
    (((2, 3, 19, 16), (2, 1, 27, 16), (2, 1, 27, 24)), False),            # key/value heads broadcast
    (((3, 19, 16), (2, 3, 27, 16), (2, 3, 27, 24)), False),               # query broadcast over batch
])
def test_ndim_and_broadcasting(backend, dtype, shapes, gqa, device, gen):
    tensors = qkv(gen, device, dtype, *shapes)
    broadcast = len({t.shape[:-2] for t in tensors}) > 1 and not gqa or shapes[0][0] != shapes[1][0]
    out, *_ = check(backend, tensors, dtype, gen, "top_left", enable_gqa=gqa,
                    factor=FACTOR_BROADCAST if broadcast else FACTOR)
    expected = torch.nn.functional.scaled_dot_product_attention(*tensors, enable_gqa=gqa).shape
    assert out.shape == expected


@backends
@dtypes
@pytest.mark.parametrize("scale", [0.0, -0.3, 0.05, 0.5, 2.0])
@pytest.mark.parametrize("causal", [None, "top_left"])
def test_scale_values(backend, dtype, scale, causal, device, gen):
    tensors = qkv(gen, device, dtype, (1, 2, 29, 32), (1, 2, 41, 32), (1, 2, 41, 32))
    check(backend, tensors, dtype, gen, causal, scale=scale, tiny=recompute_tiny(dtype, max_abs_score(*tensors[:2], scale)))


@backends
@dtypes
def test_output_dtype_device_and_shape_match_torch(backend, dtype, device, gen):
    q, k, v = qkv(gen, device, dtype, (2, 3, 17, 24), (2, 3, 9, 24), (2, 3, 9, 40))
    with flashsdpa.sdpa_kernel(backend):
        out = flashsdpa.scaled_dot_product_attention(q, k, v)
    expected = torch.nn.functional.scaled_dot_product_attention(q, k, v)
    assert (out.shape, out.dtype, out.device) == (expected.shape, expected.dtype, expected.device)


@pytest.mark.parametrize("backend", [Backend.FLASH], ids=["FLASH"])
def test_flash_output_follows_query_memory_order(backend, device, gen):
    """A (B, S, H, D) query gives a (B, S, H, D)-ordered output, so out.transpose(1, 2) of a
    flash_attn_func call is contiguous like the projection it feeds."""
    q, k, v = qkv(gen, device, torch.float16, (2, 17, 3, 24), (2, 17, 3, 24), (2, 17, 3, 24))
    with flashsdpa.sdpa_kernel(backend):
        out = flashsdpa.flash_attn_func(q, k, v)
    assert out.is_contiguous()
