"""The Gluon forward at head dim 64 (its D = 64 tiles) on every length against the Triton
kernel on every length, on the anchor grid's D = 64 shapes, forward only, each beside cuDNN in
the same run: what hopper_forward.MIN_SEQ's D = 64 entries are chosen from.

    PYTHONPATH=src python3 benchmarks/experiment_d64_forward.py [--json PREFIX]   # on an H100/H200
"""
import sys

from flashsdpa import bench
from flashsdpa.backends import flash
from flashsdpa.kernels import hopper_forward


def main():
    prefix = sys.argv[sys.argv.index("--json") + 1] if "--json" in sys.argv else None
    shipped = dict(hopper_forward.MIN_SEQ)
    for name, min_seq in (("triton", 1 << 30), ("gluon", 0)):
        hopper_forward.MIN_SEQ = {**shipped, (64, False): min_seq, (64, True): min_seq}
        flash._PLANS.clear()   # plans are not keyed by MIN_SEQ
        print(f"## D = 64 forward through the {name} kernel")
        args = ["--dims", "64", "--directions", "fwd", "--providers", "ours,cudnn"]
        bench.main(args + (["--json", f"{prefix}_{name}.json"] if prefix else []))


if __name__ == "__main__":
    main()
