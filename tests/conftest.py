"""Test set-up shared by every test module.

* Without CUDA, the Triton kernels run under the Triton interpreter on CPU tensors. The
  interpreter is chosen when a kernel is *decorated* (at import of flashsdpa.kernels), so
  TRITON_INTERPRET must be set here, before any test module imports flashsdpa or triton.
* Tests marked ``@pytest.mark.gpu`` need CUDA: they are skipped without it (pyproject's
  addopts already deselects them; run them with ``pytest -m gpu``).
* Nothing is seeded globally: each test draws fresh random inputs from its own generator
  (see helpers.new_generator), and the seed is printed in every accuracy failure.
"""
from __future__ import annotations

import importlib.util
import os
import sys

import torch

if not torch.cuda.is_available():
    os.environ["TRITON_INTERPRET"] = "1"

# Let `pytest` work from a plain checkout as well as with PYTHONPATH=src (or an install).
_SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
if importlib.util.find_spec("flashsdpa") is None:
    sys.path.insert(0, _SRC)
_TESTS = os.path.dirname(os.path.abspath(__file__))
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

# CI (.ci/run sets FLASHSDPA_CI=1) draws the property tests' examples from a fixed sequence, so
# that a commit's CI result is reproducible; a local run explores new examples every time.
# What a local run finds is pinned with @example once fixed (see test_properties.py).
settings.register_profile("ci", derandomize=True)
if os.environ.get("FLASHSDPA_CI") == "1":
    settings.load_profile("ci")

HAS_CUDA = torch.cuda.is_available()
DEVICE = "cuda" if HAS_CUDA else "cpu"


def pytest_configure(config):
    config.addinivalue_line("markers", "gpu: needs a CUDA GPU; large shapes (run with -m gpu)")


def pytest_collection_modifyitems(config, items):
    # test_query_rows.py reruns other modules' checks for the FLASH kernels only
    rerun_for_math = [item for item in items if item.module.__name__ == "test_query_rows"
                      and getattr(getattr(item, "callspec", None), "params", {}).get("backend") is not None
                      and item.callspec.params["backend"].name != "FLASH"]
    if rerun_for_math:
        config.hook.pytest_deselected(items=rerun_for_math)
        items[:] = [item for item in items if item not in rerun_for_math]
    if HAS_CUDA:
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def device() -> str:
    """'cuda' when a GPU is present, else 'cpu' (the kernels then run under the interpreter)."""
    return DEVICE


@pytest.fixture
def gen(device):
    """A fresh, randomly seeded generator for this test (its seed is in failure messages)."""
    from helpers import new_generator

    return new_generator(device)


@pytest.fixture
def cpu_gen():
    """gen for tests that build CPU tensors on every machine (dispatch descriptions, sharding)."""
    from helpers import new_generator

    return new_generator("cpu")
