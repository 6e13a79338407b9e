"""The Gluon forward at head dim 256 (D = 256 tiles, 64 keys a stage, O out through Q's buffers)
against the portable Triton kernel and cuDNN, forward TFLOP/s, bf16, 16k tokens (H = 8).

    PYTHONPATH=src python3 benchmarks/experiment_d256_forward.py [S ...]   # on an H100/H200, ~1 min
    (default S: 1024 2048 8192)
"""
import sys

import torch
import torch.nn.functional as F
import triton.testing
from torch.nn.attention import SDPBackend, sdpa_kernel

from flashsdpa.backends import flash, hopper
from flashsdpa.kernels import hopper_forward


def main(seqs=(1024, 2048, 8192)):
    hopper_forward.MIN_SEQ.update({(256, False): 0, (256, True): 0})
    print("| S | causal | Gluon | Triton | cuDNN | Gluon ÷ cuDNN | max rel diff Gluon / Triton |")
    print("|---|---|---|---|---|---|---|")
    for s in seqs:
        for causal in (False, True):
            b, h, d = 16384 // s, 8, 256
            q, k, v = (torch.randn(b, h, s, d, device="cuda", dtype=torch.bfloat16) for _ in range(3))
            opts = flash.ScoreOptions(d ** -0.5, causal)
            flops = 4 * b * h * s * s * d * (0.5 if causal else 1.0)
            rates, outs = {}, {}
            for name, gluon in (("Gluon", True), ("Triton", False)):
                hopper.FORWARD = gluon
                assert (hopper.forward_reason(q, k, v, flash.empty_like_layout(q, d), opts) is None) == gluon
                outs[name] = flash.flash_forward(q, k, v, 0.0, False, 0, opts=opts)[0]
                ms = triton.testing.do_bench(lambda: flash.flash_forward(q, k, v, 0.0, False, 0, opts=opts),
                                             rep=50, return_mode="median")
                rates[name] = flops / ms * 1e-9
            hopper.FORWARD = True
            with sdpa_kernel([SDPBackend.CUDNN_ATTENTION]):
                ms = triton.testing.do_bench(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal),
                                             rep=50, return_mode="median")
            rates["cuDNN"] = flops / ms * 1e-9
            diff = ((outs["Gluon"].float() - outs["Triton"].float()).norm() / outs["Triton"].float().norm()).item()
            print(f"| {s} | {causal} | {rates['Gluon']:.0f} | {rates['Triton']:.0f} | {rates['cuDNN']:.0f} | "
                  f"{rates['Gluon'] / rates['cuDNN']:.2f} | {diff:.1e} |", flush=True)


if __name__ == "__main__":
    main(tuple(int(a) for a in sys.argv[1:]) or (1024, 2048, 8192))
