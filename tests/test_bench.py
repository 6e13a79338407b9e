"""The benchmark's command line and shape lists (the timing itself needs a GPU: bash scripts/main)."""
import argparse

import pytest
import torch

from flashsdpa import bench


def test_extra_shapes_are_the_reported_cases():
    labels = {s.label for s in bench.extra_shapes()}
    assert {"D=96 causal S=8192 B=2 H=21", "D=256 full S=2048 B=8 H=8", "D=128 causal S=131072 B=1 H=16",
            "D=128 full S=32768 B=1 H=16", "D=128 causal S=4096 B=4 H=32/8"} <= labels
    assert all(s.batch * s.seq in (16384, 32768, 131072) for s in bench.extra_shapes())


def test_shape_parsing():
    shape = bench.parse_shape("4,32,4096,128,causal,8")
    assert (shape.batch, shape.heads, shape.seq, shape.head_dim, shape.causal, shape.kv_heads) == (4, 32, 4096, 128, True, 8)
    assert shape.flops("bwd") == 2.5 * shape.flops("fwd") == 2.5 * 2 * 4 * 32 * 4096 * 4096 * 128
    with pytest.raises(argparse.ArgumentTypeError, match="B,H,S,D"):
        bench.parse_shape("4,32,x,128")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message of a machine without a GPU")
def test_without_gpu_says_so(capsys):
    assert bench.main(["--grid", "extra"]) == 2
    assert "No CUDA GPU" in capsys.readouterr().out
