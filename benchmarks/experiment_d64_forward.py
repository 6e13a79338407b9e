"""The Gluon forward at head dim 64 (hopper_forward.HEAD_DIMS widened; its D = 64 tiles) against
the Triton kernel that runs D = 64 by default, on the anchor grid's D = 64 shapes, forward only,
each beside cuDNN in the same run.

    PYTHONPATH=src python3 benchmarks/experiment_d64_forward.py [--json PREFIX]   # on an H100/H200
"""
import sys

from flashsdpa import bench
from flashsdpa.backends import flash
from flashsdpa.kernels import hopper_forward


def main():
    prefix = sys.argv[sys.argv.index("--json") + 1] if "--json" in sys.argv else None
    for name, dims in (("triton", hopper_forward.HEAD_DIMS), ("gluon", (64,) + hopper_forward.HEAD_DIMS)):
        hopper_forward.HEAD_DIMS = dims
        flash._PLANS.clear()   # plans are not keyed by HEAD_DIMS
        print(f"## D = 64 forward through the {name} kernel")
        args = ["--dims", "64", "--directions", "fwd", "--providers", "ours,cudnn"]
        bench.main(args + (["--json", f"{prefix}_{name}.json"] if prefix else []))


if __name__ == "__main__":
    main()
