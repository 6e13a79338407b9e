"""The Gluon forward with a persistent grid (FLASHSDPA_HOPPER_PERSISTENT) against
its one-program-a-block grid and the Triton kernel: the same bits out (each query block is
computed by the same code in both grids), and TFLOP/s. bf16, D = 128, 16k tokens a batch (the
grid's shapes), a (1024, 0) window at S = 16384 and a (B, H, S, S) bias at S = 2048.

    PYTHONPATH=src python3 benchmarks/experiment_persistent.py     # on an H100/H200

Each case prints its row as soon as it is done, so a hang (a wrong mbarrier phase) shows which.
"""
import torch
import triton.testing

from flashsdpa.backends import flash, hopper
from flashsdpa.kernels import hopper_forward

CASES = [  # (S, causal, window, bias)
    (512, False, None, False), (512, True, None, False), (1024, False, None, False), (1024, True, None, False),
    (2048, True, None, False), (8192, False, None, False), (8192, True, None, False),
    (16384, True, (1024, 0), False), (2048, False, None, True),
]


def main():
    print("| S | causal | window | bias | persistent = one-a-block (bits) | TFLOP/s persistent / one-a-block / Triton |")
    print("|---|---|---|---|---|---|")
    for seq, causal, window, has_bias in CASES:
        batch, heads, d = max(1, 16384 // seq), 16, 128
        q, k, v = (torch.randn(batch, heads, seq, d, device="cuda", dtype=torch.bfloat16) for _ in range(3))
        bias = torch.randn(batch, heads, seq, seq, device="cuda", dtype=torch.bfloat16) if has_bias else None
        scale = d ** -0.5
        band = None if window is None else (window[0], 0 if causal else window[1])
        outs, times = [], []
        for persistent in (True, False):
            out, lse = torch.full_like(q, float("nan")), torch.full((batch, heads, seq), float("nan"), device="cuda")
            launch = hopper_forward.forward_launch(q, k, scale, causal, bias, band, persistent)
            launch(q, k, v, out, lse, bias)
            torch.cuda.synchronize()
            outs.append((out, lse))
            times.append(triton.testing.do_bench(lambda: launch(q, k, v, out, lse, bias), return_mode="median"))
        same = torch.equal(outs[0][0], outs[1][0]) and torch.equal(outs[0][1], outs[1][1])
        finite = bool(torch.isfinite(outs[0][0]).all())
        opts = flash.ScoreOptions(scale, causal, 0, window or (-1, -1))
        hopper.FORWARD = hopper.BIAS = False
        times.append(triton.testing.do_bench(lambda: flash.flash_forward(q, k, v, scale, causal, 0, mask=bias,
                                                                         opts=opts), return_mode="median"))
        hopper.FORWARD = hopper.BIAS = True
        if window is None:
            kept = seq * seq * (0.5 if causal else 1.0)
        else:
            i = torch.arange(seq, dtype=torch.float64)
            kept = float((i - torch.clamp(i - window[0], min=0) + 1).sum())
        flops = 4 * batch * heads * d * kept
        tf = " / ".join(f"{flops / t * 1e-9:.0f}" for t in times)
        print(f"| {seq} | {causal} | {window} | {has_bias} | {same} (finite {finite}) | {tf} |", flush=True)


if __name__ == "__main__":
    main()
