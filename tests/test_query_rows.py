"""The dK/dV kernel's other orientation, scores tiles of query rows (QUERY_ROWS in
kernels/backward.py; Hopper's head-dim-256 entry), under the interpreter: the feature and kernel
checks of the other modules rerun with the interpreter's backward tiles switched to it. Each
check asserts that a backward ran in that orientation (the switch cannot silently miss)."""
import pytest
import torch

from flashsdpa.backends import flash
from flashsdpa.kernels import configs

# the checks rerun here (pytest collects imported test functions with their parameters); their
# shapes are ragged (S_q 37, S_k 45 and the like) and test_everything_together has GQA
from test_dropout import test_flash_matches_reference_with_its_keep_mask
from test_features import (test_alibi, test_everything_together, test_fully_masked_rows_and_keys,
                           test_mask_broadcast_shapes, test_mask_gradient_without_qkv_gradients, test_sliding_window,
                           test_softcap)
from test_kernels import test_transposed_bshd_inputs

__all__ = ["test_flash_matches_reference_with_its_keep_mask", "test_alibi", "test_everything_together",
           "test_fully_masked_rows_and_keys", "test_mask_broadcast_shapes", "test_mask_gradient_without_qkv_gradients",
           "test_sliding_window", "test_softcap", "test_transposed_bshd_inputs"]

# On a GPU the interpreter's tiles are not used; the GPU suite's head dim 256 runs this orientation.
pytestmark = pytest.mark.skipif(torch.cuda.is_available(), reason="interpreter tiles only")


def _ran_with_query_rows() -> bool:
    """Whether a cached backward plan bound the dK/dV kernel with QUERY_ROWS."""
    return any(key[0] == "backward" and plan[2].kwargs.get("QUERY_ROWS") for key, plan in flash._PLANS.items())


@pytest.fixture(autouse=True)
def query_rows(monkeypatch):
    monkeypatch.setattr(configs, "INTERPRETER_BACKWARD", configs.BackwardConfig(
        configs.TileConfig(16, 16, 1, 1, query_rows=True), configs.TileConfig(16, 16, 1, 1)))
    flash._PLANS.clear()
    yield
    assert _ran_with_query_rows(), "no backward ran with QUERY_ROWS"
    flash._PLANS.clear()
