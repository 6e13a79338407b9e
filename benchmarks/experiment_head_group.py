"""Two changes to the causal Gluon backward, timed against the shipped code in one run:

1. The order in which causal programs are handed out: longest first within groups of heads
   (hopper_backward._block_and_head, `heads_per_group`, 16 until now). The programs running
   together then stream Q, dO and the fused dQ's fp32 accumulator (dK/dV launch) or K and V (dQ
   launch) of up to 16 heads at offsets spread over the sequence: at S = 16384, D = 128 about 16
   MiB a head against the H200's 50 MiB L2. Full attention keeps the grid's order (one head's
   programs together, in step) and runs ~15% faster per score than causal at long S.
2. The two launches' loops without mask code (`peel_diagonal`, before only with the fused dQ):
   the tiles a causal mask or a ragged end reaches run apart (sm_90a, D = 128, instructions a warp
   and tile: dK/dV 466 -> 369, dQ 317 -> 239, full attention's dQ 307 -> 238).

Times the backward's launches bound directly per variant (two launches or fused dQ, peel, heads
per group; 16 / no peel for two launches is the code before), two rounds interleaved (the
better kept), each two-launch variant's launches alone, beside the shipped route (flash_backward)
and cuDNN; checks that every variant's dK and dV equal the first's bit for bit and that nothing
is left unwritten (outputs poisoned with NaN first).

    PYTHONPATH=src python3 benchmarks/experiment_head_group.py [--out FILE]   # on an H100/H200
"""
from __future__ import annotations

import isolated

CASES = ([dict(d=128, heads=16, seq=s) for s in (2048, 4096, 8192, 16384, 32768)]
         + [dict(d=64, heads=32, seq=s) for s in (1024, 2048, 4096, 16384)]
         + [dict(d=64, heads=32, seq=2048, causal=False)]
         + [dict(d=128, heads=32, heads_kv=8, seq=4096, batch=4)]
         + [dict(d=128, heads=16, seq=s, causal=False) for s in (1024, 2048)])
# (kind, peel, heads per group); the first is the code before these changes
CAUSAL_VARIANTS = [("two", False, 16), ("two", True, 16), ("two", True, 4), ("two", True, 1),
                   ("fused", True, 16), ("fused", True, 4), ("fused", True, 1)]
FULL_VARIANTS = [("two", False, 16), ("two", True, 16), ("fused", True, 16)]


def run_case(case) -> dict:
    import torch
    import triton.testing
    from torch.nn.attention import SDPBackend, sdpa_kernel

    from flashsdpa.backends import flash
    from flashsdpa.kernels import hopper_backward

    d, heads, seq, causal = case["d"], case["heads"], case["seq"], case.get("causal", True)
    heads_kv, batch = case.get("heads_kv", heads), case.get("batch", max(1, 16384 // seq))
    q = torch.randn(batch, heads, seq, d, device="cuda", dtype=torch.bfloat16)
    k, v = (torch.randn(batch, heads_kv, seq, d, device="cuda", dtype=torch.bfloat16) for _ in range(2))
    scale = d ** -0.5
    opts = flash.ScoreOptions(scale, causal)
    out, lse = flash.flash_forward(q, k, v, scale, causal, 0, opts=opts)
    dout = torch.randn_like(out)
    flops = 2.5 * 4 * batch * heads * seq * seq * d * (0.5 if causal else 1.0)
    result = dict(case, batch=batch)

    def tflops(fn):
        return flops / triton.testing.do_bench(fn, return_mode="median") * 1e-9

    result["shipped_tflops"] = tflops(lambda: flash.flash_backward(dout, q, k, v, out, lse, scale, causal, 0,
                                                                   opts=opts))
    theirs = [t.detach().requires_grad_() for t in (q, k, v)]
    with sdpa_kernel(SDPBackend.CUDNN_ATTENTION):
        their_out = torch.nn.functional.scaled_dot_product_attention(*theirs, is_causal=causal, enable_gqa=True)
        result["cudnn_tflops"] = tflops(lambda: torch.autograd.grad(their_out, theirs, dout, retain_graph=True))

    stats = hopper_backward.row_stats(lse)
    dq, dk, dv = (torch.empty_like(t) for t in (q, k, v))
    variants = [v_ for v_ in (CAUSAL_VARIANTS if causal else FULL_VARIANTS)
                if v_[0] == "two" or heads == heads_kv]   # (the fused dQ's rule leaves GQA out)
    launches = {}
    for kind, peel, group in variants:
        launches[kind, peel, group] = hopper_backward.backward_launches(
            q, k, scale, causal, fused_dq=kind == "fused", peel_diagonal=peel, heads_per_group=group)
    reference = None
    for rnd in range(2):
        for (kind, peel, group), (dq_launch, dkdv_launch) in launches.items():
            label = f"{kind}_{'peel' if peel else 'nopeel'}_g{group}"

            def both():
                dq_launch(q, k, v, out, dout, lse, stats, dq)
                dkdv_launch(q, k, v, dout, stats, dk, dv, None, dq)
            if rnd == 0:
                for t in (dq, dk, dv):
                    t.fill_(float("nan"))   # poison: a program the order drops leaves NaN
                both()
                grads = [t.clone() for t in (dq, dk, dv)]
                reference = reference or grads
                result[f"{label}_finite"] = bool(all(torch.isfinite(g).all() for g in grads))
                result[f"{label}_dkdv_equal"] = bool(torch.equal(grads[1], reference[1])
                                                     and torch.equal(grads[2], reference[2]))
                result[f"{label}_dq_rel"] = ((grads[0].double() - reference[0].double()).norm()
                                             / reference[0].double().norm()).item()
            result[f"{label}_tflops"] = max(result.get(f"{label}_tflops", 0.0), tflops(both))
            if kind == "two":   # each launch alone, in ms (the better round)
                for name, fn in (("dq", lambda: dq_launch(q, k, v, out, dout, lse, stats, dq)),
                                 ("dkdv", lambda: dkdv_launch(q, k, v, dout, stats, dk, dv))):
                    ms = triton.testing.do_bench(fn, return_mode="median")
                    result[f"{label}_{name}_ms"] = min(result.get(f"{label}_{name}_ms", float("inf")), ms)
    return result


def compile_only():
    print("nothing to compile offline here: sass_fingerprint.py --gluon compiles the causal kernels")


def main():
    rows = isolated.main(__doc__, __file__, CASES, run_case, compile_only, timeout=300)
    if rows is None:
        return
    print("\nbackward TFLOP/s per variant (kind / peel / heads per group; bound launches, the better of two "
          "rounds), the shipped route and cuDNN; two launches' dQ and dK/dV ms alone")
    for r in rows:
        name = (f"D={r['d']} H={r['heads']}/{r.get('heads_kv', r['heads'])} S={r['seq']} B={r.get('batch')} "
                f"{'causal' if r.get('causal', True) else 'full'}")
        if "error" in r:
            print(f"{name}: error {r['error'][-300:]!r}")
            continue
        ok = all(r[key] for key in r if key.endswith("_finite") or key.endswith("_dkdv_equal"))
        cells = [f"{key[:-7]} {r[key]:.0f}" + (f" ({r[key[:-7] + '_dq_ms']:.3f} + {r[key[:-7] + '_dkdv_ms']:.3f} ms)"
                                             if key.startswith("two") else "")
                 for key in r if key.endswith("_tflops") and key not in ("shipped_tflops", "cudnn_tflops")]
        print(f"{name}: shipped {r['shipped_tflops']:.0f}, cuDNN {r['cudnn_tflops']:.0f}; " + "; ".join(cells)
              + f"; finite and dK/dV equal: {ok}")


if __name__ == "__main__":
    main()
