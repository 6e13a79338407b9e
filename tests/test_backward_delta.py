"""The accuracy rule for dq/dk *without* the delta-rounding allowance of helpers.py.

Both backends compute delta_i = rowsum(dO_i * O_i) in the backward from the output O as
returned, i.e. rounded to the input dtype. With values that share a common offset (a bias
in the value projection, say) |O| is large, the rounding error of O is large, and delta
absorbs it: dq and dk then carry an error of ~eps * |O| * |dO| per row that the exact
computation does not have. torch's math SDPA (computing in float32 for fp16 inputs on CPU)
does not have it: its backward never rounds the output it differentiates.

The MATH backend computes in float32 too; it has the float32 P and dP of every chunk in its
backward and takes delta = rowsum(P * dP) from those, so it meets the rule without the
allowance. FLASH does what FlashAttention-2/3 and cuDNN do (delta from the stored output,
which keeps the saved state at output + log-sum-exp); it is held, without allowance, to
torch's own GPU kernels, which do the same. On CPU it gets the allowance of helpers.py.
"""
from __future__ import annotations

import pytest
import torch
from torch.nn.attention import SDPBackend, sdpa_kernel

import helpers
from flashsdpa import Backend
from helpers import check_accuracy, ours_sdpa, randn, ref_sdpa, torch_sdpa


def torch_math_on_cpu(causal):
    """torch's own SDPA math path, on CPU copies (fp16 is computed in float32 there)."""
    inner = torch_sdpa(causal)

    def fn(q, k, v):
        with sdpa_kernel([SDPBackend.MATH]):
            return inner(q.cpu(), k.cpu(), v.cpu()).to(q.device)
    return fn


def _value_offset_inputs(device, gen, dtype=torch.float16, shape=(1, 2, 33, 32)):
    q = randn(shape, dtype, device, gen)
    k = randn(shape, dtype, device, gen)
    v = (randn(shape, torch.float32, device, gen) + 8.0).to(dtype)  # values with a common offset
    return q, k, v


@pytest.mark.parametrize("causal", [None, "top_left"])
def test_math_dq_dk_with_value_offset_meet_the_rule_without_allowance(causal, monkeypatch, device, gen):
    monkeypatch.setattr(helpers, "ALLOW_ROUNDED_OUTPUT_IN_DELTA", False)
    check_accuracy(ours_sdpa(Backend.MATH, causal), torch_math_on_cpu(causal), ref_sdpa(causal),
                   list(_value_offset_inputs(device, gen)), torch.float16, gen,
                   context=f"MATH causal={causal} v ~ N(8, 1)")


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=str)
@pytest.mark.parametrize("causal", [None, "top_left"])
def test_flash_dq_dk_with_value_offset_match_torch_gpu_kernels(causal, dtype, monkeypatch, gen):
    """FLASH against torch's own GPU SDPA in the same dtype, with no allowance: both take
    delta from the stored output, so FLASH must be no worse than they are."""
    monkeypatch.setattr(helpers, "ALLOW_ROUNDED_OUTPUT_IN_DELTA", False)
    check_accuracy(ours_sdpa(Backend.FLASH, causal), torch_sdpa(causal), ref_sdpa(causal),
                   list(_value_offset_inputs("cuda", gen, dtype, (2, 4, 1000, 64))), dtype, gen,
                   context=f"FLASH causal={causal} v ~ N(8, 1)")
