"""Dropout on both backends: keep rate, independence, unbiasedness, reproducibility under
torch.manual_seed, p = 0, and (FLASH) output and gradients against the float64 reference
computed with the exact keep-mask the kernel used.

The seed of a call is drawn from torch's generator of the call's device, so a test seeds it
with torch.manual_seed; every test runs inside torch.random.fork_rng, so the global generator
is left as it was, and the seeds themselves come from the test's `gen` (fresh every run,
shown in failure messages).
"""
from __future__ import annotations

import math
import threading
import time

import pytest
import torch

import flashsdpa
from flashsdpa import Backend
from flashsdpa.backends.flash import (ScoreOptions, draw_dropout_seed, dropout_keep_mask, flash_backward, flash_forward,
                                      generator_seed)
from helpers import (
    BOTH_BACKENDS,
    FACTOR_BROADCAST,
    LOW_DTYPES,
    alibi_slopes,
    check_accuracy,
    ours_sdpa,
    randn,
    recompute_tiny,
    ref_sdpa,
    reference_attention,
    seed_of,
    torch_sdpa,
)

backends = pytest.mark.parametrize("backend", BOTH_BACKENDS, ids=lambda b: b.name)
dtypes = pytest.mark.parametrize("dtype", LOW_DTYPES, ids=lambda d: str(d).replace("torch.", ""))


@pytest.fixture(autouse=True)
def _restore_global_rng():
    with torch.random.fork_rng(devices=[]):
        yield


def seeds(gen, n):
    """n distinct seeds for torch.manual_seed, drawn from the test's generator."""
    drawn = torch.randperm(2**20, generator=gen, device=gen.device)[:n] * 4093 + 17
    return [int(s) for s in drawn.tolist()]


def sdpa(backend, seed, *args, **kwargs):
    """scaled_dot_product_attention with only `backend` enabled, after torch.manual_seed(seed)."""
    torch.manual_seed(seed)
    with flashsdpa.sdpa_kernel(backend):
        return flashsdpa.scaled_dot_product_attention(*args, **kwargs)


def keep_mask_from_output(backend, seed, q, k, p):
    """With V = I (D_v = S_k) the output is the dropped-out probability matrix P * keep / (1 - p):
    returns (keep, out, P) of the call with this seed (P > 0 everywhere for fp32 N(0, 1) inputs)."""
    s_k = k.shape[-2]
    eye = torch.eye(s_k, dtype=q.dtype, device=q.device).expand(*k.shape[:-1], s_k)
    out = sdpa(backend, seed, q, k, eye, dropout_p=p)
    probs, _ = reference_attention(q, k, eye)
    return out != 0, out, probs


@backends
@pytest.mark.parametrize("p", [0.2, 0.6])
def test_keep_rate_and_scaling(backend, p, device, gen):
    """6204 scores: the kept fraction is 1 - p within 5 binomial standard deviations (a swapped
    p <-> 1 - p, or a keep-mask that ignores p, is off by >= 0.2, i.e. > 30 sd), and each kept
    entry is P / (1 - p)."""
    q = randn((2, 2, 33, 16), torch.float32, device, gen)
    k = randn((2, 2, 47, 16), torch.float32, device, gen)
    keep, out, probs = keep_mask_from_output(backend, seeds(gen, 1)[0], q, k, p)
    n = keep.numel()
    rate = keep.double().mean().item()
    assert abs(rate - (1 - p)) < 5 * math.sqrt(p * (1 - p) / n), rate
    torch.testing.assert_close(out[keep].double(), probs[keep] / (1 - p), rtol=2e-5, atol=1e-7)


@backends
def test_keep_masks_are_independent(backend, device, gen):
    """Two scores get the same keep decision with probability p^2 + (1-p)^2 when independent;
    compare neighbours across heads, batches, rows and columns (a mask repeated per head, per
    row or within a column group of the random generator agrees far more often)."""
    p = 0.5
    q = randn((2, 2, 33, 16), torch.float32, device, gen)
    k = randn((2, 2, 47, 16), torch.float32, device, gen)
    keep, _, _ = keep_mask_from_output(backend, seeds(gen, 1)[0], q, k, p)
    expected = p * p + (1 - p) * (1 - p)
    pairs = {"heads": (keep[:, 0], keep[:, 1]), "batches": (keep[0], keep[1]),
             "rows": (keep[..., 1:, :], keep[..., :-1, :]), "columns": (keep[..., 1:], keep[..., :-1]),
             "columns+4": (keep[..., 4:], keep[..., :-4])}
    for name, (a, b) in pairs.items():
        agree = (a == b).double().mean().item()
        sd = math.sqrt(expected * (1 - expected) / a.numel())
        assert abs(agree - expected) < 6 * sd, (name, agree)


@backends
def test_dropout_is_unbiased(backend, device, gen):
    """E[out] over dropout draws is the attention without dropout: one call on N = 192 copies
    of the same (q, k, v) along the batch (each copy draws its own mask; that the copies' masks
    are independent is test_keep_masks_are_independent's) estimates it. The mean of entry
    (i, d) has variance sum_j P_ij^2 V_jd^2 * p / (1 - p) / N (independent Bernoulli keeps),
    so z = (mean - exact) / sd is ~N(0, 1) per entry; every |z| < 5 (a union bound over the 192
    entries, whatever their correlation: a false alarm has probability < 1.2e-4; measured on
    400 runs of MATH: max |z| <= 4.5, median 2.8). A wrong rescaling (e.g. none, E = (1 - p) *
    exact) gives |z| of 6 on typical entries and far more on the largest."""
    p, n, s_q, s_k = 0.3, 192, 16, 13
    q = randn((1, 1, s_q, 8), torch.float32, device, gen)
    k = randn((1, 1, s_k, 8), torch.float32, device, gen)
    v = randn((1, 1, s_k, 12), torch.float32, device, gen)
    out = sdpa(backend, seeds(gen, 1)[0], q.repeat(n, 1, 1, 1), k.repeat(n, 1, 1, 1), v.repeat(n, 1, 1, 1),
               dropout_p=p)
    mean = out.double().mean(dim=0, keepdim=True)
    exact, _ = reference_attention(q, k, v)
    probs, _ = reference_attention(q, k, torch.eye(s_k, device=device).expand(1, 1, s_k, s_k))
    variance = torch.matmul(probs ** 2, v.double() ** 2) * p / (1 - p) / n
    z = (mean - exact) / variance.sqrt()
    assert z.abs().max().item() < 5, z.abs().max().item()
    assert not torch.allclose(out[0].double(), exact[0], atol=1e-3)  # a single draw does differ


@backends
@pytest.mark.parametrize("api", ["sdpa", "flash_attn_func"])
def test_same_seed_same_result(backend, api, device, gen):
    """torch.manual_seed(s) before the call fixes output and gradients bit for bit; another
    seed changes them (and the backward uses the call's own mask, not a fresh draw)."""
    q = randn((1, 4, 33, 24), torch.float16, device, gen)
    k = randn((1, 2, 47, 24), torch.float16, device, gen)
    v = randn((1, 2, 47, 40), torch.float16, device, gen)
    dout = randn((1, 4, 33, 40), torch.float16, device, gen)
    first, second = seeds(gen, 2)
    results = []
    for seed in (first, first, second):
        leaves = [t.clone().requires_grad_() for t in (q, k, v)]
        torch.manual_seed(seed)
        with flashsdpa.sdpa_kernel(backend):
            if api == "sdpa":
                out = flashsdpa.scaled_dot_product_attention(*leaves, dropout_p=0.4, is_causal=True, enable_gqa=True)
            else:
                out = flashsdpa.flash_attn_func(*(t.transpose(1, 2) for t in leaves), dropout_p=0.4,
                                                causal=True).transpose(1, 2)
        torch.manual_seed(seed + 1)  # the backward must not depend on the generator's state
        out.backward(dout)
        results.append([out.detach(), *(leaf.grad for leaf in leaves)])
    for name, a, b, c in zip(["out", "dq", "dk", "dv"], *results):
        assert torch.isfinite(a).all(), name
        assert torch.equal(a, b), f"{name} differs under the same seed"
        assert not torch.equal(a, c), f"{name} is the same under another seed"


class _StandInGenerator:
    """The seed and offset interface of torch's CUDA generator (the CPU generator has no offset)."""

    def __init__(self, seed):
        self.seed, self.offset = seed, 0

    def initial_seed(self):
        return self.seed

    def get_offset(self):
        return self.offset

    def set_offset(self, offset):
        self.offset = offset


class _SlowStandInGenerator(_StandInGenerator):
    """A stand-in that lets other threads run between reading its offset and returning it."""

    def get_offset(self):
        offset = self.offset
        time.sleep(0)
        return offset


def test_host_seeds_are_distinct_across_threads(gen):
    """Threads calling on one device read and advance the generator's offset one at a time: 8
    threads x 50 calls get 400 distinct keys and advance the offset by 4 each (unguarded, two
    threads read the same offset and drop the same entries)."""
    generator = _SlowStandInGenerator(seeds(gen, 1)[0])
    keys = []

    def draw():
        keys.extend(generator_seed(generator) for _ in range(50))
    threads = [threading.Thread(target=draw) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(keys)) == len(keys) == 400 and generator.offset == 4 * 400


def test_host_seeds_follow_the_generator_state(gen):
    """An eager GPU call takes its seed on the host from the generator's (seed, offset) and
    advances the offset: successive calls get distinct 63-bit keys, a restored offset (as
    activation checkpointing restores the RNG state) gives the same key again, another seed
    other keys, and the keys' bits are balanced (a key that kept the low-entropy offset or
    seed bits as they are would not be)."""
    seed = seeds(gen, 1)[0]
    generator = _StandInGenerator(seed)
    keys = [generator_seed(generator) for _ in range(64)]
    assert generator.offset == 4 * 64
    assert len(set(keys)) == 64 and all(0 <= key < 2**63 for key in keys)
    generator.set_offset(8)
    assert generator_seed(generator) == keys[2]
    assert generator.offset == 12
    others = [generator_seed(_StandInGenerator(seed + 1)) for _ in range(4)]
    assert not set(others) & set(keys)
    ones = sum(bin(key).count("1") for key in keys) / (63 * len(keys))
    assert abs(ones - 0.5) < 5 * 0.5 / math.sqrt(63 * len(keys)), ones


def test_host_and_device_seeds_drop_the_same_entries(device, gen):
    """A seed reaches the kernels as an int (an eager GPU call's, as seed_host) or as a tensor
    they read (a captured call's): the same seed drops the same entries either way, forward and
    backward, 63-bit seeds too, and the entries are dropout_keep_mask's. With V = I the output
    is the dropped probability matrix, nonzero exactly where a score is kept."""
    p, s = 0.3, 21
    seed = int(torch.randint(2**40, 2**62, (1,), generator=gen, device=gen.device).item())
    q, k = (randn((1, 2, s, 16), torch.float32, device, gen) for _ in range(2))
    v = torch.eye(s, device=device).expand(1, 2, s, s).contiguous()
    dout = randn((1, 2, s, s), torch.float32, device, gen)
    opts = ScoreOptions(0.25, False, 0, dropout_p=p)
    results = []
    for as_given in (seed, torch.tensor(seed, dtype=torch.int64, device=device)):
        out, lse = flash_forward(q, k, v, 0.25, False, 0, opts=opts, seed=as_given)
        grads = flash_backward(dout, q, k, v, out, lse, 0.25, False, 0, opts=opts, seed=as_given)[:3]
        results.append([out, *grads])
    for name, a, b in zip(["out", "dq", "dk", "dv"], *results):
        assert torch.isfinite(a).all() and torch.equal(a, b), name
    keep = dropout_keep_mask(seed, 1, 2, s, s, p, device)
    assert torch.equal(results[0][0] != 0, keep)


@backends
@dtypes
def test_dropout_p_zero_is_no_dropout(backend, dtype, device, gen):
    """dropout_p=0.0 gives bit-identical output and gradients to a call without dropout."""
    q = randn((2, 2, 33, 24), dtype, device, gen)
    k = randn((2, 2, 47, 24), dtype, device, gen)
    v = randn((2, 2, 47, 16), dtype, device, gen)
    mask = randn((2, 1, 33, 47), dtype, device, gen)
    dout = randn((2, 2, 33, 16), dtype, device, gen)
    results = []
    for kwargs in ({}, {"dropout_p": 0.0}, {"dropout_p": 0}):
        leaves = [t.clone().requires_grad_() for t in (q, k, v, mask)]
        out = sdpa(backend, seeds(gen, 1)[0], *leaves[:3], attn_mask=leaves[3], is_causal=True, **kwargs)
        out.backward(dout)
        results.append([out.detach(), *(leaf.grad for leaf in leaves)])
    for reference, *others in zip(*results):
        for other in others:
            assert torch.equal(reference, other)


# ----------------------------------------------------------------------------- FLASH: exact mask


CASES = {
    "plain": dict(p=0.3),
    "causal+gqa": dict(p=0.5, causal="top_left", enable_gqa=True),
    "flash_attn_func": dict(p=0.2, causal="bottom_right", enable_gqa=True),
    "everything": dict(p=0.25, enable_gqa=True, mask=True, window_size=(20, 9), alibi=True, softcap=5.0),
}


@dtypes
@pytest.mark.parametrize("case", list(CASES))
def test_flash_matches_reference_with_its_keep_mask(case, dtype, device, gen):
    """The keep-mask of the call (dropout_keep_mask of the seed the call drew, replayed with
    torch.manual_seed) applied in the float64 reference: output, dq, dk, dv (and dmask) meet
    the accuracy rule; torch's comparator is helpers.plain_attention with the same mask. A
    backward that regenerated another mask than the forward's fails on dq/dk/dv."""
    options = dict(CASES[case])
    p, with_mask, with_alibi = options.pop("p"), options.pop("mask", False), options.pop("alibi", False)
    b, h_q, h_kv, s_q, s_k = 2, 2, 1 if options.get("enable_gqa") else 2, 37, 45
    tensors = [randn((b, h_q, s_q, 24), dtype, device, gen), randn((b, h_kv, s_k, 24), dtype, device, gen),
               randn((b, h_kv, s_k, 40), dtype, device, gen)]
    grad_mask, factor = None, 2.0
    if with_mask:
        tensors.append(randn((b, 1, s_q, s_k), dtype, device, gen))
        grad_mask, factor = [True, True, True, True], FACTOR_BROADCAST
    if with_alibi:
        options["alibi_slopes"] = alibi_slopes((b, h_q), device, gen)
    seed = seeds(gen, 1)[0]
    torch.manual_seed(seed)
    keep = dropout_keep_mask(draw_dropout_seed(device), b, h_q, s_q, s_k, p, device)
    assert keep.shape == (b, h_q, s_q, s_k) and keep.dtype == torch.bool
    n = keep.numel()
    assert abs(keep.double().mean().item() - (1 - p)) < 5 * math.sqrt(p * (1 - p) / n)

    flash = ours_sdpa(Backend.FLASH, dropout_p=p, **options)

    def ours(*args):
        torch.manual_seed(seed)
        return flash(*args)

    _, lse = reference_attention(*(t.double() for t in tensors[:3]), tensors[3].double() if with_mask else None,
                                 **options)
    tiny = recompute_tiny(dtype, lse[torch.isfinite(lse)].abs().max().item() + 5.0)  # see test_features.score_tiny
    check_accuracy(ours, torch_sdpa(keep=keep, dropout_p=p, **options), ref_sdpa(keep=keep, dropout_p=p, **options),
                   tensors, dtype, gen, grad_mask=grad_mask, factor=factor, tiny=tiny,
                   context=f"FLASH dropout {case} p={p} seed={seed} (gen {seed_of(gen)})")
