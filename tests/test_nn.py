"""flashsdpa.nn modules against the modules they replace: same parameters, same results."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

import flashsdpa
from flashsdpa import Backend
from flashsdpa.nn import CausalSelfAttention, GPTConfig, MultiheadAttention

BACKENDS = pytest.mark.parametrize("backend", [Backend.FLASH, Backend.MATH], ids=lambda b: b.name)


class NanoGPTAttention(torch.nn.Module):
    """nanoGPT's CausalSelfAttention, as in its model.py (flash path), for reference."""

    def __init__(self, config):
        super().__init__()
        self.c_attn = torch.nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = torch.nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.attn_dropout = torch.nn.Dropout(config.dropout)
        self.resid_dropout = torch.nn.Dropout(config.dropout)
        self.n_head, self.n_embd, self.dropout = config.n_head, config.n_embd, config.dropout

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p=self.dropout if self.training else 0,
                                           is_causal=True)
        return self.resid_dropout(self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C)))


@BACKENDS
@pytest.mark.parametrize("bias", [True, False])
def test_causal_self_attention_loads_nanogpt_weights_and_matches(backend, bias, device, gen):
    config = GPTConfig(block_size=64, n_embd=48, n_head=3, dropout=0.0, bias=bias)
    ref = NanoGPTAttention(config).to(device)
    ours = CausalSelfAttention(config).to(device)
    ours.load_state_dict(ref.state_dict())  # strict: same names and shapes
    x = torch.randn(2, 37, 48, generator=gen, device=device)
    x_ref, x_ours = x.clone().requires_grad_(), x.clone().requires_grad_()
    with flashsdpa.sdpa_kernel(backend):
        out = ours(x_ours)
    expected = ref(x_ref)
    torch.testing.assert_close(out, expected, rtol=1e-4, atol=1e-5)
    out.sum().backward()
    expected.sum().backward()
    torch.testing.assert_close(x_ours.grad, x_ref.grad, rtol=1e-4, atol=1e-5)
    for (name, p), q in zip(ours.named_parameters(), ref.parameters()):
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-4, atol=1e-5, msg=name)


def test_causal_self_attention_dropout_only_in_training(device, gen):
    ours = CausalSelfAttention(GPTConfig(n_embd=32, n_head=2, dropout=0.5)).to(device)
    x = torch.randn(1, 20, 32, generator=gen, device=device)
    ours.eval()
    assert torch.equal(ours(x), ours(x))
    ours.train()
    torch.manual_seed(0)
    a = ours(x)
    torch.manual_seed(1)
    assert not torch.equal(a, ours(x))


def test_causal_self_attention_checks_its_config():
    with pytest.raises(ValueError, match="n_embd.*n_head.*n_embd=10, n_head=3"):
        CausalSelfAttention(GPTConfig(n_embd=10, n_head=3))


MHA_OPTIONS = [{}, {"batch_first": True}, {"kdim": 12, "vdim": 20}, {"add_bias_kv": True},
               {"add_zero_attn": True}, {"bias": False}]


def _mha_inputs(options, gen, device, L=7, S=9, N=3, E=32):
    def make(n, d):
        return torch.randn((N, n, d) if options.get("batch_first") else (n, N, d), generator=gen, device=device)
    return make(L, E), make(S, options.get("kdim", E)), make(S, options.get("vdim", E))


@BACKENDS
@pytest.mark.parametrize("options", MHA_OPTIONS, ids=lambda o: ",".join(o) or "default")
def test_multihead_attention_is_a_drop_in(backend, options, device, gen):
    ref = torch.nn.MultiheadAttention(32, 4, **options).to(device)
    ours = MultiheadAttention(32, 4, **options).to(device)
    assert list(ours.state_dict()) == list(ref.state_dict())
    ours.load_state_dict(ref.state_dict())
    q, k, v = _mha_inputs(options, gen, device)
    padding = torch.zeros(3, 9, dtype=torch.bool, device=device)
    padding[0, -3:] = True
    bool_mask = torch.zeros(7, 9, dtype=torch.bool, device=device)
    bool_mask[:, 0] = True
    calls = [{}, {"key_padding_mask": padding}, {"attn_mask": bool_mask}, {"attn_mask": torch.randn(7, 9, generator=gen, device=device)},
             {"key_padding_mask": padding, "attn_mask": torch.randn(12, 7, 9, generator=gen, device=device)},
             {"need_weights": False}, {"average_attn_weights": False}]
    for kwargs in calls:
        expected, expected_w = ref(q, k, v, **kwargs)
        with flashsdpa.sdpa_kernel(backend):
            out, weights = ours(q, k, v, **kwargs)
        torch.testing.assert_close(out, expected, rtol=1e-4, atol=1e-5, msg=str(kwargs))
        if expected_w is None:
            assert weights is None
        else:
            torch.testing.assert_close(weights, expected_w, rtol=1e-4, atol=1e-6, msg=str(kwargs))


def test_multihead_attention_unbatched_and_causal(device, gen):
    ref, ours = torch.nn.MultiheadAttention(16, 2).to(device), MultiheadAttention(16, 2).to(device)
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(5, 16, generator=gen, device=device)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(5, device=device)
    expected, _ = ref(x, x, x, attn_mask=mask, is_causal=True)
    out, _ = ours(x, x, x, attn_mask=mask, is_causal=True)
    torch.testing.assert_close(out, expected, rtol=1e-4, atol=1e-5)
    out, _ = ours(x, x, x, is_causal=True, need_weights=False)  # causal without a mask: the kernel's
    torch.testing.assert_close(out, expected, rtol=1e-4, atol=1e-5)


def test_multihead_attention_errors():
    with pytest.raises(ValueError, match="embed_dim.*num_heads.*embed_dim=10, num_heads=3"):
        MultiheadAttention(10, 3)
    mha = MultiheadAttention(8, 2)
    x = torch.randn(4, 2, 8)
    with pytest.raises(ValueError, match=r"key_padding_mask must be \(N, S\) = \(2, 4\); got \(4, 2\)"):
        mha(x, x, x, key_padding_mask=torch.zeros(4, 2, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"attn_mask .*got \(3, 3\)"):
        mha(x, x, x, attn_mask=torch.zeros(3, 3))
    with pytest.raises(TypeError, match="attn_mask must be bool or floating point; got torch.int64"):
        mha(x, x, x, attn_mask=torch.zeros(4, 4, dtype=torch.long))
    assert math.isclose(mha.head_dim, 4)
