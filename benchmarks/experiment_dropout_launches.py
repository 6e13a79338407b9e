"""How the Gluon backward's time splits between its two launches, with and without dropout
(benchmarks/NOTES.md v0.21b: counted offline, the dropout dK/dV loop issues instructions 90% of
its tensor cycles and the dQ loop 69%; which launch dropout slows, and by how much, decides what
to cut first). Causal, D = 128, bf16, 16k tokens, H = 16, the shipped options (two launches,
peeled diagonals); each launch timed alone and both in turn, p = 0 and p = 0.1; and the fused dQ
(peeled too), which draws each mask once instead of twice.

    PYTHONPATH=src python3 benchmarks/experiment_dropout_launches.py   # on an H100/H200 (~1 min)
    (FLASHSDPA_HOPPER_DROPOUT_DRAW_AHEAD=0: the dQ launch's bits drawn in the tile that uses them,
    not a tile ahead; FLASHSDPA_HOPPER_DROPOUT_DRAWER=2 or 4: the dK/dV launch's by warps of their
    own, experimental)
"""
from __future__ import annotations

import isolated

CASES = [dict(seq=seq, dropout_p=p, fused=fused) for fused in (False, True) for seq in (2048, 8192)
         for p in (0.0, 0.1)]


def run_case(case) -> dict:
    import torch
    import triton.testing

    from flashsdpa.backends import flash, hopper
    from flashsdpa.kernels import hopper_backward as hb

    seq, p, heads, d = case["seq"], case["dropout_p"], 16, 128
    batch = 16384 // seq
    q, k, v = (torch.randn(batch, heads, seq, d, device="cuda", dtype=torch.bfloat16) for _ in range(3))
    scale = d ** -0.5
    out, lse = flash.flash_forward(q, k, v, scale, True, 0, opts=flash.ScoreOptions(scale, True))
    dout = torch.randn_like(out)
    stats = hb.row_stats(lse)
    dq, dk, dv = (torch.empty_like(t) for t in (q, k, v))
    dq_launch, dkdv_launch = hb.backward_launches(q, k, scale, True, dropout_p=p, peel_diagonal=True,
                                                  fused_dq=case["fused"], draw_ahead=hopper.DROPOUT_DRAW_AHEAD,
                                                  drawer_warps=hopper.DROPOUT_DRAWER)
    seed = (torch.zeros((), dtype=torch.int64, device="cuda"), 12345) if p > 0 else None

    def dq_only():
        dq_launch(q, k, v, out, dout, lse, stats, dq, seed=seed)

    def dkdv_only():
        dkdv_launch(q, k, v, dout, stats, dk, dv, None, dq, seed=seed)

    def both():
        dq_only()
        dkdv_only()
    both()
    torch.cuda.synchronize()
    assert all(torch.isfinite(t).all() for t in (dq, dk, dv))

    def ms(fn):
        return triton.testing.do_bench(fn, return_mode="median")
    flops = 2.5 * 4 * batch * heads * seq * seq * d * 0.5
    result = dict(case, batch=batch, dq_ms=ms(dq_only), dkdv_ms=ms(dkdv_only), total_ms=ms(both))
    result["tflops"] = flops / result["total_ms"] * 1e-9
    return result


def main():
    rows = isolated.main(__doc__, __file__, CASES, run_case, lambda: None, timeout=120)
    if rows is None:
        return
    print("| dQ | S | dropout | dQ launch ms | dK/dV launch ms | both ms | TFLOP/s |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        head = f"| {'fused' if row['fused'] else 'apart'} | {row['seq']} | {row['dropout_p']} |"
        if "error" in row:
            print(f"{head} {row['error'][-120:]!r} | | | |")
            continue
        print(f"{head} {row['dq_ms']:.3f} | {row['dkdv_ms']:.3f} | {row['total_ms']:.3f} | {row['tflops']:.0f} |")


if __name__ == "__main__":
    main()
