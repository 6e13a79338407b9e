"""The portable backward's variants against the accuracy rule of its two launches: dQ added by
atomics inside the dK/dV launch (flash.ATOMIC_DQ), and dK/dV programs that each write half of
the columns (TileConfig.col_split, for D = 256), over the cases that reach their edge handling
(odd lengths and head dims, S_q != S_k, GQA, every causal alignment, windows, ALiBi, softcap,
masks, dropout with the exact keep-mask). The checks are the ones the other test modules run,
called here with the variant on; every test also asserts that the variant's launch ran, so a
silent fall back to the plain launches fails."""
from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from flashsdpa import Backend
from flashsdpa.backends import flash
from flashsdpa.kernels import configs
from flashsdpa.kernels.launch import FastLauncher
from helpers import LOW_DTYPES
from test_dropout import CASES as DROPOUT_CASES
from test_dropout import test_flash_matches_reference_with_its_keep_mask as dropout_with_its_mask
from test_features import WINDOWS
from test_features import test_alibi as alibi
from test_features import test_everything_together as everything_together
from test_features import test_mask_broadcast_shapes as mask_broadcast_shapes
from test_features import test_sliding_window as sliding_window
from test_features import test_softcap as softcap
from test_kernels import test_gqa_and_mqa as gqa_and_mqa
from test_kernels import test_head_dims as head_dims
from test_kernels import test_odd_sequence_lengths as odd_sequence_lengths
from test_kernels import test_unequal_lengths as unequal_lengths

dtypes = pytest.mark.parametrize("dtype", LOW_DTYPES, ids=lambda d: str(d).replace("torch.", ""))
FLASH = Backend.FLASH


@pytest.fixture(autouse=True, params=["atomic_dq", "col_split"])
def variant(request, monkeypatch):
    """The variant on, and a record of the launches bound since (no plan kept from another
    test): the test must bind a dK/dV launch of the variant. Cases the variant leaves to the
    plain launches are skipped: a mask's gradient (atomic dQ), head dims under 32 (split)."""
    params = request.node.callspec.params
    if request.param == "atomic_dq" and (params.get("kind") == "float_grad" or params.get("case") == "everything"):
        pytest.skip("a mask's gradient keeps the two launches")
    if request.param == "col_split" and request.node.originalname == "test_gqa_and_mqa":
        pytest.skip("its head dim 16 is too narrow to split")
    if request.param == "atomic_dq":
        monkeypatch.setattr(flash, "ATOMIC_DQ", True)
        flag, value = "ATOMIC_DQ", True
    else:
        interpreter = configs.INTERPRETER_BACKWARD
        monkeypatch.setattr(configs, "INTERPRETER_BACKWARD", replace(interpreter, dkdv=replace(interpreter.dkdv,
                                                                                                 col_split=2)))
        flag, value = "COL_SPLIT", 2
    monkeypatch.setattr(flash, "_PLANS", {})
    bound = []
    bind = FastLauncher.bind

    def recording_bind(self, grid, per_call, *args, **kwargs):
        bound.append(kwargs.get(flag))
        return bind(self, grid, per_call, *args, **kwargs)
    monkeypatch.setattr(FastLauncher, "bind", recording_bind)
    yield
    assert value in bound, f"no dK/dV launch with {flag}={value} ran"


@dtypes
@pytest.mark.parametrize("causal", [None, "top_left", "bottom_right"])
@pytest.mark.parametrize("seq", [17, 47])
def test_odd_sequence_lengths(dtype, causal, seq, device, gen):
    odd_sequence_lengths(FLASH, dtype, causal, seq, device, gen)


@dtypes
@pytest.mark.parametrize("d_qk,d_v", [(40, 40), (80, 24), (17, 33)])
def test_head_dims(dtype, d_qk, d_v, device, gen):
    head_dims(FLASH, dtype, d_qk, d_v, device, gen)


@dtypes
@pytest.mark.parametrize("causal", [None, "bottom_right"])
@pytest.mark.parametrize("s_q,s_k", [(17, 47), (47, 17), (1, 33), (5, 70)])
def test_unequal_lengths(dtype, causal, s_q, s_k, device, gen):
    unequal_lengths(FLASH, dtype, causal, s_q, s_k, device, gen)


@dtypes
@pytest.mark.parametrize("causal", [None, "top_left"])
@pytest.mark.parametrize("h_q,h_kv", [(4, 2), (3, 1)])
def test_gqa_and_mqa(dtype, causal, h_q, h_kv, device, gen):
    gqa_and_mqa(FLASH, dtype, causal, h_q, h_kv, device, gen)


@pytest.mark.parametrize("causal", [False, True], ids=["window", "window+causal"])
@pytest.mark.parametrize("window,s_q,s_k", WINDOWS, ids=[str(w[0]) for w in WINDOWS])
def test_sliding_window(causal, window, s_q, s_k, device, gen):
    sliding_window(FLASH, torch.float16, "bottom_right", causal, window, s_q, s_k, device, gen)


@pytest.mark.parametrize("causal", [False, True], ids=["alibi", "alibi+causal"])
def test_alibi(causal, device, gen):
    alibi(FLASH, torch.float16, "top_left", causal, "BH", device, gen)


@pytest.mark.parametrize("case", ["softcap", "softcap+causal"])
def test_softcap(case, device, gen):
    softcap(FLASH, torch.float16, case, device, gen)


@pytest.mark.parametrize("kind", ["bool", "float", "float_grad"])
@pytest.mark.parametrize("shape_name", ["key_padding", "full"])
def test_masks(kind, shape_name, device, gen):
    mask_broadcast_shapes(FLASH, torch.float16, kind, shape_name, device, gen)


def test_key_padding_with_everything(device, gen):
    everything_together(FLASH, torch.float16, "key_padding", device, gen)


@dtypes
@pytest.mark.parametrize("case", list(DROPOUT_CASES))
def test_dropout_with_its_keep_mask(dtype, case, device, gen):
    dropout_with_its_mask(case, dtype, device, gen)
