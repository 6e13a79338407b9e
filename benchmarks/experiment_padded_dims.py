"""Head dims between 64 and 128 (96, 80) through the D = 128 Gluon kernels, TMA reading the
columns past D as zeros (hopper_common.padded_head_dim), against the Triton kernels (which pad
D to 128 in registers) and cuDNN: the error of the output and each gradient against float64,
then TFLOP/s forward and backward. bf16, 16k tokens a batch, H = 21 (the extra grid's D = 96).

    PYTHONPATH=src python3 benchmarks/experiment_padded_dims.py     # on an H100/H200

Each case prints its row as soon as it is done (a hang shows which).
"""
import torch
import triton.testing
from torch.nn.attention import SDPBackend, sdpa_kernel

import flashsdpa
from flashsdpa.backends import flash
from flashsdpa.kernels import hopper_backward, hopper_forward

CASES = [(d, seq, causal) for d in (96, 80) for seq in (2048, 8192) for causal in (False, True)]


def _head_dims(d):
    """Let the Gluon kernels take head dim d too (None: only 128); plans are not keyed by it."""
    hopper_forward.HEAD_DIMS = hopper_backward.HEAD_DIMS = (128,) if d is None else (d, 128)
    flash._PLANS.clear()


def rel(a, b):
    return ((a.double() - b.double()).norm() / b.double().norm()).item()


def main():
    print("| D | S | causal | rel err out/dq/dk/dv: Gluon; Triton; cuDNN | fwd TFLOP/s Gluon / Triton / cuDNN "
          "| bwd TFLOP/s Gluon / Triton / cuDNN |")
    print("|---|---|---|---|---|---|")
    for d, seq, causal in CASES:
        batch, heads = 16384 // seq, 21
        q, k, v, dout = (torch.randn(batch, heads, seq, d, device="cuda", dtype=torch.bfloat16) for _ in range(4))

        def run(provider, grads=True):
            leaves = [t.detach().requires_grad_(grads) for t in (q, k, v)]
            if provider == "cudnn":
                with sdpa_kernel(SDPBackend.CUDNN_ATTENTION):
                    out = torch.nn.functional.scaled_dot_product_attention(*leaves, is_causal=causal)
            else:   # the head dims set by _head_dims before
                with flashsdpa.sdpa_kernel(flashsdpa.Backend.FLASH):
                    out = flashsdpa.scaled_dot_product_attention(*leaves, is_causal=causal)
            if grads:
                out.backward(dout)
            return [out.detach()] + ([t.grad for t in leaves] if grads else [])

        # float64 reference on a slice of the batch (memory)
        leaves = [t[:1].double().requires_grad_() for t in (q, k, v)]
        ref_out = torch.nn.functional.scaled_dot_product_attention(*leaves, is_causal=causal)
        ref_out.backward(dout[:1].double())
        ref = [ref_out.detach()] + [t.grad for t in leaves]
        errs = []
        for provider in ("gluon", "triton", "cudnn"):
            _head_dims(d if provider == "gluon" else None)
            got = run(provider)
            errs.append("/".join(f"{rel(g[:1], r):.1e}" for g, r in zip(got, ref)))
        flops = 4 * batch * heads * seq * seq * d * (0.5 if causal else 1.0)
        fwd, bwd = [], []
        for provider in ("gluon", "triton", "cudnn"):
            _head_dims(d if provider == "gluon" else None)
            fwd.append(flops / triton.testing.do_bench(lambda: run(provider, False), return_mode="median") * 1e-9)
            leaves = [t.detach().requires_grad_() for t in (q, k, v)]
            if provider == "cudnn":
                with sdpa_kernel(SDPBackend.CUDNN_ATTENTION):
                    out = torch.nn.functional.scaled_dot_product_attention(*leaves, is_causal=causal)
            else:
                with flashsdpa.sdpa_kernel(flashsdpa.Backend.FLASH):
                    out = flashsdpa.scaled_dot_product_attention(*leaves, is_causal=causal)
            ms = triton.testing.do_bench(lambda: torch.autograd.grad(out, leaves, dout, retain_graph=True),
                                         return_mode="median")
            bwd.append(2.5 * flops / ms * 1e-9)
        _head_dims(None)
        print(f"| {d} | {seq} | {causal} | {'; '.join(errs)} | {' / '.join(f'{x:.0f}' for x in fwd)} "
              f"| {' / '.join(f'{x:.0f}' for x in bwd)} |", flush=True)


if __name__ == "__main__":
    main()
