"""Masks, mask gradients, windows, ALiBi and softcap on both backends against the float64
reference (the accuracy rule of helpers.py), with the semantics of functional.py:

    s = q.k * scale;  softcap > 0: s = softcap * tanh(s / softcap);  s -= slope * |i + off - j|;
    bool attn_mask: False -> -inf;  float attn_mask: added (and differentiable);
    causal: j <= i + off;  window (left, right): i + off - left <= j <= i + off + right;

off = 0 for scaled_dot_product_attention (top-left), S_k - S_q for flash_attn_func
(bottom-right). Rows that see no key give 0, lse -inf and zero gradients.

torch's comparator runs in the same dtype: its own SDPA with causal/window/ALiBi folded into
attn_mask, or, for softcap, helpers.plain_attention (see helpers.torch_sdpa for why). Sizes
are small and odd (the interpreter's 16x16 tiles are crossed unevenly in both directions).
"""
from __future__ import annotations

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flashsdpa
from flashsdpa.functional import _attention
from helpers import (
    BOTH_BACKENDS,
    FACTOR,
    FACTOR_BROADCAST,
    GRAD_NAMES,
    LOW_DTYPES,
    alibi_slopes,
    check_accuracy,
    generator_from_seed,
    ours_sdpa,
    randn,
    recompute_tiny,
    ref_sdpa,
    reference_attention,
    to_reference_inputs,
    torch_sdpa,
    visible_keys,
)

backends = pytest.mark.parametrize("backend", BOTH_BACKENDS, ids=lambda b: b.name)
dtypes = pytest.mark.parametrize("dtype", LOW_DTYPES, ids=lambda d: str(d).replace("torch.", ""))

B, H, S_Q, S_K, D, D_V = 2, 2, 33, 47, 40, 24


def qkv(gen, device, dtype, b=B, h_q=H, h_kv=None, s_q=S_Q, s_k=S_K, d=D, d_v=D_V, q_scale=1.0):
    """q (b, h_q, s_q, d) times q_scale (large scores, for softcap), k, v with h_kv heads."""
    h_kv = h_q if h_kv is None else h_kv
    q = (randn((b, h_q, s_q, d), dtype, device, gen) * q_scale).to(dtype)
    return [q, randn((b, h_kv, s_k, d), dtype, device, gen), randn((b, h_kv, s_k, d_v), dtype, device, gen)]


def mask_shape(name, b, h_q, s_q, s_k):
    return {"2d": (s_q, s_k), "key_padding": (b, 1, 1, s_k), "batch_rows": (b, 1, s_q, s_k),
            "heads": (1, h_q, s_q, s_k), "full": (b, h_q, s_q, s_k)}[name]


MASK_SHAPES = ("2d", "key_padding", "batch_rows", "heads", "full")


def key_padding(b, s_k, device, gen, tile=16):
    """(b, 1, 1, s_k) bool key-padding mask: even batches keep a prefix of the keys (right
    padding), odd ones a suffix (left padding). The prefix ends on the first key of a tile
    (length 1, 17, 33, ...), the suffix starts on the last key of a tile (15, 31, ...), where
    possible: the kernels skip the tiles outside the kept span, and an off-by-one (or a
    rounding the wrong way) of its ends then loses a key. tile: the interpreter's 16 (on a GPU
    the tiles are larger)."""
    mask = torch.zeros(b, 1, 1, s_k, dtype=torch.bool, device=device)
    for row in range(b):
        if row % 2 == 0:
            choices = list(range(1, s_k + 1, tile))
            length = choices[int(torch.randint(len(choices), (), generator=gen, device=device))]
            mask[row, ..., :length] = True
        else:
            choices = list(range(tile - 1, s_k, tile)) or list(range(s_k))
            first = choices[int(torch.randint(len(choices), (), generator=gen, device=device))]
            mask[row, ..., first:] = True
    return mask


def make_mask(kind, shape, dtype, device, gen):
    """bool: a key-padding mask for (B, 1, 1, S_k) (see key_padding), else ~70% True; float:
    N(0, 1) in the input dtype (torch's SDPA takes a float mask only in the query's dtype)."""
    if kind == "bool":
        if len(shape) == 4 and shape[1:3] == (1, 1):
            return key_padding(shape[0], shape[-1], device, gen)
        return torch.rand(shape, generator=gen, device=device) > 0.3
    return randn(shape, dtype, device, gen)


def score_tiny(dtype, tensors, **options):
    """helpers.recompute_tiny for the call: the flash backward recomputes P = exp(s - lse)
    from scores that ALiBi (and scaled inputs) make large, with an fp32 rounding of |s| * 2**-24.
    The entries that carry a row's weight have s within a few units of its lse (exp(-5) < 1%),
    so |lse| + 5 is the size that matters (in fp16 the bound stays TINY)."""
    _, lse = reference_attention(*to_reference_inputs(tensors), **options)
    finite = lse[torch.isfinite(lse)]
    return recompute_tiny(dtype, finite.abs().max().item() + 5.0 if finite.numel() else 0.0)


def check(backend, tensors, dtype, gen, causal=None, enable_gqa=False, grad_mask=None, factor=FACTOR, tiny=None,
          context="", grad_names=GRAD_NAMES, **features):
    """check_accuracy of ours (only `backend` enabled), torch's comparator and the float64
    reference, all given the same causal / enable_gqa / features (window_size, alibi_slopes,
    softcap, alignment). tensors: q, k, v[, attn_mask]."""
    options = dict(causal=causal, enable_gqa=enable_gqa, **features)
    ref_options = dict(options, attn_mask=tensors[3] if len(tensors) > 3 else None)
    tiny = score_tiny(dtype, tensors[:3], **ref_options) if tiny is None else tiny
    return check_accuracy(ours_sdpa(backend, **options), torch_sdpa(**options), ref_sdpa(**options), tensors,
                          dtype, gen, grad_mask=grad_mask, factor=factor, tiny=tiny, grad_names=grad_names,
                          context=f"{backend.name} {context} {options}")


# ----------------------------------------------------------------------------- masks


@backends
@dtypes
@pytest.mark.parametrize("kind", ["bool", "float", "float_grad"])
@pytest.mark.parametrize("shape_name", MASK_SHAPES)
def test_mask_broadcast_shapes(backend, dtype, kind, shape_name, device, gen):
    """Every broadcast shape of a bool mask, a float mask, and a float mask that requires grad
    (its gradient dL/ds, summed by autograd over the broadcast dims, is checked as dmask)."""
    shape = mask_shape(shape_name, B, H, S_Q, S_K)
    mask = make_mask("bool" if kind == "bool" else "float", shape, dtype, device, gen)
    tensors = [*qkv(gen, device, dtype), mask]
    wants_dmask = kind == "float_grad"
    broadcast = wants_dmask and shape != (B, H, S_Q, S_K)
    _, grads, _, _ = check(backend, tensors, dtype, gen, grad_mask=[True, True, True, wants_dmask],
                           factor=FACTOR_BROADCAST if broadcast else FACTOR, context=f"{kind} mask {shape}")
    if wants_dmask:
        assert grads[3].shape == mask.shape and grads[3].dtype == mask.dtype


@backends
@dtypes
def test_mask_gradient_without_qkv_gradients(backend, dtype, device, gen):
    """Only the float mask requires grad (a learned bias over frozen q, k, v): it still gets
    its gradient, and q, k, v get none."""
    shape = (1, H, S_Q, S_K)
    tensors = [*qkv(gen, device, dtype), make_mask("float", shape, dtype, device, gen)]
    check(backend, tensors, dtype, gen, causal="top_left", grad_mask=[False, False, False, True],
          factor=FACTOR_BROADCAST, grad_names=("dmask",), context="mask-only gradient")


@backends
@dtypes
@pytest.mark.parametrize("kind", ["bool", "float_grad"])
def test_mask_and_is_causal(backend, dtype, kind, device, gen):
    """attn_mask with is_causal=True is mask AND causal (top-left); GQA 4/2, D_v != D, S_q > S_k."""
    s_q, s_k = 47, 33
    tensors = qkv(gen, device, dtype, h_q=4, h_kv=2, s_q=s_q, s_k=s_k, d=24, d_v=40)
    shape = (B, 4, s_q, s_k) if kind == "bool" else (1, 4, s_q, s_k)
    mask = make_mask("bool" if kind == "bool" else "float", shape, dtype, device, gen)
    check(backend, [*tensors, mask], dtype, gen, causal="top_left", enable_gqa=True,
          grad_mask=[True, True, True, kind == "float_grad"],
          factor=FACTOR_BROADCAST if kind == "float_grad" else FACTOR, context=f"{kind} mask + causal")


@backends
@dtypes
@pytest.mark.parametrize("kind", ["bool", "float_grad"])
def test_fully_masked_rows_and_keys(backend, dtype, kind, device, gen):
    """Rows whose mask hides every key (bool False / float -inf) give output 0, lse -inf, dq 0
    and dmask 0 in that row; keys no query sees get dk = dv = 0; nothing is NaN."""
    hidden_rows, hidden_keys = [0, 15, 16, 32], [3, 46]
    q, k, v = qkv(gen, device, dtype)
    shape = (B, 1, S_Q, S_K)
    if kind == "bool":
        mask = make_mask("bool", shape, dtype, device, gen)
        mask[:, :, hidden_rows] = False
        mask[..., hidden_keys] = False
    else:
        mask = make_mask("float", shape, dtype, device, gen)
        mask[:, :, hidden_rows] = float("-inf")
        mask[..., hidden_keys] = float("-inf")
    leaves = [t.clone().requires_grad_(t.is_floating_point()) for t in (q, k, v, mask)]
    with flashsdpa.sdpa_kernel(backend):
        out, lse = _attention(*leaves, 0.0, False, None, False, "top_left")
    out.backward(randn(out.shape, dtype, device, gen))
    dq, dk, dv, dmask = (leaf.grad for leaf in leaves)
    zero_rows = (slice(None), slice(None), hidden_rows)
    zero_keys = (slice(None), slice(None), hidden_keys)
    assert torch.equal(out[zero_rows], torch.zeros_like(out[zero_rows]))
    assert (lse[zero_rows] == float("-inf")).all()
    assert torch.isfinite(lse[:, :, [i for i in range(S_Q) if i not in hidden_rows]]).all()
    assert torch.equal(dq[zero_rows], torch.zeros_like(dq[zero_rows]))
    assert torch.equal(dk[zero_keys], torch.zeros_like(dk[zero_keys]))
    assert torch.equal(dv[zero_keys], torch.zeros_like(dv[zero_keys]))
    for t in (out, dq, dk, dv):
        assert torch.isfinite(t).all()
    if kind == "float_grad":
        assert torch.isfinite(dmask).all()
        assert (dmask[zero_rows] == 0).all() and (dmask[..., hidden_keys] == 0).all()
    check(backend, [q, k, v, mask], dtype, gen, grad_mask=[True, True, True, kind == "float_grad"],
          factor=FACTOR_BROADCAST, context=f"{kind} mask with hidden rows")


@backends
@pytest.mark.parametrize("alignment", ["top_left", "bottom_right"])
def test_rows_outside_the_window_see_no_key(backend, alignment, device, gen):
    """S_q = 40 > S_k = 20: a narrow window leaves rows with no key (top-left: the last rows;
    flash_attn_func's bottom-right: the first rows). Their output is 0, lse -inf (through
    flash_attn_func(return_lse=True) for bottom-right), dq 0; the other rows' lse matches the
    reference's."""
    dtype, s_q, s_k, window = torch.float32, 40, 20, ((3, 0) if alignment == "top_left" else (2, 1))
    q, k, v = qkv(gen, device, dtype, s_q=s_q, s_k=s_k, d=16, d_v=16)
    sees = visible_keys(s_q, s_k, None, window, alignment, device).any(-1)
    assert 0 < int(sees.sum()) < s_q
    leaves = [t.clone().requires_grad_() for t in (q, k, v)]
    with flashsdpa.sdpa_kernel(backend):
        if alignment == "bottom_right":
            out, lse = flashsdpa.flash_attn_func(*(t.transpose(1, 2) for t in leaves), window_size=window,
                                                 return_lse=True)
            out = out.transpose(1, 2)
        else:
            out, lse = _attention(*leaves, None, 0.0, False, None, False, "top_left", window)
    out.backward(randn(out.shape, dtype, device, gen))
    blind = ~sees
    assert torch.equal(out[:, :, blind], torch.zeros_like(out[:, :, blind]))
    assert (lse[:, :, blind] == float("-inf")).all() and torch.isfinite(lse[:, :, sees]).all()
    assert torch.equal(leaves[0].grad[:, :, blind], torch.zeros_like(leaves[0].grad[:, :, blind]))
    for t in (out, *(leaf.grad for leaf in leaves)):
        assert torch.isfinite(t).all()
    _, ref_lse = reference_attention(q, k, v, window_size=window, alignment=alignment)
    torch.testing.assert_close(lse[:, :, sees].double(), ref_lse[:, :, sees], rtol=0, atol=1e-5)
    check(backend, [q, k, v], dtype, gen, window_size=window, alignment=alignment)


# ----------------------------------------------------------------------------- windows


WINDOWS = [((0, 0), 33, 47), ((5, -1), 47, 33), ((-1, 3), 33, 47), ((7, 2), 47, 33)]


@backends
@dtypes
@pytest.mark.parametrize("alignment", ["top_left", "bottom_right"])
@pytest.mark.parametrize("causal", [False, True], ids=["window", "window+causal"])
@pytest.mark.parametrize("window,s_q,s_k", WINDOWS, ids=[str(w[0]) for w in WINDOWS])
def test_sliding_window(backend, dtype, alignment, causal, window, s_q, s_k, device, gen):
    """window_size (left, right), alone and with causal (right bound min(right, 0)); top-left
    through scaled_dot_product_attention, bottom-right through flash_attn_func."""
    tensors = qkv(gen, device, dtype, b=1, s_q=s_q, s_k=s_k, d=24, d_v=40)
    check(backend, tensors, dtype, gen, causal=alignment if causal else None, window_size=window,
          alignment=alignment)


# ----------------------------------------------------------------------------- ALiBi


@backends
@dtypes
@pytest.mark.parametrize("alignment", ["top_left", "bottom_right"])
@pytest.mark.parametrize("causal", [False, True], ids=["alibi", "alibi+causal"])
@pytest.mark.parametrize("slopes_shape", ["H", "BH"])
def test_alibi(backend, dtype, alignment, causal, slopes_shape, device, gen):
    """ALiBi slopes (H_q,) and (B, H_q), distances from the call's diagonal; MQA (2 query heads
    share one key/value head), so a slope must follow its query head, not its key head."""
    s_q, s_k = (33, 47) if slopes_shape == "H" else (47, 33)
    tensors = qkv(gen, device, dtype, h_q=2, h_kv=1, s_q=s_q, s_k=s_k)
    slopes = alibi_slopes((2,) if slopes_shape == "H" else (B, 2), device, gen)
    check(backend, tensors, dtype, gen, causal=alignment if causal else None, enable_gqa=True,
          alibi_slopes=slopes, alignment=alignment)


# ----------------------------------------------------------------------------- softcap


SOFTCAP, Q_SCALE = 5.0, 8.0


def saturated_fraction(q, k, softcap=SOFTCAP):
    """The fraction of scores |q.k * scale| > 2 * softcap, where tanh is within 4% of +-1."""
    s = torch.matmul(q.double(), k.double().transpose(-1, -2)) / q.shape[-1] ** 0.5
    return (s.abs() > 2 * softcap).double().mean().item()


@backends
@dtypes
@pytest.mark.parametrize("case", ["softcap", "softcap+causal", "softcap+float_mask_grad"])
def test_softcap(backend, dtype, case, device, gen):
    """softcap = 5 with inputs scaled up so that a good part of the scores saturate tanh. With a
    float mask that requires grad: dmask = dL/ds after the cap (no tanh' factor), dq/dk get it."""
    q, k, v = qkv(gen, device, dtype, q_scale=Q_SCALE)
    assert saturated_fraction(q, k) > 0.15
    tensors, grad_mask = [q, k, v], None
    if case == "softcap+float_mask_grad":
        tensors.append(make_mask("float", (B, 1, S_Q, S_K), dtype, device, gen) * 3)
        grad_mask = [True, True, True, True]
    check(backend, tensors, dtype, gen, causal="top_left" if case == "softcap+causal" else None,
          grad_mask=grad_mask, factor=FACTOR_BROADCAST if grad_mask else FACTOR, softcap=SOFTCAP)


# ----------------------------------------------------------------------------- all together


@backends
@dtypes
@pytest.mark.parametrize("case", ["key_padding", "float_mask_grad+causal", "flash_attn_func+causal"])
def test_everything_together(backend, dtype, case, device, gen):
    """window + ALiBi + softcap + GQA 4/2, with a bool key-padding mask, with a float mask
    requiring grad and causal (top-left), or through flash_attn_func (bottom-right, causal)."""
    q, k, v = qkv(gen, device, dtype, h_q=4, h_kv=2, s_q=37, s_k=45, d=24, d_v=40, q_scale=3.0)
    features = dict(window_size=(9, 4), softcap=SOFTCAP,
                    alibi_slopes=alibi_slopes((4,) if case == "key_padding" else (B, 4), device, gen))
    tensors, grad_mask, causal, factor = [q, k, v], None, None, FACTOR
    if case == "key_padding":
        tensors.append(make_mask("bool", (B, 1, 1, 45), dtype, device, gen))
    elif case == "float_mask_grad+causal":
        tensors.append(make_mask("float", (B, 1, 37, 45), dtype, device, gen))
        grad_mask, causal, factor = [True, True, True, True], "top_left", FACTOR_BROADCAST
    else:
        causal = "bottom_right"
    check(backend, tensors, dtype, gen, causal=causal, enable_gqa=True, grad_mask=grad_mask, factor=factor,
          context=case, **features)


# ----------------------------------------------------------------------------- property test


SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
WINDOW_SIDE = st.one_of(st.just(-1), st.integers(0, 12))


@st.composite
def feature_calls(draw):
    return dict(
        batch=draw(st.integers(1, 2)), heads_kv=draw(st.integers(1, 2)), group=draw(st.integers(1, 2)),
        s_q=draw(st.integers(1, 40)), s_k=draw(st.integers(1, 40)),
        d=draw(st.sampled_from([8, 16, 24, 40])), d_v=draw(st.sampled_from([8, 16, 24, 40])),
        dtype=draw(st.sampled_from(LOW_DTYPES)),
        mask_kind=draw(st.sampled_from([None, "bool", "float", "float_grad"])),
        mask_shape=draw(st.sampled_from(MASK_SHAPES)),
        window=(draw(WINDOW_SIDE), draw(WINDOW_SIDE)),
        alibi=draw(st.sampled_from([None, "H", "BH"])),
        softcap=draw(st.sampled_from([0.0, 0.0, 1.0, 5.0])),
        causal=draw(st.booleans()),
        alignment=draw(st.sampled_from(["top_left", "bottom_right"])),
        seed=draw(st.integers(0, 2**63 - 1)),
    )


@backends
@SETTINGS
@given(call=feature_calls())
def test_features_meet_accuracy_rule(backend, call, device):
    """Any mix of mask (kind and broadcast shape), window, ALiBi, softcap, causal and alignment
    (bottom-right without a mask goes through flash_attn_func) meets the accuracy rule."""
    gen = generator_from_seed(device, call["seed"])
    dtype, b, h_q = call["dtype"], call["batch"], call["heads_kv"] * call["group"]
    tensors = qkv(gen, device, dtype, b, h_q, call["heads_kv"], call["s_q"], call["s_k"], call["d"], call["d_v"],
                  q_scale=4.0 if call["softcap"] else 1.0)
    grad_mask, factor = None, FACTOR
    if call["mask_kind"] is not None:
        shape = mask_shape(call["mask_shape"], b, h_q, call["s_q"], call["s_k"])
        tensors.append(make_mask("bool" if call["mask_kind"] == "bool" else "float", shape, dtype, device, gen))
        grad_mask = [True, True, True, call["mask_kind"] == "float_grad"]
        if call["mask_kind"] == "float_grad" and shape != (b, h_q, call["s_q"], call["s_k"]):
            factor = FACTOR_BROADCAST
    slopes = None
    if call["alibi"] is not None:
        slopes = alibi_slopes((h_q,) if call["alibi"] == "H" else (b, h_q), device, gen)
    alignment = call["alignment"]
    check(backend, tensors, dtype, gen, causal=alignment if call["causal"] else None, enable_gqa=True,
          grad_mask=grad_mask, factor=factor, context=str(call), window_size=call["window"], alibi_slopes=slopes,
          softcap=call["softcap"], alignment=alignment)
