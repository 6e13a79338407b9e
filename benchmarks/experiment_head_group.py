"""Does the order in which the causal Gluon backward hands out its programs cost L2 hits?

Causal programs are handed out longest first within groups of heads (hopper_backward.
_block_and_head, `heads_per_group`, 16 until now). The programs running together then stream
Q, dO and the fused dQ's fp32 accumulator (dK/dV launch) or K and V (dQ launch) of up to 16
heads, at offsets spread over the whole sequence: at S = 16384, D = 128 about 16 MiB a head
(Q and dO 8 MiB, the accumulator 8 MiB), 256 MiB for 16 heads against the H200's 50 MiB L2.
Full attention keeps the grid's order (one head's programs run together, in step), and runs
its backward ~15% faster per score than causal at long S. This times the causal backward's
launches, bound directly, at heads_per_group 16 / 8 / 4 / 2 / 1 (1: each head's blocks in turn),
two launches and fused dQ, beside the shipped route (flash_backward) and cuDNN, and checks the
gradients against the shipped order's.

    PYTHONPATH=src python3 benchmarks/experiment_head_group.py [--out FILE]   # on an H100/H200
"""
from __future__ import annotations

import isolated

CASES = ([dict(d=128, heads=16, seq=s) for s in (2048, 4096, 8192, 16384, 32768)]
         + [dict(d=64, heads=32, seq=s) for s in (4096, 16384)]
         + [dict(d=128, heads=32, heads_kv=8, seq=4096, batch=4)])
GROUPS = (16, 8, 4, 2, 1)


def run_case(case) -> dict:
    import torch
    import triton.testing
    from torch.nn.attention import SDPBackend, sdpa_kernel

    from flashsdpa.backends import flash
    from flashsdpa.kernels import hopper_backward

    d, heads, seq = case["d"], case["heads"], case["seq"]
    heads_kv, batch = case.get("heads_kv", heads), case.get("batch", max(1, 16384 // seq))
    q = torch.randn(batch, heads, seq, d, device="cuda", dtype=torch.bfloat16)
    k, v = (torch.randn(batch, heads_kv, seq, d, device="cuda", dtype=torch.bfloat16) for _ in range(2))
    scale = d ** -0.5
    opts = flash.ScoreOptions(scale, True)
    out, lse = flash.flash_forward(q, k, v, scale, True, 0, opts=opts)
    dout = torch.randn_like(out)
    flops = 2.5 * 4 * batch * heads * seq * seq * d * 0.5
    result = dict(case, batch=batch)

    def tflops(fn):
        return flops / triton.testing.do_bench(fn, return_mode="median") * 1e-9

    result["shipped_tflops"] = tflops(lambda: flash.flash_backward(dout, q, k, v, out, lse, scale, True, 0, opts=opts))
    theirs = [t.detach().requires_grad_() for t in (q, k, v)]
    with sdpa_kernel(SDPBackend.CUDNN_ATTENTION):
        their_out = torch.nn.functional.scaled_dot_product_attention(*theirs, is_causal=True, enable_gqa=True)
        result["cudnn_tflops"] = tflops(lambda: torch.autograd.grad(their_out, theirs, dout, retain_graph=True))
    del their_out, theirs

    stats = hopper_backward.row_stats(lse)
    dq, dk, dv = (torch.empty_like(t) for t in (q, k, v))
    fused_options = (False, True) if heads == heads_kv else (False, )
    reference = {}
    for fused in fused_options:
        for group in GROUPS:
            dq_launch, dkdv_launch = hopper_backward.backward_launches(q, k, scale, True, fused_dq=fused,
                                                                       peel_diagonal=fused, heads_per_group=group)

            def both():
                dq_launch(q, k, v, out, dout, lse, stats, dq)
                dkdv_launch(q, k, v, dout, stats, dk, dv, None, dq)
            for t in (dq, dk, dv):
                t.fill_(float("nan"))   # poison: a program the new order drops leaves NaN
            both()
            grads = [t.clone() for t in (dq, dk, dv)]
            label = f"{'fused' if fused else 'two'}_g{group}"
            ref = reference.setdefault(fused, grads)
            result[f"{label}_finite"] = bool(all(torch.isfinite(g).all() for g in grads))
            result[f"{label}_dkdv_equal"] = bool(torch.equal(grads[1], ref[1]) and torch.equal(grads[2], ref[2]))
            result[f"{label}_dq_rel"] = ((grads[0].double() - ref[0].double()).norm() / ref[0].double().norm()).item()
            result[f"{label}_tflops"] = tflops(both)
            if not fused:   # each launch alone, in ms
                result[f"{label}_dq_ms"] = triton.testing.do_bench(
                    lambda: dq_launch(q, k, v, out, dout, lse, stats, dq), return_mode="median")
                result[f"{label}_dkdv_ms"] = triton.testing.do_bench(
                    lambda: dkdv_launch(q, k, v, dout, stats, dk, dv), return_mode="median")
    return result


def compile_only():
    print("nothing to compile offline here: sass_fingerprint.py --gluon compiles the causal kernels")


def main():
    rows = isolated.main(__doc__, __file__, CASES, run_case, compile_only, timeout=300)
    if rows is None:
        return
    print("\ncausal backward TFLOP/s by heads_per_group (bound launches); shipped route and cuDNN beside")
    print("| case | shipped | cuDNN | " + " | ".join(f"two g{g}" for g in GROUPS) + " | "
          + " | ".join(f"fused g{g}" for g in GROUPS) + " | two g16 / g1: dQ ms, dK/dV ms | all finite, dK/dV equal |")
    print("|---" * (4 + 2 * len(GROUPS)) + "|---|")
    for r in rows:
        name = f"D={r['d']} H={r['heads']}/{r.get('heads_kv', r['heads'])} S={r['seq']} B={r.get('batch')}"
        if "error" in r:
            print(f"| {name} | error: {r['error'][-300:]!r} |")
            continue
        cells = [f"{r.get(f'{kind}_g{g}_tflops', float('nan')):.0f}" for kind in ("two", "fused") for g in GROUPS]
        ok = all(r[key] for key in r if key.endswith("_finite") or key.endswith("_dkdv_equal"))
        print(f"| {name} | {r['shipped_tflops']:.0f} | {r['cudnn_tflops']:.0f} | " + " | ".join(cells)
              + f" | {r['two_g16_dq_ms']:.3f} / {r['two_g1_dq_ms']:.3f}, {r['two_g16_dkdv_ms']:.3f} / "
              f"{r['two_g1_dkdv_ms']:.3f} | {ok} |")


if __name__ == "__main__":
    main()
