"""The portable dK/dV kernel with scores tiles of query rows (TileConfig.query_rows, QUERY_ROWS
in kernels/backward.py) against the shipped tiles, per case: the dK/dV launch alone and the whole
backward (the shipped dQ launch), TFLOP/s, with each candidate's gradients checked against the
shipped ones on the same inputs (bf16).

    PYTHONPATH=src python3 benchmarks/experiment_query_rows.py      # on an H100/H200, ~2 min

Candidates were screened offline for register spills (benchmarks/compile_report.py, a fifth
number 1 in the dK/dV config).
"""
import torch
import triton.testing

from flashsdpa.backends import flash
from flashsdpa.kernels.configs import BackwardConfig, TileConfig, backward_config

# (head dim, causal, dropout_p, S, candidates for dK/dV)
CASES = [
    (128, True, 0.1, 2048, [TileConfig(128, 32, 8, 3, True), TileConfig(128, 64, 8, 2, True),
                            TileConfig(64, 32, 4, 3, True)]),
    (128, True, 0.1, 8192, [TileConfig(128, 32, 8, 3, True), TileConfig(128, 64, 8, 2, True)]),
    (128, True, 0.0, 2048, [TileConfig(128, 32, 8, 3, True), TileConfig(128, 64, 8, 2, True)]),
    (256, False, 0.1, 2048, [TileConfig(128, 64, 8, 1, True)]),
    (256, True, 0.0, 2048, [TileConfig(128, 64, 8, 1, True)]),
    (256, False, 0.0, 2048, [TileConfig(128, 64, 8, 1, True)]),
]


def backward_launch_times(dout, q, k, v, out, lse, opts, cfg, seed=0) -> tuple[float, float]:
    """(dQ launch ms, dK/dV launch ms) of flash_backward's portable launches at tiles `cfg`, each
    timed alone (the dK/dV launch after one dQ launch has stored delta)."""
    grads = [torch.empty_like(t) for t in (q, k, v)]
    delta, dq_launch, dkdv = flash._backward_plan(dout, q, k, v, out, lse, *grads, None, None, None, opts, cfg, False)
    delta = delta(lse)
    seed = flash._seed_arg(q, opts, seed)   # (Seed pointer, seed_host)
    dq_ms = triton.testing.do_bench(lambda: dq_launch(q, k, v, out, dout, lse, delta, grads[0], q, q, q, *seed),
                                    rep=40, return_mode="median")
    dkdv_ms = triton.testing.do_bench(lambda: dkdv(q, k, v, dout, lse, delta, grads[1], grads[2], q, q, *seed),
                                      rep=40, return_mode="median")
    return dq_ms, dkdv_ms


def name(c):
    return f"{c.block_m}x{c.block_n}/{c.num_warps}w/{c.num_stages}s" + ("/query rows" if c.query_rows else "")


def rel(a, b):
    return ((a.double() - b.double()).norm() / b.double().norm()).item()


def main():
    print("| D | causal | dropout | S | dK/dV tiles | dK/dV ms | backward TFLOP/s | max rel diff to shipped |")
    print("|---|---|---|---|---|---|---|---|")
    for d, causal, p, s, candidates in CASES:
        b, h = 16384 // s, 2048 // d
        q, k, v = (torch.randn(b, h, s, d, device="cuda", dtype=torch.bfloat16) for _ in range(3))
        opts = flash.ScoreOptions(d ** -0.5, causal, dropout_p=p)
        seed = 1234
        out, lse = flash.flash_forward(q, k, v, opts.scale, causal, 0, opts=opts, seed=seed)
        dout = torch.randn_like(out)
        flops = 2.5 * 4 * b * h * s * s * d * (0.5 if causal else 1.0)
        shipped = backward_config((9, 0), 2, d, d, causal, s)
        reference = None
        for dkdv_cfg in [shipped.dkdv] + candidates:
            cfg = BackwardConfig(dkdv_cfg, shipped.dq)
            grads = flash.flash_backward(dout, q, k, v, out, lse, opts.scale, causal, 0, cfg, opts=opts, seed=seed)[:3]
            reference = reference or grads
            diff = max(rel(g, r) for g, r in zip(grads, reference))
            ms = triton.testing.do_bench(lambda: flash.flash_backward(dout, q, k, v, out, lse, opts.scale, causal, 0,
                                                                      cfg, opts=opts, seed=seed),
                                         rep=40, return_mode="median")
            dkdv_ms = backward_launch_times(dout, q, k, v, out, lse, opts, cfg, seed)[1]
            print(f"| {d} | {causal} | {p} | {s} | {name(dkdv_cfg)} | {dkdv_ms:.3f} | {flops / ms * 1e-9:.0f} | "
                  f"{diff:.1e} |", flush=True)


if __name__ == "__main__":
    main()
