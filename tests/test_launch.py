"""The bound launches of kernels/launch.py, on a stand-in for a compiled Triton kernel (the
real one runs in tests/test_gpu_launch.py): the direct launch gets every argument in the
kernel's order with this call's tensors and seed in their places, the first call compiles
through kernel[grid], and nothing of a past call is kept."""
from __future__ import annotations

import gc
import weakref

import pytest
import torch

from flashsdpa.kernels import launch


class _Param:
    def __init__(self, name):
        self.name = name


class _Runner:
    global_scratch_size = profile_scratch_size = 0
    launch_cooperative_grid, launch_pdl = False, False

    def __init__(self):
        self.calls = []

    def launch(self, *args):
        self.calls.append(args)


class _Compiled:
    function, packed_metadata = "function", "metadata"

    def __init__(self):
        self.run = _Runner()


class _Kernel:
    """Looks like a JITFunction: params, device_caches, arg_names, kernel[grid](**kwargs)."""
    arg_names = ["A", "stride_a", "B", "n", "seed", "BLOCK"]
    device_caches = {}

    def __init__(self):
        self.params = [_Param(name) for name in self.arg_names]
        self.compiled = _Compiled()
        self.jit_calls = []

    def __getitem__(self, grid):
        def run(**kwargs):
            self.jit_calls.append((grid, kwargs))
            return self.compiled
        return run


def test_bound_launch_fills_per_call_arguments_in_kernel_order(monkeypatch):
    monkeypatch.setattr(launch, "_current_stream", lambda: "stream")
    kernel = _Kernel()
    a0, b0 = torch.zeros(3), torch.zeros(2)
    bound = launch.FastLauncher(kernel).bind((7,), ("A", "B", "seed"), a0, 1, b0, n=5, seed=11, BLOCK=16, num_warps=4)
    bound(a0, b0, 11)  # the first call compiles through kernel[grid]
    assert kernel.jit_calls == [((7, 1, 1), dict(A=a0, stride_a=1, B=b0, n=5, seed=11, BLOCK=16, num_warps=4))]
    a1, b1 = torch.ones(3), torch.ones(2)
    bound(a1, b1, 12)
    assert len(kernel.jit_calls) == 1, "a bound launch went through the JIT again"
    (call,) = kernel.compiled.run.calls
    assert call[:4] == (7, 1, 1, "stream") and call[4] == "function" and call[9] == "metadata"
    # the tensors go as their data pointers (the launcher skips its pointer check for ints)
    assert call[13:] == (a1.data_ptr(), 1, b1.data_ptr(), 5, 12, 16), call[13:]

    launch.FAST = False
    try:
        bound(a0, b1, 13)
    finally:
        launch.FAST = True
    assert kernel.jit_calls[-1][1] == dict(A=a0, stride_a=1, B=b1, n=5, seed=13, BLOCK=16, num_warps=4)


def test_bind_refuses_a_missing_argument():
    """Every kernel argument is bound (the per-call ones as placeholders): the compiled launch
    takes them all in kernel order, so one left to its default would fail first at a GPU launch
    (as the Gluon backward's seed_host once did, in v0.18); bind refuses it on any machine."""
    kernel = _Kernel()
    a, b = torch.zeros(3), torch.zeros(2)
    with pytest.raises(TypeError, match="arguments not bound: seed"):
        launch.FastLauncher(kernel).bind((7,), ("A", "B"), a, 1, b, n=5, BLOCK=16)


def test_bound_launch_keeps_no_tensor_of_a_call():
    kernel = _Kernel()
    a, b = torch.zeros(3), torch.zeros(2)
    refs = [weakref.ref(a), weakref.ref(b)]
    bound = launch.FastLauncher(kernel).bind((1,), ("A", "B"), a, 1, b, 5, 0, 16)
    kernel.jit_calls.clear()  # the stand-in's record of the call holds them; the launch must not
    del a, b
    gc.collect()
    assert all(ref() is None for ref in refs), "the bound launch keeps a past call's tensors alive"
    assert bound is not None


def test_head_dim_blocks_pad_both_dims_alike_when_both_are_masked():
    """Triton 3.6 on sm_90 miscompiled D_QK = 40 with D_V = 24 (blocks 64 and 32: out-of-bounds
    reads or wrong outputs, found by running the small-shape suite on an H200): where both
    dims are masked they share the larger block; exact dims keep their own."""
    from flashsdpa.kernels.configs import head_dim_blocks
    assert head_dim_blocks(40, 24) == (64, 64)
    assert head_dim_blocks(24, 40) == (64, 64)
    assert head_dim_blocks(40, 40) == (64, 64)
    assert head_dim_blocks(64, 24) == (64, 32)     # D_QK exact: unchanged
    assert head_dim_blocks(192, 128) == (256, 128)  # D_V exact: unchanged
    assert head_dim_blocks(128, 128) == (128, 128)
