"""Run the Gluon Hopper backward (src/flashsdpa/kernels/hopper_backward.py)
against float64 and torch: dQ, dK and dV relative errors beside our Triton backward's and
torch's, then backward TFLOP/s against the Triton backward and cuDNN, and each launch alone per
variant (dQ: keys per stage x stages; dK/dV: query rows per stage x stages). Each case runs in
its own process with a time limit, since a wrong mbarrier phase hangs the GPU instead of
raising.

    PYTHONPATH=src python3 benchmarks/experiment_gluon_backward.py [--out FILE]   # on an H100/H200
    PYTHONPATH=src python3 benchmarks/experiment_gluon_backward.py --compile-only   # anywhere: sm_90a

bf16, D = 128, B*S = 16k tokens and H = 16 (the grid's shapes), plus GQA 32/8 and a ragged
(B, S, H, D) case; D = 64 (H = 32), which the shipped dispatch does not give the Gluon
backward yet (hopper_backward.HEAD_DIMS). "fused": the EXPERIMENTAL dQ inside the dK/dV launch
(hopper.FUSED_DQ), measured beside the rest; and both launches bound directly at 240 and
248 registers a consumer thread (the dK/dV loop spills at 240: sm_90a, 7 loads a warp and tile).
"""
from __future__ import annotations


import isolated

CASES = ([dict(causal=c, seq=s, heads=16, heads_kv=16, layout="bhsd") for c in (False, True) for s in (1024, 2048, 8192)]
         + [dict(causal=True, seq=4096, heads=32, heads_kv=8, layout="bhsd", batch=4),
            dict(causal=False, seq=2047, heads=8, heads_kv=8, layout="bshd", batch=2)]
         + [dict(causal=c, seq=s, heads=32, heads_kv=32, layout="bhsd", d=64) for c in (False, True)
            for s in (1024, 4096, 8192)])
# (keys per stage, stages) and (query rows per stage, stages): the shipped tiles; v0.8 compared
# (64, 3) and (128, 2) for dQ, (32, 2) and (32, 3) for dK/dV (128 rows spill at D = 64 and 128)
VARIANTS = {"dq": [(64, 2)], "dkdv": [(64, 2)]}


def run_case(case) -> dict:
    import torch
    import triton.testing
    from torch.nn.attention import SDPBackend, sdpa_kernel

    from flashsdpa.backends import flash, hopper
    from flashsdpa.kernels import hopper_backward

    seq, heads, heads_kv, causal, d = case["seq"], case["heads"], case["heads_kv"], case["causal"], case.get("d", 128)
    batch = case.get("batch", max(1, 16384 // seq))
    shapes = [(batch, heads, seq, d), (batch, heads_kv, seq, d), (batch, heads_kv, seq, d)]
    if case["layout"] == "bshd":
        q, k, v = (torch.randn(b, s, h, dd, device="cuda", dtype=torch.bfloat16).transpose(1, 2) for b, h, s, dd in shapes)
    else:
        q, k, v = (torch.randn(s, device="cuda", dtype=torch.bfloat16) for s in shapes)
    scale = d ** -0.5
    opts = flash.ScoreOptions(scale, causal)
    out, lse = flash.flash_forward(q, k, v, scale, causal, 0, opts=opts)
    dout = torch.randn_like(out)
    result = dict(case, batch=batch)

    def backward(gluon: bool, fused: bool = False):
        hopper.BACKWARD, hopper.FUSED_DQ = gluon, fused
        return flash.flash_backward(dout, q, k, v, out, lse, scale, causal, 0, opts=opts)

    hopper.BACKWARD = True
    hopper_backward.MIN_SCORES = 0   # the kernels on every case, also where the Triton ones are faster
    hopper_backward.HEAD_DIMS = (64, 128)
    reason = hopper.backward_reason(q, k, v, out, dout, [flash.empty_like_layout(t, d) for t in (q, k, v)],
                                          opts=opts)
    if reason is not None:  # the "Gluon" numbers would be the Triton kernels'
        raise RuntimeError(f"the Gluon backward does not take this case: {reason}")
    gluon = backward(True)
    torch.cuda.synchronize()
    triton_ = backward(False)
    torch.cuda.synchronize()
    fused = backward(True, fused=True)   # EXPERIMENTAL: dQ in the dK/dV launch (TMA reduce-add)
    torch.cuda.synchronize()

    def rel(a, b):
        return ((a.double() - b.double()).norm() / b.double().norm()).item()
    for name, i in (("dq", 0), ("dk", 1), ("dv", 2)):
        result[f"{name}_vs_triton"] = rel(gluon[i], triton_[i])
        result[f"{name}_fused_vs_triton"] = rel(fused[i], triton_[i])
    result["finite"] = bool(all(torch.isfinite(t).all() for t in gluon[:3] + fused[:3]))
    if batch * heads * seq * seq <= 2 ** 30:  # float64 reference (its scores, 8 GiB at most, and their gradients)
        leaves = [t.detach().double().requires_grad_() for t in (q, k, v)]
        ref = torch.nn.functional.scaled_dot_product_attention(*leaves, is_causal=causal, enable_gqa=True)
        ref_grads = torch.autograd.grad(ref, leaves, dout.double())
        theirs = [t.detach().requires_grad_() for t in (q, k, v)]
        with sdpa_kernel([SDPBackend.CUDNN_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.FLASH_ATTENTION]):
            their_out = torch.nn.functional.scaled_dot_product_attention(*theirs, is_causal=causal, enable_gqa=True)
        their_grads = torch.autograd.grad(their_out, theirs, dout)
        for name, i in (("dq", 0), ("dk", 1), ("dv", 2)):
            result[f"{name}_rel"] = rel(gluon[i], ref_grads[i])
            result[f"{name}_rel_triton"] = rel(triton_[i], ref_grads[i])
            result[f"{name}_rel_torch"] = rel(their_grads[i], ref_grads[i])
            result[f"{name}_rel_fused"] = rel(fused[i], ref_grads[i])
        del ref, ref_grads
    flops = 2.5 * 4 * batch * heads * seq * seq * d * (0.5 if causal else 1.0)

    def tflops(fn):
        return flops / triton.testing.do_bench(fn, return_mode="median") * 1e-9
    result["gluon_tflops"] = tflops(lambda: backward(True))
    result["triton_tflops"] = tflops(lambda: backward(False))
    result["fused_tflops"] = tflops(lambda: backward(True, fused=True))
    theirs = [t.detach().requires_grad_() for t in (q, k, v)]
    with sdpa_kernel(SDPBackend.CUDNN_ATTENTION):
        their_out = torch.nn.functional.scaled_dot_product_attention(*theirs, is_causal=causal, enable_gqa=True)
        result["cudnn_tflops"] = tflops(lambda: torch.autograd.grad(their_out, theirs, dout, retain_graph=True))
    # each launch alone (FLOPs: dQ does 3 of the backward's 7 products, dK/dV 4), per variant
    stats = hopper_backward.row_stats(lse)
    dq, dk, dv = (flash.empty_like_layout(t, d) for t in (q, k, v))
    # both launches bound directly (no allocation or dispatch), at 240 and 248 registers a consumer
    # thread (248 leaves the producer warp its 24: 2 x 128 x 248 + 32 x 24 <= 65536), two-launch
    # and fused; the same products in the same order, so the same bits
    grads = {}
    for fused in (False, True):
        for regs in (240, 248):
            dq_launch, dkdv_launch = hopper_backward.backward_launches(q, k, scale, causal, fused_dq=fused,
                                                                       consumer_regs=regs)

            def both():
                dq_launch(q, k, v, out, dout, lse, stats, dq)
                dkdv_launch(q, k, v, dout, stats, dk, dv, None, dq)
            both()
            grads[fused, regs] = [t.clone() for t in (dq, dk, dv)]
            result[f"{'fused' if fused else 'two'}_r{regs}_tflops"] = tflops(both)
    result["r248_same_bits"] = all(torch.equal(a, b) for a, b in zip(grads[False, 240], grads[False, 248]))
    for block_n, stages in VARIANTS["dq"]:
        dq_launch = hopper_backward.backward_launches(q, k, scale, causal, NBUF=stages, block_n=block_n)[0]
        result[f"dq_{block_n}x{stages}_tflops"] = tflops(
            lambda: dq_launch(q, k, v, out, dout, lse, stats, dq)) * 3 / 7
    for block_m, stages in VARIANTS["dkdv"]:
        dkdv_launch = hopper_backward.backward_launches(q, k, scale, causal, NBUF=stages, block_m=block_m)[1]
        result[f"dkdv_{block_m}x{stages}_tflops"] = tflops(
            lambda: dkdv_launch(q, k, v, dout, stats, dk, dv)) * 4 / 7
    return result


def compile_only():
    """Compile both kernels for sm_90a with Triton's own ptxas (no GPU) per variant and report
    shared memory, spills, and instructions a warp per stage of the consumer loop."""
    import inspect

    import triton
    from triton.backends.compiler import GPUTarget
    from triton.experimental.gluon._runtime import GluonASTSource

    import sass_loops
    from flashsdpa.kernels import hopper_backward as hb
    from sass_fingerprint import cubin_sass, descriptor_type as desc

    def report(label, kernel, types, constants):
        """Compile with `types` for the runtime arguments (the rest constexpr: `constants` or their
        defaults) as the JIT would see a call: fresh buffers and S_PAD 16-aligned, N_CTX any
        length (a ragged one, the case that spilled before row_stats)."""
        names = kernel.arg_names
        types = {name: kind for name, kind in types.items() if name in names}
        signature = {name: types.get(name, "constexpr") for name in names}
        defaults = {name: param.default for name, param in inspect.signature(kernel.fn).parameters.items()}
        constants = {name: constants.get(name, defaults[name]) for name in names if name not in types}
        attrs = {(names.index(arg), ): [["tt.divisibility", 16]]
                 for arg in ("LSE", "LSE2", "Delta", "S_PAD", "DBias", "DQ_ACC") if arg in types}
        compiled = triton.compile(GluonASTSource(kernel, signature, constants, attrs), target=GPUTarget("cuda", 90, 32),
                                  options={"num_warps": 4})
        sass = cubin_sass(compiled.asm["cubin"])
        print(f"{label}: shared memory {compiled.metadata.shared} B (232448 allowed); {sass_loops.consumer_loop(sass)}; "
              f"REDG {sum(' REDG' in line for line in sass.splitlines())}, "
              f"UTMAREDG {sum('UTMAREDG' in line for line in sass.splitlines())}", flush=True)

    scalars = dict(sm_scale="fp32", LSE="*fp32", LSE2="*fp32", Delta="*fp32", N_CTX="i32", S_PAD="i32", H_Q="i32",
                   H_KV="i32", GROUP="i32")
    for d in (128, 64):
        for name, kernel in (("dq", hb.attn_bwd_dq_hopper), ("dkdv", hb.attn_bwd_dkdv_hopper)):
            for streamed, stages in VARIANTS[name]:
                own, tiles = (desc(hb.SPLIT_M, d), desc(streamed, d)) if name == "dq" else (desc(hb.SPLIT_N, d),
                                                                                           desc(streamed, d))
                types = dict(scalars, desc_q=own, desc_k=tiles, desc_v=tiles, desc_o=own, desc_do=own, desc_dq=own,
                             DBias="*fp32") if name == "dq" else \
                    dict(scalars, desc_q=tiles, desc_k=own, desc_v=own, desc_do=tiles, desc_dk=own, desc_dv=own)
                for causal in (False, True):
                    report(f"D={d} {name:4s} {streamed:3d} {'keys' if name == 'dq' else 'query rows'}/stage x {stages} "
                           f"stages causal={causal!s:5}", kernel, types,
                           {"NBUF": stages, "CAUSAL": causal, "CONSUMER_REGS": 240, "PRODUCER_REGS": 24})
    # the experimental paths at the shipped tiles, D = 128
    rows = desc(64, 128)
    base = dict(scalars, **{f"desc_{t}": rows for t in ("q", "k", "v", "o", "do", "dq", "dk", "dv")})
    flags = {"NBUF": 2, "CONSUMER_REGS": 240, "PRODUCER_REGS": 24}
    for causal in (False, True):
        with_bias = dict(base, desc_bias=desc(64, 64), BIAS_B="i32", BIAS_H="i32", DBias="*bf16")
        report(f"bias + its gradient, dq   causal={causal!s:5}", hb.attn_bwd_dq_hopper, with_bias,
               dict(flags, CAUSAL=causal, HAS_BIAS=True, MASK_GRAD=True))
        report(f"bias, dkdv                causal={causal!s:5}", hb.attn_bwd_dkdv_hopper, with_bias,
               dict(flags, CAUSAL=causal, HAS_BIAS=True))
        dq_acc = desc(64, 64, "fp32")   # the fp32 accumulator's (rows x D / 2) boxes
        report(f"fused dQ, dkdv            causal={causal!s:5}", hb.attn_bwd_dkdv_hopper, dict(base, desc_dq_acc=dq_acc),
               dict(flags, CAUSAL=causal, FUSED_DQ=True))
        report(f"fused dQ's stats-only dq  causal={causal!s:5}", hb.attn_bwd_dq_hopper, dict(base, DBias="*fp32"),
               dict(flags, CAUSAL=causal, STATS_ONLY=True))


def main():
    rows = isolated.main(__doc__, __file__, CASES, run_case, compile_only, timeout=150)
    if rows is None:
        return
    print("| case | dQ / dK / dV rel err: Gluon; Triton; torch; fused | bwd TFLOP/s Gluon / Triton / cuDNN / fused "
          "| dQ alone "
          + " / ".join(f"{n}x{s}" for n, s in VARIANTS["dq"]) + " | dK/dV alone "
          + " / ".join(f"{m}x{s}" for m, s in VARIANTS["dkdv"])
          + " | bound launches, two / fused, 240 / 248 registers (248 same bits) |")
    print("|---|---|---|---|---|---|")   # fused: EXPERIMENTAL dQ inside the dK/dV launch
    for r in rows:
        name = f"D={r.get('d', 128)} h{r['heads']}/{r['heads_kv']} S={r['seq']} causal={r['causal']} {r['layout']}"
        if "error" in r:
            print(f"| {name} | error: {r['error'].strip().splitlines()[-1][:100] if r['error'].strip() else '?'} | | |")
            continue
        grads = ("dq", "dk", "dv")
        if "dk_rel" in r:
            errs = "; ".join("/".join(f"{r[g + suffix]:.1e}" for g in grads)
                             for suffix in ("_rel", "_rel_triton", "_rel_torch", "_rel_fused"))
        else:
            errs = "; ".join("vs Triton " + "/".join(f"{r[g + suffix]:.1e}" for g in grads)
                             for suffix in ("_vs_triton", "_fused_vs_triton"))
        alone = [" / ".join(f"{r[f'{kind}_{a}x{b}_tflops']:.0f}" for a, b in VARIANTS[kind]) for kind in ("dq", "dkdv")]
        print(f"| {name} | {errs} | {r['gluon_tflops']:.0f} / {r['triton_tflops']:.0f} / {r['cudnn_tflops']:.0f} "
              f"/ {r['fused_tflops']:.0f} "
              f"| {alone[0]} | {alone[1]} | {r['two_r240_tflops']:.0f} / {r['two_r248_tflops']:.0f}, "
              f"{r['fused_r240_tflops']:.0f} / {r['fused_r248_tflops']:.0f} ({r['r248_same_bits']}) |")


if __name__ == "__main__":
    main()
